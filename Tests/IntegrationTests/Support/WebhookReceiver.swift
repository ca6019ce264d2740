import Foundation
import Glibc
import HostwatchTestKit

/// A webhook endpoint played in-process on 127.0.0.1 (a port of the kernel's choosing): it reads
/// each POST (head and Content-Length body), keeps it, and answers `status` (200 unless the test
/// sets another, to inject failures). `stop()` closes it.
final class WebhookReceiver: @unchecked Sendable {
    /// One request as received.
    struct Request: Sendable {
        var head: [String]
        var body: Data

        func header(_ name: String) -> String? {
            head.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }

        /// The body as a JSON object (`hostwatch.event/1`), or nil.
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    }

    var port: UInt16 { server.port }
    var url: String { "http://127.0.0.1:\(server.port)/hooks/hostwatch" }
    private let lock = NSLock()
    private var kept: [Request] = []
    private var answer = 200
    private var server: FakeServer!

    init() throws {
        server = try FakeServer { [unowned self] fd in
            while let bytes = HoldingProxy.readMessage(fd, isResponse: false),
                  let split = Data(bytes).range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: bytes[0..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                let request = Request(head: head, body: Data(bytes[split.upperBound...]))
                let code = lock.withLock { () -> Int in
                    kept.append(request)
                    return answer
                }
                let reply = "HTTP/1.1 \(code) \(code == 200 ? "OK" : "Failing")\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                _ = FakeServer.send(fd, Array(reply.utf8))
                return
            }
        }
    }

    /// Every request so far, in arrival order.
    var requests: [Request] { lock.withLock { kept } }

    /// What the next requests are answered with.
    func answer(with status: Int) { lock.withLock { answer = status } }

    func stop() { server.stop() }
}
