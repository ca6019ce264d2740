import Foundation
import Glibc

/// A private Apache 2.4 (Debian `apache2`, mpm_event) serving name-based vhosts on one loopback
/// address, in the foreground under `ChildProcess`, with its config, logs and document roots in
/// a directory of its own. `apache2ctl -f CONFIG -S` prints its vhost table.
final class ApacheServer: @unchecked Sendable {
    /// One vhost: HTTP on 80, and HTTPS on 443 with `tls`.
    struct Site: Sendable {
        var domain: String
        var aliases: [String] = []
        var tls: (certFile: String, keyFile: String)?
    }

    let address: String
    let directory: String
    let configFile: String
    let sites: [Site]
    private let lock = NSLock()
    private var process: ChildProcess?

    init(directory: String, address: String, sites: [Site]) throws {
        precondition(address.hasPrefix("127."), "\(address) is not a loopback address")
        self.address = address
        self.directory = directory
        self.sites = sites
        configFile = directory + "/apache2.conf"
        for folder in ["run", "logs", "sites"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true)
        }
        chmod(directory, 0o755)
        let modules = "/usr/lib/apache2/modules"
        var config = """
        ServerRoot "\(directory)"
        PidFile \(directory)/run/apache2.pid
        Mutex file:\(directory)/run default
        ErrorLog \(directory)/logs/error.log
        LoadModule mpm_event_module \(modules)/mod_mpm_event.so
        LoadModule authz_core_module \(modules)/mod_authz_core.so
        LoadModule ssl_module \(modules)/mod_ssl.so
        LoadModule mime_module \(modules)/mod_mime.so
        LoadModule dir_module \(modules)/mod_dir.so
        TypesConfig /etc/mime.types
        User nobody
        Group nogroup
        ServerName web01.lab.test
        Listen \(address):80

        """
        if sites.contains(where: { $0.tls != nil }) { config += "Listen \(address):443\n" }
        config += "IncludeOptional \(directory)/sites/*.conf\n"
        try config.write(toFile: configFile, atomically: true, encoding: .utf8)
        for site in sites {
            let root = directory + "/www/" + site.domain
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try "<h1>Welcome to \(site.domain)</h1>\n".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
            let names = "\tServerName \(site.domain)\n" + (site.aliases.isEmpty ? "" : "\tServerAlias \(site.aliases.joined(separator: " "))\n")
            var vhost = "<VirtualHost \(address):80>\n\(names)\tDocumentRoot \(root)\n</VirtualHost>\n"
            if let tls = site.tls {
                vhost += "<VirtualHost \(address):443>\n\(names)\tDocumentRoot \(root)\n\tSSLEngine on\n"
                vhost += "\tSSLCertificateFile \(tls.certFile)\n\tSSLCertificateKeyFile \(tls.keyFile)\n</VirtualHost>\n"
            }
            try vhost.write(toFile: directory + "/sites/\(site.domain).conf", atomically: true, encoding: .utf8)
        }
    }

    deinit { shutdown() }

    /// Starts apache2 in the foreground and returns once its ports accept.
    func start() throws {
        try lock.withLock {
            if let process, process.isRunning { return }
            let ports: [UInt16] = sites.contains { $0.tls != nil } ? [80, 443] : [80]
            for port in ports where tcpConnects(host: address, port: port) { throw FixtureError.addressInUse(address: address, port: port) }
            let child = try ChildProcess(executable: "/usr/sbin/apache2", arguments: ["-f", configFile, "-DFOREGROUND"],
                                         logFile: directory + "/logs/output.log")
            let accepting = waitUntil(timeout: .seconds(15), poll: .milliseconds(50)) {
                !child.isRunning || ports.allSatisfy { tcpConnects(host: address, port: $0) }
            }
            let log = { (try? String(contentsOfFile: self.directory + "/logs/error.log", encoding: .utf8)) ?? "" }
            if let status = child.waitForExit(timeout: .zero) {
                throw FixtureError.serverExited(command: child.commandLine, status: status, log: log())
            }
            guard accepting else {
                child.terminate()
                throw FixtureError.serverDidNotStart(command: child.commandLine, address: address, port: ports[0], log: log())
            }
            process = child
        }
    }

    func shutdown() {
        lock.withLock {
            _ = process?.terminate()
            process = nil
        }
    }
}
