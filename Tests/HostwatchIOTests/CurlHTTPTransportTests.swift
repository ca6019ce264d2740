import Foundation
import Glibc
import HostwatchCore
import HostwatchTestKit
import Testing
@testable import HostwatchIO

/// The libcurl transport against in-process servers that misbehave on purpose.
@Suite struct CurlHTTPTransportTests {
    static let loop = CurlMultiLoop(maxInFlight: 64)
    let transport = CurlHTTPTransport(loop: CurlHTTPTransportTests.loop)

    func request(_ port: UInt16, path: String = "/", timeout: Duration = .seconds(5), readBodyBytes: Int = 1 << 20) -> HTTPRequest {
        // The host name is never resolved: CONNECT_TO pins the connection to 127.0.0.1.
        HTTPRequest(url: "http://site.test:\(port)\(path)", connectAddress: "127.0.0.1", timeout: timeout, readBodyBytes: readBodyBytes)
    }

    @Test func readsStatusHeadersBodyAndTimingsWithTheDomainInTheHostHeader() async throws {
        let seenHost = LockedBox("")
        let server = try FakeServer { fd in
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buffer, buffer.count)
            let head = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
            seenHost.set(head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("host:") }.map(String.init) ?? "")
            _ = FakeServer.send(fd, Array("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\nhello world".utf8))
        }
        defer { server.stop() }
        let response = await transport.perform(request(server.port))
        #expect(response.error == nil)
        #expect(response.status == 200)
        #expect(response.statusLine == "HTTP/1.1 200 OK")
        #expect(response.headers.contains { $0.name == "Content-Type" && $0.value == "text/html" })
        #expect(String(decoding: response.body, as: UTF8.self) == "hello world")
        #expect(seenHost.get() == "Host: site.test:\(server.port)")
        #expect(response.remote == "127.0.0.1:\(server.port)")
        #expect(response.timings.total > .zero)
        #expect(response.transcript.text.contains("> GET / HTTP/1.1"))
        #expect(response.transcript.text.contains("< HTTP/1.1 200 OK"))
    }

    @Test func aRefusedConnectionIsReportedAsRefused() async throws {
        let server = try FakeServer { _ in }
        let port = server.port
        server.stop()
        let response = await transport.perform(request(port))
        #expect(response.error?.kind == .refused)
    }

    @Test func anEndlessBodyIsCutAtTheCapAndCountsAsAnswered() async throws {
        let server = try FakeServer.endlessHTTP(head: "HTTP/1.1 200 OK\r\n\r\n", repeating: [UInt8](repeating: UInt8(ascii: "x"), count: 65_536))
        defer { server.stop() }
        // No timing bound here (a loaded machine stretches any): no error means the cap ended
        // the transfer, not the 5 s timeout.
        let response = await transport.perform(request(server.port, timeout: .seconds(5), readBodyBytes: 256 * 1024))
        #expect(response.error == nil)
        #expect(response.status == 200)
        #expect(response.bodyTruncated)
        #expect(response.body.count == 256 * 1024)
        #expect(response.bodyPrefix.count == 1024)
    }

    @Test func endlessHeadersAreRefusedAtTheCap() async throws {
        let server = try FakeServer.endlessHTTP(head: "HTTP/1.1 200 OK\r\n", repeating: Array("X-Filler: \(String(repeating: "a", count: 1000))\r\n".utf8))
        defer { server.stop() }
        let response = await transport.perform(request(server.port))
        #expect(response.error?.kind == .headersTooLarge)
        #expect(response.transcript.text.utf8.count <= 64 * 1024)
    }

    @Test func aServerThatNeverAnswersTimesOutOnSchedule() async throws {
        let server = try FakeServer { fd in
            FakeServer.readRequest(fd)
            var buffer = [UInt8](repeating: 0, count: 16)
            _ = read(fd, &buffer, buffer.count)   // blocks until the client gives up
        }
        defer { server.stop() }
        let started = ContinuousClock.now
        let response = await transport.perform(request(server.port, timeout: .milliseconds(700)))
        let elapsed = ContinuousClock.now - started
        #expect(response.error?.kind == .timeout)
        #expect(elapsed >= .milliseconds(650))
        // Generous: the parallel unit stage shares two cooperative threads; a hang would be 30 s+.
        #expect(elapsed < .seconds(10))
    }

    @Test func garbageInsteadOfHTTPIsAProtocolError() async throws {
        let server = try FakeServer { fd in
            FakeServer.readRequest(fd)
            _ = FakeServer.send(fd, (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        }
        defer { server.stop() }
        let response = await transport.perform(request(server.port))
        #expect(response.error?.kind == .protocolError)
    }

    @Test func authorizationHeadersNeverReachTheTranscript() {
        let line = Array("Authorization: Bearer s3cr3t-token".utf8)
        let redacted = line.withUnsafeBytes { TranscriptRedaction.redact($0) }
        #expect(redacted.map { String(decoding: $0, as: UTF8.self) } == "Authorization: [redacted]")
        let auth = Array("AUTH PLAIN AGFsaWNlAHMzY3IzdA==".utf8)
        #expect(auth.withUnsafeBytes { TranscriptRedaction.redact($0) }.map { String(decoding: $0, as: UTF8.self) } == "AUTH PLAIN [redacted]")
        #expect(Array("Host: a.test".utf8).withUnsafeBytes { TranscriptRedaction.redact($0) } == nil)
    }

    @Test(arguments: [("Jan  5 12:00:00 2027 GMT", "2027-01-05T12:00:00Z"), ("Dec 31 23:59:59 2030 GMT", "2030-12-31T23:59:59Z"),
                      ("2027-01-05 12:00:00 GMT", "2027-01-05T12:00:00Z")])
    func readsCertificateDatesAsOpenSSLPrintsThem(text: String, expected: String) {
        #expect(CertificateDate.parse(text).map(RFC3339.format) == expected)
    }
}

/// A value shared with a server thread.
final class LockedBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ new: T) { lock.withLock { value = new } }
    func get() -> T { lock.withLock { value } }
}
