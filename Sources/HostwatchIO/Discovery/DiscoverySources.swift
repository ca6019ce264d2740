import FoundationEssentials
import Glibc
import HostwatchCore

/// Runs the discovery sources the agent file names (DESIGN.md §9): each command as argv, no
/// shell, with the section's timeout and an output cap; each config file and panel tree read
/// through a `DiscoveryFileTree`. A source the machine does not have (its program is not on
/// the PATH, its config file is absent) is skipped silently; a source that fails (non-zero
/// exit, timeout, unreadable file) is a warning naming it and is listed in `failed`, so the
/// caller keeps that source's last good result instead of dropping its domains.
public struct DiscoverySources: Sendable {
    /// What one run of every source gave.
    public struct Run: Sendable {
        public var readings: [SourceReading] = []
        /// Sources that failed this time: their domains must not count as gone.
        public var failed: [String] = []
        /// Every warning, each naming its source.
        public var warnings: [String] = []
        public var accounts: AccountsFile?
    }

    public var settings: DiscoverySettings
    public var files: any DiscoveryFileTree
    /// Output kept per command; the rest is discarded and reported.
    public var outputCap = 64 << 20

    public init(settings: DiscoverySettings, files: any DiscoveryFileTree = LocalFileTree()) {
        self.settings = settings
        self.files = files
    }

    /// Reads every configured source once.
    public func run() -> Run {
        var run = Run()
        func keep(_ reading: SourceReading) {
            run.readings.append(reading)
            run.warnings += reading.warnings
        }
        if let command = settings.nginx, let output = output(of: command, source: "nginx", run: &run) {
            keep(NginxReader.read(output))
        }
        if let command = settings.apache, let output = output(of: command, source: "apache", run: &run) {
            keep(ApacheReader.read(output, files: files))
        }
        if let command = settings.postfix, let main = output(of: command, source: "postfix", run: &run) {
            let master = output(of: command + ["-M"], source: "postfix", run: &run)
            keep(PostfixReader.read(postconf: main, master: master, files: files))
        }
        if let command = settings.dovecot, let output = output(of: command, source: "dovecot", run: &run) {
            keep(DovecotReader.read(output))
        }
        if let path = settings.nsd, present(path, source: "nsd", run: &run) {
            keep(NSDReader.read(config: path, files: files))
        }
        if let path = settings.bind, present(path, source: "bind", run: &run) {
            keep(BindReader.read(config: path, files: files))
        }
        switch settings.panel {
        case .cpanel: keep(CPanelReader.read(root: settings.panelRoot, files: files))
        case .directadmin: keep(DirectAdminReader.read(root: settings.panelRoot, files: files))
        case .hestia: keep(HestiaReader.read(root: settings.panelRoot, files: files))
        case .plesk:
            if let list = output(of: ["plesk", "bin", "site", "--list"], source: "plesk", run: &run, required: true) {
                var info: [String: String] = [:]
                for line in list.split(separator: "\n") {
                    // One word a line: anything else (an error text) is for the reader to report.
                    let words = line.split(whereSeparator: \.isWhitespace)
                    guard words.count == 1 else { continue }
                    let name = String(words[0])
                    // A site that is not a subscription answers only `domain --info`.
                    info[name.lowercased()] = quietOutput(["plesk", "bin", "subscription", "--info", name])
                        ?? quietOutput(["plesk", "bin", "domain", "--info", name])
                }
                keep(PleskReader.read(siteList: list, info: info))
            }
        case .virtualmin:
            if let text = output(of: ["virtualmin", "list-domains", "--multiline"], source: "virtualmin", run: &run, required: true) {
                keep(VirtualminReader.read(text))
            }
        case .none: break
        }
        for reading in run.readings where !reading.warnings.isEmpty && !run.failed.contains(reading.source) {
            // Text the reader complained about may have lost domains: nothing it no longer
            // names counts as gone until it reads cleanly again.
            run.failed.append(reading.source)
        }
        if let path = settings.accountsFile {
            if let text = files.text(path) {
                let accounts = AccountsFile(text)
                run.accounts = accounts
                run.warnings += accounts.problems.map { "accounts_file: \(path): \($0)" }
            } else {
                run.warnings.append("accounts_file: cannot read \(path)")
            }
        }
        return run
    }

    /// The host's mail name as postfix (`myhostname`) or dovecot (`hostname`) gives it: the
    /// default `server.mail_host` when the agent file sets none. Nil when neither answers.
    public func mailHost() -> String? {
        var run = Run()
        if let command = settings.postfix, let text = output(of: command, source: "postfix", run: &run),
           let name = PostfixReader.read(postconf: text, master: "", files: files).mail.hostName {
            return name
        }
        if let command = settings.dovecot, let text = output(of: command, source: "dovecot", run: &run) {
            return DovecotReader.read(text).mail.hostName
        }
        return nil
    }

    /// A command's output, or nil (skipped silently when its program is missing, else a warning).
    /// - Parameter required: a configured panel's CLI: missing is a warning, not silence.
    func output(of command: [String], source: String, run: inout Run, required: Bool = false) -> String? {
        guard let program = command.first, Self.findProgram(program) != nil else {
            if required {
                run.warnings.append("\(source): \(command[0]) is not installed, but panel.kind says \(source)")
                if !run.failed.contains(source) { run.failed.append(source) }
            }
            return nil
        }
        let result = CommandRunner.run(command, timeout: settings.timeout, cap: outputCap)
        let shown = command.joined(separator: " ")
        if let reason = result.failedToStart {
            run.warnings.append("\(source): \(shown) did not start: \(reason)")
        } else if let status = result.status, status != 0 {
            let firstLine = result.output.split(separator: "\n").first.map { String($0.prefix(200)) } ?? ""
            run.warnings.append("\(source): \(shown) exited \(status): \(firstLine)")
        } else if result.status == nil {
            run.warnings.append("\(source): \(shown) did not finish within \(DurationText.format(settings.timeout))")
        } else if result.truncatedBytes > 0 {
            run.warnings.append("\(source): \(shown) printed more than \(outputCap) bytes; the rest was not read")
        } else {
            return result.output
        }
        if !run.failed.contains(source) { run.failed.append(source) }
        return nil
    }

    /// A command's output when it exits 0, else nil (no warning).
    func quietOutput(_ command: [String]) -> String? {
        let result = CommandRunner.run(command, timeout: settings.timeout, cap: outputCap)
        return result.status == 0 && result.failedToStart == nil ? result.output : nil
    }

    /// True when a source's config file exists; absent is silent, unreadable a warning.
    func present(_ path: String, source: String, run: inout Run) -> Bool {
        guard FileManager.default.fileExists(atPath: path) else { return false }
        guard access(path, R_OK) == 0 else {
            run.warnings.append("\(source): cannot read \(path)")
            run.failed.append(source)
            return false
        }
        return true
    }

    /// The program's path: as given when it has a slash, else found on the runner's PATH.
    static func findProgram(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for folder in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] where access(folder + "/" + program, X_OK) == 0 {
            return folder + "/" + program
        }
        return nil
    }
}
