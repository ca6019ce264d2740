import Foundation
import Glibc

/// A TCP listener on 127.0.0.1 with a port of the kernel's choosing, for fault injection and
/// small stand-ins (a hostile server, a holding proxy, a heartbeat receiver); real servers are
/// the integration tests' business: each accepted connection is handed to
/// `behaviour` on its own thread and closed when it returns. `stop()` closes the listener and every connection.
public final class FakeServer: @unchecked Sendable {
    public let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var connections: [Int32] = []
    private var stopped = false

    public init(_ behaviour: @escaping @Sendable (Int32) -> Void) throws {
        // Close-on-exec: servers started by a test must not inherit the listener.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 128) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        start(behaviour)
    }

    private func start(_ behaviour: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread { [self] in
            while true {
                let fd = accept(listener, nil, nil)
                // The accept thread alone closes the listener, after `stop()` shut it down, so
                // its descriptor number cannot be reused by another server while it still waits.
                guard fd >= 0 else { close(listener); return }
                let keep = lock.withLock { () -> Bool in
                    guard !stopped else { return false }
                    connections.append(fd)
                    return true
                }
                guard keep else { close(fd); return }
                Thread { [self] in
                    behaviour(fd)
                    finish(fd)
                }.start()
            }
        }
        thread.start()
    }

    /// Closes a connection once its behaviour returns; behaviours never close their descriptor,
    /// so `stop()` cannot shut down a reused number belonging to someone else.
    private func finish(_ fd: Int32) {
        lock.withLock {
            connections.removeAll { $0 == fd }
            close(fd)
        }
    }

    public func stop() {
        lock.withLock {
            stopped = true
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// Writes all of `bytes`; false once the peer is gone.
    /// An HTTP server that reads the request, sends `head`, then `repeating` until the client
    /// hangs up: an endless body or endless headers.
    public static func endlessHTTP(head: String, repeating: [UInt8]) throws -> FakeServer {
        try FakeServer { fd in
            readRequest(fd)
            _ = send(fd, Array(head.utf8))
            while send(fd, repeating) {}
        }
    }

    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads the request head (up to the blank line, or whatever arrives first).
    public static func readRequest(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = read(fd, &buffer, buffer.count)
    }
}
