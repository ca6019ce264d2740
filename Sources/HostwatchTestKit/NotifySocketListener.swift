import Dispatch
import Glibc

/// Plays systemd's side of the notify protocol in tests: an `AF_UNIX` datagram socket, bound to
/// a path or an abstract name, whose `name` goes in the agent's `$NOTIFY_SOCKET`. Datagrams wait
/// in the kernel's queue until `receive` reads them. (`Sendable`: only the descriptor is shared,
/// and `recv` is safe from any thread.)
public final class NotifySocketListener: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The value for `$NOTIFY_SOCKET`: the path, or `@name` for an abstract socket.
    public let name: String
    private let fd: Int32

    /// Binds a socket at `path` (a file system socket) or, when `path` starts with `@`, in the
    /// abstract namespace.
    public init(_ path: String) throws(Failure) {
        name = path
        var bytes = Array(path.utf8)
        if path.hasPrefix("@") { bytes[0] = 0 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure(description: "\(path): too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard fd >= 0, bound == 0 else {
            let reason = String(cString: strerror(errno))
            if fd >= 0 { close(fd) }
            throw Failure(description: "\(path): cannot bind: \(reason)")
        }
        // The agent runs as another user in the package test: let it reach a path socket.
        if !path.hasPrefix("@") { chmod(path, 0o666) }
    }

    deinit {
        close(fd)
        if !name.hasPrefix("@") { unlink(name) }
    }

    /// The same wait off the cooperative pool: a test waiting for a task's datagram must not
    /// block one of the pool's threads (two on a 2-core machine) while that task needs one.
    public func next(timeout: Duration) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: self.receive(timeout: timeout)) }
        }
    }

    /// The next datagram, or nil when none arrives within `timeout`.
    public func receive(timeout: Duration) -> String? {
        var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        guard poll(&waiting, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// Reads datagrams until one satisfies `match` (returned) or `timeout` passes (nil). Every
    /// datagram read on the way is appended to `seen`.
    public func receive(until match: (String) -> Bool, timeout: Duration, seen: inout [String]) -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            guard let message = receive(timeout: clock.now.duration(to: deadline)) else { return nil }
            seen.append(message)
            if match(message) { return message }
        }
        return nil
    }
}
