import Foundation
import Glibc
import HostwatchTestKit

/// The outside service a heartbeat pings (healthchecks.io and the like), played in-process on
/// 127.0.0.1 with a port of the kernel's choosing: it answers every request `200 OK` and
/// records each request line. `stop()` closes it.
final class PingReceiver: @unchecked Sendable {
    var port: UInt16 { server.port }
    private let lock = NSLock()
    private var lines: [String] = []
    private var server: FakeServer!

    init() throws {
        server = try FakeServer { [unowned self] fd in
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buffer, buffer.count)
            let head = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
            if let line = head.split(separator: "\r\n").first { lock.withLock { lines.append(String(line)) } }
            _ = FakeServer.send(fd, Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK".utf8))
        }
    }

    /// The request lines received so far (`GET /ping/… HTTP/1.1`).
    var requests: [String] { lock.withLock { lines } }

    func stop() { server.stop() }
}
