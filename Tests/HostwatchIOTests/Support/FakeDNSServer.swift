import Foundation
import Glibc
import HostwatchCore

/// A DNS server in this process, for fault injection only (real answers come from nsd in the
/// integration tests): a UDP socket on 127.0.0.1 (or ::1) with a port of the kernel's choosing,
/// and a TCP listener on the same port. Each query is handed to `udp` or `tcp`, which return the
/// datagrams (or the framed bytes) to send back.
final class FakeDNSServer: @unchecked Sendable {
    let address: String
    let port: UInt16
    private let udpFD: Int32
    private let tcpFD: Int32
    private let lock = NSLock()
    private var stopped = false
    private var udpQueries = 0
    private var tcpQueries = 0
    private var udpPorts: [UInt16] = []
    /// When set, UDP replies leave from this socket (another address) instead of the server's.
    private var replyFD: Int32 = -1

    /// - Parameters:
    ///   - udp: the replies to one UDP query (none: stay silent; several: send each).
    ///   - tcp: the bytes to write on a TCP connection for one query (length prefix included), or nil to close.
    ///   - replyFrom: an IPv4 loopback address to send the UDP replies from (a spoofed source),
    ///     or nil to reply from the server's own address.
    init(ipv6: Bool = false, replyFrom: String? = nil, udp: @escaping @Sendable ([UInt8]) -> [[UInt8]],
         tcp: @escaping @Sendable ([UInt8]) -> [UInt8]? = { _ in nil }) throws {
        address = ipv6 ? "::1" : "127.0.0.1"
        let family = ipv6 ? AF_INET6 : AF_INET
        // Bind UDP to a port of the kernel's choosing, then TCP to the same port (trying again
        // with fresh sockets if that port is taken on TCP).
        var udpSocket = Int32(-1), tcpSocket = Int32(-1), chosen: UInt16 = 0
        for _ in 0..<20 {
            udpSocket = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
            tcpSocket = socket(family, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(tcpSocket, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if Self.bind(udpSocket, ipv6: ipv6, port: 0) {
                chosen = Self.localPort(udpSocket, ipv6: ipv6)
                if Self.bind(tcpSocket, ipv6: ipv6, port: chosen), listen(tcpSocket, 16) == 0 { break }
            }
            close(udpSocket)
            close(tcpSocket)
            chosen = 0
        }
        guard chosen != 0 else { throw POSIXError(.EADDRINUSE) }
        udpFD = udpSocket
        tcpFD = tcpSocket
        port = chosen
        if let replyFrom {
            replyFD = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            var from = sockaddr_in()
            from.sin_family = sa_family_t(AF_INET)
            from.sin_addr.s_addr = inet_addr(replyFrom)
            let bound = withUnsafePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(replyFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        }
        Thread { [self] in serveUDP(udp) }.start()
        Thread { [self] in serveTCP(tcp) }.start()
    }

    var server: DNSServer { DNSServer(address: address, port: Int(port)) }
    var counts: (udp: Int, tcp: Int) { lock.withLock { (udpQueries, tcpQueries) } }
    /// The source port of each UDP query, in the order they came.
    var sourcePorts: [UInt16] { lock.withLock { udpPorts } }

    func stop() {
        lock.withLock { stopped = true }
        shutdown(tcpFD, Int32(SHUT_RDWR))
        // Wake the UDP reader with an empty datagram; the reader threads close their descriptors.
        let ipv6 = address == "::1"
        let waker = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { raw -> Int in
            if ipv6 {
                var a = sockaddr_in6()
                a.sin6_family = sa_family_t(AF_INET6)
                a.sin6_port = port.bigEndian
                a.sin6_addr = in6addr_loopback
                withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
                return MemoryLayout<sockaddr_in6>.size
            }
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            withUnsafeBytes(of: a) { raw.copyMemory(from: $0) }
            return MemoryLayout<sockaddr_in>.size
        }
        _ = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(waker, nil, 0, 0, $0, socklen_t(length)) }
        }
        close(waker)
    }

    private func serveUDP(_ behaviour: @Sendable ([UInt8]) -> [[UInt8]]) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udpFD, &buffer, buffer.count, 0, $0, &length) }
            }
            if n < 0 || lock.withLock({ stopped }) {
                close(udpFD)
                if replyFD >= 0 { close(replyFD) }
                return
            }
            // sin_port and sin6_port are both at offset 2, in network order.
            let port = withUnsafeBytes(of: &peer) { UInt16($0[2]) << 8 | UInt16($0[3]) }
            lock.withLock {
                udpQueries += 1
                udpPorts.append(port)
            }
            let from = replyFD >= 0 ? replyFD : udpFD
            for reply in behaviour(Array(buffer[0..<n])) {
                _ = withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(from, reply, reply.count, 0, $0, length) }
                }
            }
        }
    }

    private func serveTCP(_ behaviour: @escaping @Sendable ([UInt8]) -> [UInt8]?) {
        while true {
            let fd = accept(tcpFD, nil, nil)
            if fd < 0 || lock.withLock({ stopped }) {
                if fd >= 0 { close(fd) }
                close(tcpFD)
                return
            }
            Thread { [self] in
                defer { close(fd) }
                var head = [UInt8](repeating: 0, count: 2)
                guard Self.readFully(fd, &head) else { return }
                var query = [UInt8](repeating: 0, count: Int(head[0]) << 8 | Int(head[1]))
                guard Self.readFully(fd, &query) else { return }
                lock.withLock { tcpQueries += 1 }
                guard let reply = behaviour(query) else { return }
                var offset = 0
                while offset < reply.count {
                    let n = reply[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { return }
                    offset += n
                }
                // Half-close: the client sees the end of the stream, and we wait for it to close.
                shutdown(fd, Int32(SHUT_WR))
                var sink = [UInt8](repeating: 0, count: 16)
                _ = read(fd, &sink, sink.count)
            }.start()
        }
    }

    static func readFully(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    static func bind(_ fd: Int32, ipv6: Bool, port: UInt16) -> Bool {
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = in6addr_loopback
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            } == 0
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func localPort(_ fd: Int32, ipv6: Bool) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return withUnsafeBytes(of: storage) { raw in
            // sin_port and sin6_port sit at the same offset, right after the family.
            UInt16(raw[2]) << 8 | UInt16(raw[3])
        }
    }

    /// A reply to `query` built by `edit` from a plain authoritative NOERROR answer.
    static func reply(to query: [UInt8], _ edit: (inout DNSMessage) -> Void = { _ in }) -> [UInt8] {
        guard let question = try? DNSMessage.decode(query) else { return [] }
        var reply = DNSMessage(id: question.id, questions: question.questions)
        reply.flags.isResponse = true
        reply.flags.authoritative = true
        edit(&reply)
        return (try? reply.encoded()) ?? []
    }
}
