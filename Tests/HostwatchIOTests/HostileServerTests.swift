import Foundation
import Glibc
import HostwatchCore
import HostwatchTestKit
import Testing
@testable import HostwatchIO

/// Issue 15, item 3: every check kind against in-process servers that attack the client (endless
/// or dripping replies, absurd lengths, bytes that are not text, loops and lies). Each check must
/// fail with a message that names the protocol and the fault, within its timeout (plus slack for
/// a loaded 2-core machine), and its evidence must be capped and free of control characters.
/// The memory bound with 1,000 such targets at once is measured by `packaging/torture`, not here.
@Suite struct HostileServerTests {
    static let curl = CurlMultiLoop(maxInFlight: 64)
    static let dnsLoop = DNSSocketLoop(maxInFlight: 16)
    let http = CurlHTTPTransport(loop: HostileServerTests.curl)
    let mail = CurlMailTransport(loop: HostileServerTests.curl)
    let dns = SocketDNSTransport(loop: HostileServerTests.dnsLoop)
    let timeout = Duration.seconds(2)
    /// What a loaded machine may add to a timeout before we call it a hang.
    let slack = Duration.seconds(8)

    // MARK: Evidence

    /// The evidence a ticket would carry: capped at the transcript limit (plus its closing note),
    /// and no control character other than the line break (a NUL or an escape sequence in a
    /// ticket would reach the operator's terminal through `hostwatch tickets show`).
    func expectSafeEvidence(_ observation: Observation, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = observation.transcript.rendered
        #expect(text.utf8.count <= observation.transcript.limit + 200, sourceLocation: sourceLocation)
        let bad = text.unicodeScalars.filter { ($0.value < 32 && $0 != "\n" && $0 != "\t") || $0.value == 127 }
        #expect(bad.isEmpty, "control characters in the evidence: \(bad.map { $0.value })", sourceLocation: sourceLocation)
        let message = observation.failure?.message ?? ""
        #expect(message.unicodeScalars.allSatisfy { $0.value >= 32 && $0.value != 127 }, "\(message.debugDescription)",
                sourceLocation: sourceLocation)
        #expect(message.utf8.count < 1024, sourceLocation: sourceLocation)
    }

    func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
        let started = ContinuousClock.now
        let value = try await body()
        return (value, ContinuousClock.now - started)
    }

    // MARK: HTTP

    func webCheck(_ port: UInt16, scheme: String = "http", contains: String? = nil) -> HTTPCheck {
        HTTPCheck(id: CheckID(target: "hostile.test", kind: "web"),
                  configuration: .init(url: "\(scheme)://hostile.test:\(port)/", contains: contains,
                                       timing: CheckTiming(timeout: timeout)),
                  serverAddress: "127.0.0.1", transport: http)
    }

    @Test func anEndlessBodyIsCutAndJudged() async throws {
        let server = try FakeServer.endlessHTTP(head: "HTTP/1.1 200 OK\r\n\r\n", repeating: [UInt8](repeating: UInt8(ascii: "x"), count: 65_536))
        defer { server.stop() }
        let (observation, elapsed) = await timed { await webCheck(server.port, contains: "healthy").run(now: Date()) }
        let failure = try #require(observation.failure)
        #expect(failure.message.contains("healthy"), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    /// Without text to look for, a check reads only the part of the body its ticket would keep:
    /// a site that answers 200 and streams forever is up, and costs a kilobyte, not a megabyte.
    @Test func anEndlessBodyWithNothingToFindIsReadNoFurtherThanTheTicketKeeps() async throws {
        let server = try FakeServer.endlessHTTP(head: "HTTP/1.1 200 OK\r\n\r\n", repeating: [UInt8](repeating: UInt8(ascii: "x"), count: 65_536))
        defer { server.stop() }
        let check = webCheck(server.port)
        let (observation, elapsed) = await timed { await check.run(now: Date()) }
        #expect(observation.failure == nil, "\(observation.summary)")
        #expect(elapsed < timeout + slack)
        #expect(observation.transcript.text.contains("truncated at \(check.keepBodyBytes) bytes read"), "\(observation.transcript.text.suffix(300))")
    }

    @Test func endlessHeadersFailClearly() async throws {
        let server = try FakeServer.endlessHTTP(head: "HTTP/1.1 200 OK\r\n", repeating: Array("X-Filler: \(String(repeating: "a", count: 1000))\r\n".utf8))
        defer { server.stop() }
        let (observation, elapsed) = await timed { await webCheck(server.port).run(now: Date()) }
        let failure = try #require(observation.failure)
        #expect(failure.message.hasPrefix("HTTP"), "\(failure.message)")
        #expect(failure.message.lowercased().contains("header"), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    @Test func aOneByteASecondServerTimesOut() async throws {
        let server = try FakeServer { fd in
            FakeServer.readRequest(fd)
            for byte in Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8) {
                guard FakeServer.send(fd, [byte]) else { return }
                sleep(1)
            }
        }
        defer { server.stop() }
        let (observation, elapsed) = await timed { await webCheck(server.port).run(now: Date()) }
        let failure = try #require(observation.failure)
        #expect(failure.kind == .timeout, "\(failure.message)")
        #expect(failure.message.contains("2s"), "\(failure.message)")
        #expect(elapsed >= timeout - .milliseconds(100))
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    @Test func aHundredGigabyteContentLengthCostsNoMoreThanTheCap() async throws {
        let server = try FakeServer.endlessHTTP(head: "HTTP/1.1 200 OK\r\nContent-Length: 107374182400\r\n\r\n", repeating: [UInt8](repeating: UInt8(ascii: "y"), count: 65_536))
        defer { server.stop() }
        let (observation, elapsed) = await timed { await webCheck(server.port, contains: "healthy").run(now: Date()) }
        let failure = try #require(observation.failure)
        #expect(failure.message.hasPrefix("HTTP"), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    @Test func invalidUTF8AndControlsInTheStatusHeadersAndBodyAreEscaped() async throws {
        let server = try FakeServer { fd in
            FakeServer.readRequest(fd)
            var reply = Array("HTTP/1.1 503 Bad\u{1B}[31m".utf8) + [0xFF, 0xFE] + Array("\r\n".utf8)
            reply += Array("X-Evil: a".utf8) + [0x07, 0xC3] + Array("\u{1B}]0;pwned\u{07}\u{9B}2J\r\n".utf8)
            reply += Array("Content-Length: 12\r\n\r\n".utf8)
            reply += [0x00, 0x1B, 0x5B, 0x32, 0x4A, 0xFF, 0x41, 0x00, 0x0D, 0x42, 0x08, 0x7F]
            _ = FakeServer.send(fd, reply)
        }
        defer { server.stop() }
        let (observation, elapsed) = await timed { await webCheck(server.port).run(now: Date()) }
        let failure = try #require(observation.failure)
        #expect(failure.message.contains("503"), "\(failure.message)")
        #expect(observation.transcript.text.contains("\\x1b]0;pwned\\x07"), "\(observation.transcript.text)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    @Test func aNULInAHeaderIsNoValidHTTP() async throws {
        let server = try FakeServer { fd in
            FakeServer.readRequest(fd)
            _ = FakeServer.send(fd, Array("HTTP/1.1 200 OK\r\nX-Evil: a".utf8) + [0x00] + Array("b\r\nContent-Length: 0\r\n\r\n".utf8))
        }
        defer { server.stop() }
        let (observation, elapsed) = await timed { await webCheck(server.port).run(now: Date()) }
        let failure = try #require(observation.failure)
        #expect(failure.kind == .protocolViolation || failure.kind == .unreachable, "\(failure.kind)")
        #expect(failure.message.contains("no valid HTTP"), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    @Test func aTLSHandshakeThatStopsHalfwayTimesOut() async throws {
        let server = try FakeServer { fd in
            // Read the ClientHello, answer with the first bytes of a ServerHello record, then hold.
            FakeServer.readRequest(fd)
            _ = FakeServer.send(fd, [0x16, 0x03, 0x03, 0x00, 0x7A, 0x02, 0x00])
            var buffer = [UInt8](repeating: 0, count: 16)
            _ = read(fd, &buffer, buffer.count)
        }
        defer { server.stop() }
        let (observation, elapsed) = await timed { await webCheck(server.port, scheme: "https").run(now: Date()) }
        let failure = try #require(observation.failure)
        #expect(failure.kind == .timeout || failure.kind == .unreachable, "\(failure.kind): \(failure.message)")
        #expect(failure.message.hasPrefix("HTTP"), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    // MARK: Mail

    func smtpCheck(_ port: UInt16) -> SMTPCheck {
        SMTPCheck(id: CheckID(target: "hostile.test", kind: "smtp"),
                  configuration: .init(port: Int(port), tls: .off, timing: CheckTiming(timeout: timeout)),
                  domain: "hostile.test", serverAddress: "127.0.0.1", serverName: "mx.hostile.test", transport: mail)
    }

    func imapCheck(_ port: UInt16) -> IMAPCheck {
        IMAPCheck(id: CheckID(target: "hostile.test", kind: "imap"),
                  configuration: .init(port: Int(port), tls: .off, timing: CheckTiming(timeout: timeout)),
                  domain: "hostile.test", serverAddress: "127.0.0.1", transport: mail)
    }

    func pop3Check(_ port: UInt16) -> POP3Check {
        POP3Check(id: CheckID(target: "hostile.test", kind: "pop3"),
                  configuration: .init(port: Int(port), tls: .off, timing: CheckTiming(timeout: timeout)),
                  domain: "hostile.test", serverAddress: "127.0.0.1", transport: mail)
    }

    func run(_ proto: MailProtocol, _ port: UInt16) async -> Observation {
        switch proto {
        case .smtp: await smtpCheck(port).run(now: Date())
        case .imap: await imapCheck(port).run(now: Date())
        case .pop3: await pop3Check(port).run(now: Date())
        }
    }

    @Test(arguments: [MailProtocol.smtp, .imap, .pop3])
    func anEndlessGreetingLineTimesOut(proto: MailProtocol) async throws {
        let server = try FakeServer { fd in
            let chunk = [UInt8](repeating: UInt8(ascii: "2"), count: 4096)
            while FakeServer.send(fd, chunk) { usleep(10_000) }
        }
        defer { server.stop() }
        let (observation, elapsed) = await timed { await run(proto, server.port) }
        let failure = try #require(observation.failure)
        #expect(failure.message.hasPrefix(proto.label), "\(failure.message)")
        #expect(failure.message.contains("greeting"), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    @Test(arguments: [MailProtocol.smtp, .imap, .pop3])
    func aMegabyteMultiLineGreetingIsBoundedAndQuotedShort(proto: MailProtocol) async throws {
        let line: String = switch proto {
        case .smtp: "220-" + String(repeating: "g", count: 1000) + "\r\n"
        case .imap: "* " + String(repeating: "g", count: 1000) + "\r\n"
        case .pop3: String(repeating: "g", count: 1000) + "\r\n"
        }
        let greeting = Array(String(repeating: line, count: 1024).utf8)
        let server = try FakeMailServer(greeting: greeting) { _ in Array("554 go away\r\n".utf8) }
        defer { server.stop() }
        let (observation, elapsed) = await timed { await run(proto, server.port) }
        let failure = try #require(observation.failure)
        #expect(failure.message.hasPrefix(proto.label), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    @Test(arguments: [MailProtocol.smtp, .imap, .pop3])
    func bareLineFeedsAndNULsInRepliesAreEscaped(proto: MailProtocol) async throws {
        let greeting: [UInt8] = switch proto {
        case .smtp: Array("220 mx".utf8) + [0] + Array(".test\u{1B}[2J ESMTP\n".utf8)
        case .imap: Array("* OK mx".utf8) + [0] + Array(" ready\u{1B}[2J\n".utf8)
        case .pop3: Array("+OK mx".utf8) + [0] + Array(" ready\u{1B}[2J\n".utf8)
        }
        let server = try FakeMailServer(greeting: greeting) { line in
            let tag = line.split(separator: " ").first.map(String.init) ?? ""
            switch proto {
            case .smtp: return Array("550 no".utf8) + [0, 0xFF] + Array("\u{1B}]0;x\u{07}\n".utf8)
            case .imap: return Array("\(tag) NO no".utf8) + [0, 0xFF] + Array("\u{1B}]0;x\u{07}\n".utf8)
            case .pop3: return Array("-ERR no".utf8) + [0, 0xFF] + Array("\u{1B}]0;x\u{07}\n".utf8)
            }
        }
        defer { server.stop() }
        let (observation, elapsed) = await timed { await run(proto, server.port) }
        let failure = try #require(observation.failure)
        #expect(failure.message.hasPrefix(proto.label), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    @Test(arguments: [MailProtocol.smtp, .imap, .pop3])
    func aServerAnsweringEveryCommandWithAContinuationFails(proto: MailProtocol) async throws {
        let (greeting, continuation): (String, String) = switch proto {
        case .smtp: ("220 mx.test ESMTP\r\n", "334 go on\r\n")
        case .imap: ("* OK ready\r\n", "+ go on\r\n")
        case .pop3: ("+OK ready\r\n", "+ go on\r\n")
        }
        let server = try FakeMailServer(greeting: greeting) { _ in continuation }
        defer { server.stop() }
        let (observation, elapsed) = await timed { await run(proto, server.port) }
        let failure = try #require(observation.failure)
        #expect(failure.message.hasPrefix(proto.label), "\(failure.message)")
        #expect(elapsed < timeout + slack)
        expectSafeEvidence(observation)
    }

    // MARK: DNS

    let zone = try! DNSName("hostile.test")

    func dnsCheck(_ server: DNSServer) -> DNSCheck {
        DNSCheck(id: CheckID(target: "hostile.test", kind: "dns"), domain: zone,
                 configuration: .init(nameservers: [.init(server: server)], timing: CheckTiming(timeout: timeout)),
                 serverAddress: nil, transport: dns)
    }

    func goodReply(_ query: [UInt8]) -> [UInt8] {
        FakeDNSServer.reply(to: query) { $0.flags.authoritative = true }
    }

    /// A reply with the query's ID that is broken in the way `fault` names.
    static func brokenReply(_ fault: String, to q: [UInt8]) -> [UInt8] {
        switch fault {
        case "garbage": return Array(q[0..<2]) + (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        case "a wrong ID": var r = q; r[0] ^= 0x55; r[2] |= 0x80; return r
        case "a pointer loop": return Array(q[0..<2]) + [0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]
        default: return Array(q.prefix(7))  // a truncated reply
        }
    }

    @Test(arguments: ["garbage", "a wrong ID", "a pointer loop", "a truncated reply"])
    func aBrokenUDPReplyFailsClearly(fault: String) async throws {
        let server = try FakeDNSServer(udp: { q in [Self.brokenReply(fault, to: q)] })
        defer { server.stop() }
        let (observation, elapsed) = await timed { await dnsCheck(server.server).run(now: Date()) }
        let failure = try #require(observation.failure, "\(fault)")
        #expect(failure.message.hasPrefix("DNS"), "\(fault): \(failure.message)")
        #expect(failure.message.contains("127.0.0.1"), "\(fault): \(failure.message)")
        // Two query types (SOA, NS) each wait at most the timeout.
        #expect(elapsed < timeout * 2 + slack, "\(fault)")
        expectSafeEvidence(observation)
    }

    @Test func aTCPAnswerOf64KiBIsReadOrRefusedWithinTheTimeout() async throws {
        let server = try FakeDNSServer(
            udp: { q in [FakeDNSServer.reply(to: q) { $0.flags.truncated = true }] },
            tcp: { q in
                var reply = FakeDNSServer.reply(to: q) { m in
                    m.answers = (0..<240).map { i in
                        DNSRecord(name: self.zone, data: .txt([Array(String(repeating: "\(i % 10)", count: 255).utf8)]))
                    }
                }
                reply = Array(reply.prefix(65_535))
                return [UInt8(reply.count >> 8), UInt8(reply.count & 0xff)] + reply
            })
        defer { server.stop() }
        let (observation, elapsed) = await timed { await dnsCheck(server.server).run(now: Date()) }
        #expect(elapsed < timeout * 2 + slack)
        // The SOA and NS answers hold only TXT records: the check must fail, naming the server.
        let failure = try #require(observation.failure)
        #expect(failure.message.hasPrefix("DNS"), "\(failure.message)")
        expectSafeEvidence(observation)
    }

    @Test func aReplyFromAnotherAddressIsIgnored() async throws {
        // A perfect reply, but sent from 127.0.15.77 instead of the server's address: it must be
        // ignored (RFC 5452 §9.1), and the check time out naming the server.
        let server = try FakeDNSServer(replyFrom: "127.0.15.77", udp: { q in [self.goodReply(q)] })
        defer { server.stop() }
        let (observation, elapsed) = await timed { await dnsCheck(server.server).run(now: Date()) }
        let failure = try #require(observation.failure)
        #expect(failure.message.hasPrefix("DNS"), "\(failure.message)")
        #expect(failure.kind == .timeout || failure.kind == .unreachable, "\(failure.kind): \(failure.message)")
        #expect(elapsed < timeout * 2 + slack)
        expectSafeEvidence(observation)
    }
}
