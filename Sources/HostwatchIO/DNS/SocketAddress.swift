import Glibc
import HostwatchCore

/// An IPv4 or IPv6 socket address built from a literal, never from a name.
struct SocketAddress {
    var storage = sockaddr_storage()
    var length: socklen_t
    var family: Int32

    init?(_ server: DNSServer) {
        guard (1...65535).contains(server.port), let ip = IPAddress(server.address) else { return nil }
        let port = UInt16(server.port).bigEndian
        if ip.isIPv4 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port
            withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: ip.bytes) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port
            withUnsafeMutableBytes(of: &address.sin6_addr) { $0.copyBytes(from: ip.bytes) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
            }
        }
    }

    /// `connect(2)` on a socket of this family.
    func connect(_ fd: Int32) -> Int32 {
        var copy = storage
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
    }
}
