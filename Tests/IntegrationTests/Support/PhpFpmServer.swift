import Foundation
import Glibc

/// A private PHP-FPM master (Debian's `php-fpm8.2`) with one static pool on a unix socket, in
/// the foreground under `ChildProcess` (`-F -R`: workers as root, as the test runs), its config,
/// log, pid file and socket in one directory. `stop()` is what a dead pool looks like to nginx
/// (the socket file gone: 502 at once).
final class PhpFpmServer: @unchecked Sendable {
    static let executable = "/usr/sbin/php-fpm8.2"
    let directory: String
    let configFile: String
    let socket: String
    let pidFile: String
    let log: String
    /// A PHP script that names the host it was asked for.
    let script: String
    private let lock = NSLock()
    private var process: ChildProcess?

    init(directory: String) throws {
        self.directory = directory + "/fpm"
        configFile = self.directory + "/php-fpm.conf"
        socket = self.directory + "/php.sock"
        pidFile = self.directory + "/php-fpm.pid"
        log = self.directory + "/php-fpm.log"
        script = self.directory + "/index.php"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        // nginx's worker (nobody) must reach the socket and the script.
        chmod(directory, 0o755)
        chmod(self.directory, 0o755)
        try """
        [global]
        pid = \(pidFile)
        error_log = \(log)
        daemonize = no

        [www]
        listen = \(socket)
        listen.mode = 0666
        pm = static
        pm.max_children = 2
        """.write(toFile: configFile, atomically: true, encoding: .utf8)
        try "<?php echo \"php ok for \", $_SERVER['HTTP_HOST'] ?? '-', \"\\n\";\n".write(toFile: script, atomically: true, encoding: .utf8)
    }

    deinit { shutdown() }

    /// nginx directives that pass `/index.php` of a site to this pool.
    var nginxLocation: String {
        """
        location = /index.php {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \(script);
            fastcgi_pass unix:\(socket);
        }
        """
    }

    /// Starts the pool and returns once its socket accepts connections.
    func start(timeout: Duration = .seconds(10)) throws {
        try lock.withLock {
            if let process, process.isRunning { return }
            let child = try ChildProcess(executable: Self.executable, arguments: ["-F", "-R", "-y", configFile],
                                         workingDirectory: directory, logFile: directory + "/output.log")
            let ready = waitUntil(timeout: timeout, poll: .milliseconds(20)) { !child.isRunning || Self.accepts(socket) }
            guard ready, child.isRunning else {
                child.terminate()
                let output = (try? String(contentsOfFile: directory + "/output.log", encoding: .utf8)) ?? ""
                throw FixtureError.serverDidNotStart(command: child.commandLine, address: socket, port: 0, log: output)
            }
            process = child
        }
    }

    /// Stops the pool (TERM: the master removes its socket) and waits until nothing accepts.
    func stop() {
        lock.withLock {
            process?.terminate()
            process = nil
        }
        _ = waitUntil(timeout: .seconds(10), poll: .milliseconds(20)) { !Self.accepts(socket) }
    }

    /// Stops a pool started by anyone (a remediation's `php-fpm8.2 -D`) through its pid file.
    func shutdown() {
        stop()
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
           pid > 1 {
            kill(pid, SIGTERM)
            _ = waitUntil(timeout: .seconds(10), poll: .milliseconds(20)) { kill(pid, 0) != 0 }
        }
    }

    /// Whether a connect to the unix socket succeeds.
    static func accepts(_ path: String) -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + 1)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        } == 0
    }
}
