import Foundation
import Glibc

/// A private nginx (master plus one worker) serving test domains on one loopback address, in the
/// foreground under `ChildProcess`, with its config, logs, pid file and temp folders in one
/// directory of its own.
///
/// Outages to simulate: `stop()` (dead: connection refused), `hang()` (hung: the kernel still
/// accepts connections into the backlog but nothing answers) and `resume()`.
/// Tests call `shutdown()` in a `defer`; `deinit` does the same as a backstop.
///
/// All members are safe to call from any thread; they are serialised.
final class NginxServer: @unchecked Sendable {
    /// One virtual host: HTTP on `httpPort` always, HTTPS on `httpsPort` when `tls` is set.
    ///
    /// `/` serves `body` from an `index.html`; `/status/503` answers 503.
    struct Site: Sendable {
        /// The `server_name`, e.g. `a.test`.
        var domain: String
        /// PEM files of the certificate and key, as `TestCA.issue` returns them.
        var tls: (certFile: String, keyFile: String)?
        /// Contents of `/`.
        var body: String
        /// nginx directives added verbatim at the end of this site's `server { }` block.
        var extraServerConfig: String

        /// - Parameter body: defaults to `<h1>Welcome to DOMAIN</h1>`.
        init(
            domain: String,
            tls: (certFile: String, keyFile: String)? = nil,
            body: String? = nil,
            extraServerConfig: String = ""
        ) {
            self.domain = domain
            self.tls = tls
            self.body = body ?? "<h1>Welcome to \(domain)</h1>"
            self.extraServerConfig = extraServerConfig
        }
    }

    /// The loopback address every site listens on.
    let address: String
    let httpPort: UInt16
    let httpsPort: UInt16
    let sites: [Site]
    /// nginx's prefix: config, logs, pid file, temp folders and site roots all live here.
    let prefix: String
    let configFile: String
    let accessLogFormat: String?
    let errorLog: String
    let accessLog: String
    /// nginx's own stdout and stderr (early startup errors land here).
    let outputLog: String
    /// The ports nginx listens on: `httpPort`, and `httpsPort` when any site has TLS.
    let ports: [UInt16]

    private static let executable = "/usr/sbin/nginx"
    private let lock = NSLock()
    /// The running master; guarded by `lock`.
    private var process: ChildProcess?

    /// Writes the configuration and site roots into `directory/nginx-ADDRESS-PORT` and checks
    /// them with `nginx -t`. Nothing listens until `start()`.
    ///
    /// - Parameter address: an IPv4 literal in 127.0.0.0/8, e.g. from `freeLoopbackAddress()`.
    /// - Throws: `FixtureError.commandFailed` with nginx's complaint if the config is rejected
    ///   (for example a bad `extraServerConfig`), `FixtureError.fileSystem` if a file cannot be
    ///   written.
    /// - Parameter accessLogFormat: what each access log line holds (nginx variables, e.g.
    ///   `$host $ssl_session_reused`); nil for nginx's combined format.
    init(directory: String, address: String, httpPort: UInt16 = 80, httpsPort: UInt16 = 443, sites: [Site],
         accessLogFormat: String? = nil) throws {
        precondition(address.hasPrefix("127.") && address.allSatisfy { $0.isNumber || $0 == "." },
                     "\(address) is not a loopback IPv4 literal")
        precondition(!sites.isEmpty, "nginx needs at least one site")
        for site in sites {
            precondition(!site.domain.isEmpty && site.domain.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") },
                         "\(site.domain) is not a plain domain name")
        }
        self.address = address
        self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.sites = sites
        self.accessLogFormat = accessLogFormat
        prefix = directory + "/nginx-\(address)-\(httpPort)"
        configFile = prefix + "/nginx.conf"
        errorLog = prefix + "/logs/error.log"
        accessLog = prefix + "/logs/access.log"
        outputLog = prefix + "/logs/output.log"
        ports = sites.contains { $0.tls != nil } ? [httpPort, httpsPort] : [httpPort]

        try Self.createDirectory(prefix + "/logs")
        try Self.createDirectory(prefix + "/temp")
        for site in sites {
            try Self.createDirectory(prefix + "/sites/\(site.domain)")
            try Self.write(site.body, to: prefix + "/sites/\(site.domain)/index.html")
        }
        try Self.write(configuration(), to: configFile)
        try ChildProcess.output(of: Self.executable, ["-t"] + commonArguments, workingDirectory: prefix)
    }

    deinit {
        shutdown()
    }

    /// PID of the nginx master while it runs.
    var pid: pid_t? {
        lock.withLock { process?.pid }
    }

    /// Whether the master process is alive (a hung server is running).
    var isRunning: Bool {
        lock.withLock { process?.isRunning ?? false }
    }

    /// Starts nginx and returns once every port in `ports` accepts connections.
    ///
    /// Starting a running server does nothing.
    /// - Throws: `FixtureError.addressInUse` if something already listens there (another test's
    ///   server, which would otherwise answer in our place), `FixtureError.serverExited` with the
    ///   error log if nginx exits (bind failure, unreadable certificate), and
    ///   `FixtureError.serverDidNotStart` if it does not accept within `timeout`.
    func start(timeout: Duration = .seconds(10)) throws {
        try lock.withLock {
            if let process, process.isRunning { return }
            process = nil
            for port in ports where tcpConnects(host: address, port: port) {
                throw FixtureError.addressInUse(address: address, port: port)
            }
            let child = try ChildProcess(
                executable: Self.executable, arguments: commonArguments,
                workingDirectory: prefix, logFile: outputLog)
            let accepting = waitUntil(timeout: timeout, poll: .milliseconds(50)) {
                !child.isRunning || ports.allSatisfy { tcpConnects(host: address, port: $0) }
            }
            if let status = child.waitForExit(timeout: .zero) {
                throw FixtureError.serverExited(command: child.commandLine, status: status, log: logTail())
            }
            guard accepting else {
                child.terminate()
                throw FixtureError.serverDidNotStart(
                    command: child.commandLine, address: address, port: ports[0], log: logTail())
            }
            process = child
        }
    }

