import Foundation
import Glibc

/// A private bind9 `named` (authoritative only, no recursion, no rndc) on one loopback address,
/// in the foreground (`named -g`), its `named.conf` including a `named.conf.local` of zones as
/// Debian lays it out. named listens only on addresses an interface carries, and `lo` carries
/// 127.0.0.1 alone (the rest of 127/8 is routed, not assigned): it answers on 127.0.0.1 at a
/// port of its own.
final class BindServer: @unchecked Sendable {
    let address = "127.0.0.1"
    let port: UInt16
    let directory: String
    let configFile: String
    let zones: [NSDServer.Zone]
    private let lock = NSLock()
    private var process: ChildProcess?

    init(directory: String, port: UInt16, zones: [NSDServer.Zone]) throws {
        self.port = port
        self.directory = directory
        self.zones = zones
        configFile = directory + "/named.conf"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        include "\(directory)/named.conf.options";
        include "\(directory)/named.conf.local";
        // Debian ships the root hints and localhost zones too: not domains.
        zone "localhost" { type master; file "/etc/bind/db.local"; };

        """.write(toFile: configFile, atomically: true, encoding: .utf8)
        try """
        options {
            directory "\(directory)";
            pid-file "\(directory)/named.pid";
            session-keyfile "\(directory)/session.key";
            managed-keys-directory "\(directory)";
            listen-on port \(port) { \(address); };
            listen-on-v6 { none; };
            recursion no;
            dnssec-validation no;
        };
        controls { };

        """.write(toFile: directory + "/named.conf.options", atomically: true, encoding: .utf8)
        var local = ""
        for zone in zones {
            try "$ORIGIN \(zone.name).\n$TTL 300\n\(zone.records)\n".write(toFile: directory + "/db.\(zone.name)", atomically: true, encoding: .utf8)
            local += "zone \"\(zone.name)\" {\n\ttype master;\n\tfile \"\(directory)/db.\(zone.name)\";\n};\n"
        }
        try local.write(toFile: directory + "/named.conf.local", atomically: true, encoding: .utf8)
        try ChildProcess.output(of: "/usr/bin/named-checkconf", [configFile])
    }

    deinit { shutdown() }

    /// Starts named and returns once every zone answers.
    func start() throws {
        try lock.withLock {
            if let process, process.isRunning { return }
            let child = try ChildProcess(executable: "/usr/sbin/named", arguments: ["-g", "-4", "-c", configFile],
                                         workingDirectory: directory, logFile: directory + "/output.log")
            let ready = waitUntil(timeout: .seconds(20), poll: .milliseconds(100)) {
                !child.isRunning || zones.allSatisfy { NSDServer.answers(address: address, port: port, zone: $0.name) }
            }
            let log = { (try? String(contentsOfFile: self.directory + "/output.log", encoding: .utf8)) ?? "" }
            if let status = child.waitForExit(timeout: .zero) {
                throw FixtureError.serverExited(command: child.commandLine, status: status, log: log())
            }
            guard ready else {
                child.terminate()
                throw FixtureError.serverDidNotStart(command: child.commandLine, address: address, port: port, log: log())
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
