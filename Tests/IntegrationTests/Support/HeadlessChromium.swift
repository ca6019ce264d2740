import Foundation

/// Debian's `chromium`, headless, the way /work/shared/notes/chromium-headless.md found works as
/// root on a machine without internet: no sandbox, no background traffic, a fresh profile per
/// run, `$HOME` untouched, and a resolver rule that sends every name nowhere except those mapped
/// to the test's loopback address (a page that tried to fetch from another host fails fast).
///
/// Chromium exits 0 even when the page failed to load, so callers test what it wrote.
struct HeadlessChromium {
    static let executable = "/usr/bin/chromium"
    static let pngCheck = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("packaging/png-check").path

    /// A folder for profiles, XDG folders and outputs.
    let directory: String
    /// Names the browser may reach, each at a loopback address.
    var hosts: [String: String] = [:]

    /// What one load of a page gave.
    struct Rendering {
        /// The serialized DOM after parsing (`--dump-dom`).
        var dom: String
        /// The screenshot PNG.
        var screenshot: String
        /// Chromium's stderr, for failure messages.
        var log: String
    }

    /// Loads `url` in a `width`×`height` window, dumping the DOM and taking a screenshot.
    func render(_ url: String, width: Int, height: Int, name: String) throws -> Rendering {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw FixtureError.fileSystem(path: Self.executable, reason: "Debian's chromium is not installed (packaging/dev-setup installs it)")
        }
        let profile = directory + "/profile-" + name
        let screenshot = directory + "/" + name + ".png"
        let domFile = directory + "/" + name + ".dom.html"
        let log = directory + "/" + name + ".log"
        try? FileManager.default.removeItem(atPath: screenshot)
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        let addresses = Set(hosts.values)
        let rules = (hosts.sorted { $0.key < $1.key }.map { "MAP \($0.key) \($0.value)" } + ["MAP * ~NOTFOUND"]
            + addresses.sorted().map { "EXCLUDE \($0)" }).joined(separator: ", ")
        let arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                         "--disable-sync", "--disable-background-networking", "--disable-component-update", "--disable-breakpad",
                         "--metrics-recording-only", "--disable-features=NetworkTimeServiceQuerying",
                         "--host-resolver-rules=\(rules)", "--hide-scrollbars", "--user-data-dir=\(profile)",
                         "--window-size=\(width),\(height)", "--screenshot=\(screenshot)", "--dump-dom", url]
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = directory + "/xdg-config"
        environment["XDG_CACHE_HOME"] = directory + "/xdg-cache"
        // stdout (the DOM) and stderr (dbus noise, "bytes written") apart.
        let result = try ChildProcess.run("/bin/sh", ["-c", #"dom=$1; log=$2; shift 2; exec "$@" >"$dom" 2>"$log""#, "sh", domFile, log,
                                                       Self.executable] + arguments,
                                          environment: environment, timeout: .seconds(60))
        let stderr = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard result.status == 0, FileManager.default.fileExists(atPath: screenshot) else {
            throw FixtureError.commandFailed(command: "chromium \(url)", status: result.status, output: result.output + stderr)
        }
        return Rendering(dom: try String(contentsOfFile: domFile, encoding: .utf8), screenshot: screenshot, log: stderr)
    }

    /// `packaging/png-check`: the PNG's size is `width`×`height`, it has more than one colour and
    /// every colour in `colours` (`#rrggbb`). Returns nil when it holds, else why not.
    static func checkPicture(_ path: String, width: Int, height: Int, colours: [String] = []) throws -> String? {
        let result = try ChildProcess.run("/usr/bin/python3", [pngCheck, path, "\(width)", "\(height)"] + colours, timeout: .seconds(60))
        return result.status == 0 ? nil : result.output
    }
}
