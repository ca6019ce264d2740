import Foundation
import Glibc
import HostwatchTestKit

/// A plain-text mail server of the test's own script on a `FakeServer`, for fault injection:
/// it sends `greeting` (raw bytes, line break included, or nothing), then answers each line it
/// reads with what `answer` returns (raw bytes; empty means say nothing and keep listening, so
/// the client waits), and ends the connection after answering QUIT or LOGOUT, or when the
/// client goes. Every line it read is kept in `received`.
final class FakeMailServer: @unchecked Sendable {
    let server: FakeServer
    private let log: Log

    var port: UInt16 { server.port }
    var received: [String] { log.lines }

    init(greeting: [UInt8], answer: @escaping @Sendable (String) -> [UInt8]) throws {
        let box = Log()
        log = box
        server = try FakeServer { fd in
            if !greeting.isEmpty, !FakeServer.send(fd, greeting) { return }
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                while let newline = buffer.firstIndex(of: 10) {
                    var line = String(decoding: buffer[..<newline], as: UTF8.self)
                    if line.hasSuffix("\r") { line.removeLast() }
                    buffer.removeSubrange(...newline)
                    box.append(line)
                    let reply = answer(line)
                    if !reply.isEmpty, !FakeServer.send(fd, reply) { return }
                    let verb = line.split(separator: " ").map { $0.uppercased() }
                    if verb.first == "QUIT" || (verb.count > 1 && verb[1] == "LOGOUT"), !reply.isEmpty { return }
                }
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                buffer.append(contentsOf: chunk[0..<n])
            }
        }
    }

    convenience init(greeting: String, answer: @escaping @Sendable (String) -> String) throws {
        try self.init(greeting: Array(greeting.utf8)) { Array(answer($0).utf8) }
    }

    func stop() { server.stop() }

    private final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var kept: [String] = []
        var lines: [String] { lock.withLock { kept } }
        func append(_ line: String) { lock.withLock { kept.append(line) } }
    }

    /// A well-behaved ESMTP server's answers (RFC 5321), with `overrides` by command verb.
    static func smtp(_ line: String, auth: String? = nil, overrides: [String: String] = [:]) -> String {
        let verb = line.split(separator: " ").first.map { $0.uppercased() } ?? ""
        if let reply = overrides[verb] { return reply }
        switch verb {
        case "EHLO": return "250-fake.test\r\n" + (auth.map { "250-AUTH \($0)\r\n" } ?? "") + "250 8BITMIME\r\n"
        case "MAIL", "RSET": return "250 2.1.0 Ok\r\n"
        case "RCPT": return "554 5.7.1 Relay access denied\r\n"
        case "QUIT": return "221 2.0.0 Bye\r\n"
        default: return "502 5.5.2 Error: command not recognized\r\n"
        }
    }
}
