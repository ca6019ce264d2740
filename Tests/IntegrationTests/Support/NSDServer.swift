import Foundation
import Glibc
import HostwatchCore

/// A private nsd (Debian's authoritative nameserver) serving test zones on one loopback address
/// (port 53) and optionally on `::1` at a port of its own, in the foreground under
/// `ChildProcess`, with its config, zone files, pid file, xfrd state and log in one directory.
///
/// Response rate limiting is off: Debian's nsd drops (or truncates) answers past 200 a second
/// for one source network, and every test query comes from 127.0.0.0/24.
///
/// `stop()` makes every query fail at once (ICMP port unreachable); `start()` again serves the
/// same zones. Tests call `shutdown()` in a `defer`; `deinit` does the same as a backstop.
final class NSDServer: @unchecked Sendable {
    /// One zone: its name and the zone file's text (`$ORIGIN` is added).
    struct Zone: Sendable {
        var name: String
        var records: String
    }

    let address: String
    /// The `::1` port, when nsd also listens there.
    let ipv6Port: UInt16?
    let zones: [Zone]
    let directory: String
    let configFile: String
    let logFile: String

    private static let executable = "/usr/sbin/nsd"
    private let lock = NSLock()
    private var process: ChildProcess?

    /// Writes the config and zones into `directory/nsd-ADDRESS` and checks them with `nsd-checkconf`.
    init(directory: String, address: String, ipv6Port: UInt16? = nil, zones: [Zone]) throws {
        precondition(address.hasPrefix("127.") && address.allSatisfy { $0.isNumber || $0 == "." }, "\(address) is not a loopback IPv4 literal")
        self.address = address
        self.ipv6Port = ipv6Port
        self.zones = zones
        self.directory = directory + "/nsd-\(address)"
        configFile = self.directory + "/nsd.conf"
        logFile = self.directory + "/nsd.log"
        try FileManager.default.createDirectory(atPath: self.directory + "/xfr", withIntermediateDirectories: true)
        for zone in zones {
            try "$ORIGIN \(zone.name).\n$TTL 300\n\(zone.records)\n".write(toFile: self.directory + "/\(zone.name).zone", atomically: true, encoding: .utf8)
        }
        try configuration().write(toFile: configFile, atomically: true, encoding: .utf8)
        try ChildProcess.output(of: "/usr/sbin/nsd-checkconf", [configFile])
    }

    deinit {
        shutdown()
    }

    var server: DNSServer { DNSServer(address: address) }

    /// Starts nsd and returns once it answers a query for its first zone over UDP.
    func start(timeout: Duration = .seconds(15)) throws {
        try lock.withLock {
            if let process, process.isRunning { return }
            if Self.answers(address: address, port: 53, zone: zones[0].name) { throw FixtureError.addressInUse(address: address, port: 53) }
            let child = try ChildProcess(executable: Self.executable, arguments: ["-d", "-c", configFile], workingDirectory: directory,
                                         logFile: directory + "/output.log")
            let ready = waitUntil(timeout: timeout, poll: .milliseconds(50)) {
                !child.isRunning || (Self.answers(address: address, port: 53, zone: zones[0].name)
                    && ipv6Port.map { Self.answers(address: "::1", port: $0, zone: zones[0].name) } ?? true)
            }
            if let status = child.waitForExit(timeout: .zero) {
                throw FixtureError.serverExited(command: child.commandLine, status: status, log: logTail())
            }
            guard ready else {
                child.terminate()
                throw FixtureError.serverDidNotStart(command: child.commandLine, address: address, port: 53, log: logTail())
            }
            process = child
        }
    }

    /// Stops nsd and returns once queries to it go unanswered.
    func stop(timeout: Duration = .seconds(10)) throws {
        try lock.withLock {
            guard let child = process else { return }
            child.terminate()
            process = nil
            guard waitUntil(timeout: timeout, poll: .milliseconds(50), { !Self.answers(address: address, port: 53, zone: zones[0].name) }) else {
                throw FixtureError.serverDidNotStop(address: address, port: 53)
            }
        }
    }

    func shutdown() {
        lock.withLock {
            process?.terminate()
            process = nil
        }
    }

    private func configuration() -> String {
        var listen = "  ip-address: \(address)\n"
        if let ipv6Port { listen += "  ip-address: ::1@\(ipv6Port)\n" }
        return """
        server:
        \(listen)  port: 53
          username: ""
          chroot: ""
          zonesdir: "\(directory)"
          database: ""
          pidfile: "\(directory)/nsd.pid"
          xfrdfile: "\(directory)/xfrd.state"
          xfrdir: "\(directory)/xfr"
          zonelistfile: "\(directory)/zone.list"
          logfile: "\(logFile)"
          server-count: 1
          verbosity: 1
          hide-version: yes
          rrl-ratelimit: 0
          do-ip6: \(ipv6Port == nil ? "no" : "yes")
        remote-control:
          control-enable: no

        """ + zones.map { "zone:\n  name: \($0.name)\n  zonefile: \($0.name).zone\n" }.joined(separator: "\n")
    }

    private func logTail() -> String {
        [logFile, directory + "/output.log"].map { path in
            "== \(path)\n" + String(String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self).suffix(4000))
        }.joined(separator: "\n")
    }

    /// Whether `address:port` answers an SOA query for `zone` over UDP within 200 ms: a blocking
    /// probe of the test's own, independent of the transport under test.
    static func answers(address: String, port: UInt16, zone: String) -> Bool {
        guard let ip = IPAddress(address), let name = try? DNSName(zone),
              let query = try? DNSMessage.query(id: 0x5353, name: name, type: .soa).encoded() else { return false }
        let fd = socket(ip.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var storage = sockaddr_storage()
        let length: Int = withUnsafeMutableBytes(of: &storage) { raw in
            if ip.isIPv4 {
                var a = sockaddr_in()
                a.sin_family = sa_family_t(AF_INET)
                a.sin_port = port.bigEndian
                withUnsafeMutableBytes(of: &a.sin_addr) { $0.copyBytes(from: ip.bytes) }
                withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
                return MemoryLayout<sockaddr_in>.size
            }
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &a.sin6_addr) { $0.copyBytes(from: ip.bytes) }
            withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
            return MemoryLayout<sockaddr_in6>.size
        }
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(length)) }
        }
        guard connected == 0, send(fd, query, query.count, 0) == query.count else { return false }
        var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, 200) == 1 else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0, let reply = try? DNSMessage.decode(Array(buffer[0..<n])) else { return false }
        return reply.id == 0x5353 && reply.rcode == .noError && reply.flags.authoritative
    }

    /// A port on `::1` where nothing answers DNS over UDP nor accepts TCP, for nsd's IPv6 listener.
    static func freeIPv6Port() -> UInt16 {
        for _ in 0..<100 {
            let port = UInt16.random(in: 20_000...60_000)
            let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            a.sin6_addr = in6addr_loopback
            let bound = withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
            close(fd)
            if bound == 0 { return port }
        }
        preconditionFailure("no free UDP port on ::1")
    }
}
