import Foundation
import Glibc
import HostwatchTestKit

/// Fault injection between the agent and a real server: an HTTP proxy on 127.0.0.1 that passes
/// each request on (one request per connection) and returns the answer, except that while
/// `holdMatching` matches a request line, the request still reaches the server but its answer
/// is never returned: the client waits, as it would if it died right after the server acted.
final class HoldingProxy: @unchecked Sendable {
    var port: UInt16 { server.port }
    private let upstreamPort: UInt16
    private let lock = NSLock()
    private var held: [String] = []
    private var pattern: String?
    private var server: FakeServer!

    init(upstreamPort: UInt16) throws {
        self.upstreamPort = upstreamPort
        server = try FakeServer { [unowned self] client in serve(client) }
    }

    func stop() { server.stop() }

    /// Holds the answers to requests whose first line starts with `prefix` (nil: pass all).
    func hold(_ prefix: String?) { lock.withLock { pattern = prefix } }
    /// The request lines whose answers were held.
    var heldRequests: [String] { lock.withLock { held } }

    private func serve(_ client: Int32) {
        guard var request = Self.readMessage(client, isResponse: false) else { return }
        let firstLine = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
        // One request per connection: ask the server to close after answering.
        if let end = request.firstIndex(of: 10) {
            request.insert(contentsOf: Array("Connection: close\r\n".utf8), at: end + 1)
        }
        let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(upstream) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = upstreamPort.bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0, FakeServer.send(upstream, request) else { return }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(upstream, &buffer, buffer.count)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let holding = lock.withLock { () -> Bool in
            guard let pattern, firstLine.hasPrefix(pattern) else { return false }
            held.append(firstLine)
            return true
        }
        if holding {
            // Keep the client waiting until it gives up or dies.
            var byte: UInt8 = 0
            _ = read(client, &byte, 1)
            return
        }
        _ = FakeServer.send(client, response)
    }


    /// One request: head plus a Content-Length body.
    static func readMessage(_ fd: Int32, isResponse: Bool) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var total: Int?
        while total.map({ bytes.count < $0 }) ?? true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return total == nil ? nil : bytes }
            bytes += buffer[0..<n]
            if total == nil, let range = Data(bytes).range(of: Data("\r\n\r\n".utf8)) {
                let head = String(decoding: bytes[0..<range.lowerBound], as: UTF8.self).lowercased().components(separatedBy: "\r\n")
                let length = head.first { $0.hasPrefix("content-length:") }.flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                total = range.upperBound + length
            }
        }
        return bytes
    }
}