    /// Stops nginx (TERM to the group, KILL after 10 s) and returns once no port accepts
    /// connections any more, so a check run right after sees "connection refused".
    ///
    /// Stopping a stopped server does nothing. A hung server is thawed so it can act on TERM.
    /// - Throws: `FixtureError.serverDidNotStop` if a port still accepts after `timeout`.
    func stop(timeout: Duration = .seconds(10)) throws {
        try lock.withLock {
            guard let child = process else { return }
            child.terminate()
            process = nil
            let refused = waitUntil(timeout: timeout, poll: .milliseconds(50)) {
                !ports.contains { tcpConnects(host: address, port: $0) }
            }
            if !refused, let port = ports.first(where: { tcpConnects(host: address, port: $0) }) {
                throw FixtureError.serverDidNotStop(address: address, port: port)
            }
        }
    }

    /// Freezes master and worker with `SIGSTOP`: connections are still accepted by the kernel,
    /// but no request is ever answered, until `resume()`.
    /// - Throws: `FixtureError.signalFailed` if nginx has exited.
    func hang() throws {
        try signal(SIGSTOP)
    }

    /// Thaws a server frozen by `hang()` (`SIGCONT` to the group).
    /// - Throws: `FixtureError.signalFailed` if nginx has exited.
    func resume() throws {
        try signal(SIGCONT)
    }

    /// Stops nginx if it runs, without waiting for the ports to close; for `defer` and `deinit`.
    func shutdown() {
        lock.withLock {
            process?.terminate()
            process = nil
        }
    }

    // MARK: - Configuration

    private func signal(_ sig: Int32) throws {
        try lock.withLock {
            precondition(process != nil, "signal \(sig) sent to an nginx that was never started")
            try process?.signalGroup(sig)
        }
    }

    /// `daemon off;` is given only here, on the command line: nginx rejects it in the file as
    /// well ("directive is duplicate").
    private var commonArguments: [String] {
        ["-p", prefix + "/", "-c", configFile, "-e", errorLog, "-g", "daemon off;"]
    }

    private func configuration() -> String {
        // Running as root, workers would switch to `nobody`, which cannot enter a 0700 temp
        // directory; as anyone else the directive is ignored with a warning, so leave it out.
        let user = geteuid() == 0 ? "user root;\n" : ""
        let temp = prefix + "/temp"
        return """
            \(user)worker_processes 1;
            master_process on;
            pid "\(prefix)/nginx.pid";
            error_log "\(errorLog)" notice;

            events {
                worker_connections 512;
            }

            http {
                types {
                    text/html html;
                    text/plain txt;
                }
                default_type application/octet-stream;
                \(accessLogFormat.map { "log_format test '\($0)';\n    access_log \"\(accessLog)\" test;" } ?? "access_log \"\(accessLog)\";")
                client_body_temp_path "\(temp)/client_body";
                proxy_temp_path "\(temp)/proxy";
                fastcgi_temp_path "\(temp)/fastcgi";
                uwsgi_temp_path "\(temp)/uwsgi";
                scgi_temp_path "\(temp)/scgi";

            \(sites.map(serverBlock).joined(separator: "\n"))
            }

            """
    }

    private func serverBlock(_ site: Site) -> String {
        var lines = ["    listen \(address):\(httpPort);"]
        if let tls = site.tls {
            lines.append("    listen \(address):\(httpsPort) ssl;")
            lines.append("    ssl_certificate \"\(tls.certFile)\";")
            lines.append("    ssl_certificate_key \"\(tls.keyFile)\";")
        }
        lines.append("    server_name \(site.domain);")
        lines.append("    root \"\(prefix)/sites/\(site.domain)\";")
        lines.append("    location = /status/503 { return 503; }")
        if !site.extraServerConfig.isEmpty {
            lines.append(site.extraServerConfig)
        }
        return "server {\n" + lines.joined(separator: "\n") + "\n}\n"
    }

    /// The end of the error log and nginx's own output, for error messages.
    private func logTail() -> String {
        [errorLog, outputLog].map { path in
            let text = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
            return "== \(path)\n" + String(text.suffix(4000))
        }.joined(separator: "\n")
    }

    private static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FixtureError.fileSystem(path: path, reason: "cannot create directory: \(error)")
        }
    }

    private static func write(_ text: String, to path: String) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw FixtureError.fileSystem(path: path, reason: "cannot write: \(error)")
        }
    }
}

extension NginxServer {
    /// Runs `body` with a running nginx serving one HTTPS (and HTTP) site, `domain`, its
    /// certificate from a fresh test CA and `extraServerConfig` in its server block; everything
    /// lives in a temporary directory removed afterwards.
    static func withTLSSite(_ domain: String, prefix: String, extraServerConfig: String,
                            _ body: (NginxServer, TestCA) async throws -> Void) async throws {
        let dir = try TempDirectory(prefix: prefix)
        defer { try? dir.remove() }
        let ca = try TestCA(directory: dir.appending("ca"))
        let nginx = try NginxServer(directory: dir.path, address: freeLoopbackAddress(), sites: [
            .init(domain: domain, tls: try ca.issue(names: [domain], days: 90), extraServerConfig: extraServerConfig),
        ])
        defer { nginx.shutdown() }
        try nginx.start()
        try await body(nginx, ca)
    }
}
