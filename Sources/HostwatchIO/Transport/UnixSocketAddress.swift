import Glibc

/// An `AF_UNIX` socket address: a path, or an abstract name written `@name` (systemd's
/// convention). Nil when the name does not fit `sun_path` (a path needs room for its NUL).
struct UnixSocketAddress {
    private var address = sockaddr_un()
    private let length: socklen_t

    init?(_ name: String) {
        var bytes = Array(name.utf8)
        if name.hasPrefix("@") { bytes[0] = 0 }
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count > 1, bytes.count <= capacity - (bytes[0] == 0 ? 0 : 1) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
    }

    /// Calls `body` with the address as `sockaddr` and its length.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var copy = address
        return withUnsafePointer(to: &copy) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}
