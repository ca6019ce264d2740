import Foundation
import Glibc

/// A private postfix (25 with STARTTLS, 587 submission with STARTTLS and SASL through dovecot,
/// 465 with TLS) and dovecot (IMAP 143/993, POP3 110/995) serving test mail domains on one
/// loopback address, with a probe account whose mail is delivered into a Maildir of the test's
/// own. The configuration comes from `packaging/mail-servers-config` (which bench-mail uses too).
///
/// Mail never leaves the machine: every transport but local delivery is `error:`, and postfix
/// runs in a private mount namespace whose `/etc/resolv.conf` points at 127.0.0.1 only.
/// Outages: `stopPostfix()`, `stopDovecot()`, `postconf(_:)` plus `reloadPostfix()`, `useCertificate(_:)`.
/// Call `shutdown()` in a `defer`; `deinit` does the same as a backstop. Safe from any thread.
final class MailServers: @unchecked Sendable {
    static let postfixPorts: [UInt16] = [25, 587, 465]
    static let dovecotPorts: [UInt16] = [143, 993, 110, 995]

    let address: String
    let directory: String
    let user: String
    let passwordFile: String
    /// The probe account's Maildir.
    let maildir: String
    let certFile: String
    let keyFile: String

    private let lock = NSLock()
    private var postfix: ChildProcess?
    private var dovecot: ChildProcess?

    /// The repository, found from this file's place in it.
    static let repository: String = {
        var path = #filePath
        for _ in 0..<4 { path = (path as NSString).deletingLastPathComponent }
        return path
    }()

    /// Writes both configurations into `directory` for `domains` (the first hosts the probe
    /// account `user`) with the certificate in `cert`. Nothing runs until `start()`.
    init(directory: String, address: String, cert: (certFile: String, keyFile: String), domains: [String], user: String,
         password: String) throws {
        precondition(address.hasPrefix("127."), "\(address) is not a loopback address")
        self.address = address
        self.directory = directory
        self.user = user
        certFile = directory + "/tls/cert.pem"
        keyFile = directory + "/tls/key.pem"
        let parts = user.split(separator: "@")
        maildir = directory + "/mail/\(parts[1])/\(parts[0])"
        passwordFile = directory + "/probe.pw"
        try FileManager.default.createDirectory(atPath: directory + "/tls", withIntermediateDirectories: true)
        try password.write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        try useCertificateFiles(cert)
        try ChildProcess.output(of: Self.repository + "/packaging/mail-servers-config", [
            directory, address, certFile, keyFile, domains.joined(separator: ","), user, passwordFile,
        ])
        try ChildProcess.output(of: "/usr/sbin/postfix", ["-c", directory + "/postfix", "check"])
        try ChildProcess.output(of: "/usr/bin/doveconf", ["-c", directory + "/dovecot/dovecot.conf", "-n"])
    }

    deinit {
        shutdown()
    }

    /// Starts whichever of postfix and dovecot is not running, and returns once all their ports accept.
    func start() throws {
        try startDovecot()
        try startPostfix()
    }

    func startPostfix() throws {
        try lock.withLock {
            if postfix?.isRunning == true { return }
            // master itself, in the foreground and in our process group (`postfix start-fg` would
            // run it from a script, and master then takes a session of its own: unreachable by PID).
            let script = "mount --bind \(directory)/resolv.conf /etc/resolv.conf && exec /usr/lib/postfix/sbin/master -d -c \(directory)/postfix"
            postfix = try launch("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script],
                                 ports: Self.postfixPorts, log: directory + "/postfix/output.log")
        }
    }

    func startDovecot() throws {
        try lock.withLock {
            if dovecot?.isRunning == true { return }
            dovecot = try launch("/usr/sbin/dovecot", ["-F", "-c", directory + "/dovecot/dovecot.conf"],
                                 ports: Self.dovecotPorts, log: directory + "/dovecot/output.log")
        }
    }

    /// Stops postfix and returns once its ports refuse connections.
    func stopPostfix() throws {
        try lock.withLock {
            postfix?.terminate()
            postfix = nil
            try waitClosed(Self.postfixPorts)
        }
    }

    /// Stops dovecot and returns once its ports refuse connections.
    func stopDovecot() throws {
        try lock.withLock {
            dovecot?.terminate()
            dovecot = nil
            try waitClosed(Self.dovecotPorts)
        }
    }

    /// Changes main.cf settings (`postconf -e`); `reloadPostfix()` makes them count.
    func postconf(_ settings: [String]) throws {
        try ChildProcess.output(of: "/usr/sbin/postconf", ["-c", directory + "/postfix", "-e"] + settings)
    }

    /// Makes the running postfix read its configuration again (new smtpd processes use it).
    func reloadPostfix() throws {
        try ChildProcess.output(of: "/usr/sbin/postfix", ["-c", directory + "/postfix", "reload"])
    }

    /// Serves another certificate: copies it in place and reloads postfix and dovecot.
    func useCertificate(_ cert: (certFile: String, keyFile: String)) throws {
        try useCertificateFiles(cert)
        try reloadPostfix()
        try ChildProcess.output(of: "/usr/bin/doveadm", ["-c", directory + "/dovecot/dovecot.conf", "reload"])
    }

    /// The messages in the probe mailbox (new and seen).
    var messageCount: Int {
        ["new", "cur"].reduce(0) { $0 + ((try? FileManager.default.contentsOfDirectory(atPath: maildir + "/" + $1))?.count ?? 0) }
    }

    /// The postfix log, for messages.
    var postfixLog: String {
        (try? String(contentsOfFile: directory + "/postfix/maillog", encoding: .utf8)) ?? ""
    }

    /// Stops both, without waiting for the ports; for `defer` and `deinit`.
    func shutdown() {
        lock.withLock {
            postfix?.terminate()
            dovecot?.terminate()
            postfix = nil
            dovecot = nil
        }
    }

    // MARK: - Helpers

    private func useCertificateFiles(_ cert: (certFile: String, keyFile: String)) throws {
        for (from, to) in [(cert.certFile, certFile), (cert.keyFile, keyFile)] {
            try? FileManager.default.removeItem(atPath: to)
            try FileManager.default.copyItem(atPath: from, toPath: to)
            chmod(to, 0o644)
        }
    }

    private func launch(_ executable: String, _ arguments: [String], ports: [UInt16], log: String) throws -> ChildProcess {
        for port in ports where tcpConnects(host: address, port: port) {
            throw FixtureError.addressInUse(address: address, port: port)
        }
        let child = try ChildProcess(executable: executable, arguments: arguments, logFile: log)
        let accepting = waitUntil(timeout: .seconds(20), poll: .milliseconds(50)) {
            !child.isRunning || ports.allSatisfy { tcpConnects(host: address, port: $0) }
        }
        let output = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        if let status = child.waitForExit(timeout: .zero) {
            throw FixtureError.serverExited(command: child.commandLine, status: status, log: output())
        }
        guard accepting else {
            child.terminate()
            throw FixtureError.serverDidNotStart(command: child.commandLine, address: address, port: ports[0], log: output())
        }
        return child
    }

    private func waitClosed(_ ports: [UInt16]) throws {
        let closed = waitUntil(timeout: .seconds(10), poll: .milliseconds(50)) {
            !ports.contains { tcpConnects(host: address, port: $0) }
        }
        if !closed, let port = ports.first(where: { tcpConnects(host: address, port: $0) }) {
            throw FixtureError.serverDidNotStop(address: address, port: port)
        }
    }
}
