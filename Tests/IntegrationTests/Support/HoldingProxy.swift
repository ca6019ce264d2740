import Foundation
import Glibc

/// Fault injection between the agent and a real server: an HTTP proxy on 127.0.0.1 that passes
/// each request on (one request per connection) and returns the answer, except that while
/// `holdMatching` matches a request line, the request still reaches the server but its answer
/// is never returned: the client waits, as it would if it died right after the server acted.
final class HoldingProxy: @unchecked Sendable {
    let port: UInt16
    private let upstreamPort: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var held: [String] = []
    private var pattern: String?
    private var clients: [Int32] = []
    private var stopped = false

    init(upstreamPort: UInt16) throws {
        self.upstreamPort = upstreamPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 64) == 0 else { throw FixtureError.fileSystem(path: "proxy", reason: "cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { close(listener); return }
                let keep = lock.withLock { () -> Bool in
                    guard !stopped else { return false }
                    clients.append(fd)
                    return true
                }
                guard keep else { close(fd); return }
                Thread { [self] in
                    serve(fd)
                    lock.withLock {
                        clients.removeAll { $0 == fd }
                        close(fd)
                    }
                }.start()
            }
        }.start()
    }

    func stop() {
        lock.withLock {
            stopped = true
            for fd in clients { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
    }

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
        guard connected == 0, Self.send(upstream, request) else { return }
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
        _ = Self.send(client, response)
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            offset += n
        }
        return true
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
