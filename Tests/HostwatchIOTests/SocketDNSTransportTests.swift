import Foundation
import Glibc
import HostwatchCore
import Testing
@testable import HostwatchIO

/// The UDP/TCP transport against in-process servers that misbehave on purpose.
@Suite struct SocketDNSTransportTests {
    static let loop = DNSSocketLoop(maxInFlight: 16)
    let transport = SocketDNSTransport(loop: SocketDNSTransportTests.loop)
    let zone = try! DNSName("example.test")

    func query(_ server: DNSServer, _ type: DNSRecordType = .a, timeout: Duration = .seconds(2)) -> DNSQuery {
        DNSQuery(server: server, name: zone, type: type, timeout: timeout)
    }

    func answerA(_ query: [UInt8]) -> [UInt8] {
        FakeDNSServer.reply(to: query) { $0.answers = [DNSRecord(name: self.zone, data: .a(IPAddress("127.0.0.9")!))] }
    }

    @Test func asksWithoutRecursionAndWithEDNS0AndReadsTheAnswer() async throws {
        let seen = LockedBox<DNSMessage?>(nil)
        let server = try FakeDNSServer(udp: { q in
            seen.set(try? DNSMessage.decode(q))
            return [self.answerA(q)]
        })
        defer { server.stop() }
        let exchange = await transport.query(query(server.server))
        #expect(exchange.error == nil)
        #expect(exchange.reply?.answers.first?.data == .a(IPAddress("127.0.0.9")!))
        #expect(!exchange.usedTCP)
        #expect(exchange.duration > .zero)
        let sent = try #require(seen.get())
        #expect(!sent.flags.recursionDesired)
        #expect(sent.edns?.udpPayloadSize == 1232)
        #expect(sent.questions == [.init(name: zone, type: .a)])
        #expect(sent.id == exchange.id)
    }

    @Test func talksToIPv6Servers() async throws {
        let server = try FakeDNSServer(ipv6: true, udp: { [self.answerA($0)] })
        defer { server.stop() }
        let exchange = await transport.query(query(server.server))
        #expect(exchange.error == nil, "\(exchange.error?.detail ?? "")")
        #expect(exchange.reply?.answers.count == 1)
    }

    @Test func ignoresRepliesWithAnotherIDOrQuestionAndTakesTheMatchingOne() async throws {
        let server = try FakeDNSServer(udp: { q in
            let right = self.answerA(q)
            var wrongID = right
            wrongID[0] ^= 0xff
            let wrongQuestion = FakeDNSServer.reply(to: q) { $0.questions = [.init(name: try! DNSName("other.test"), type: .a)] }
            return [[1], wrongID, wrongQuestion, right]
        })
        defer { server.stop() }
        let exchange = await transport.query(query(server.server))
        #expect(exchange.error == nil)
        #expect(exchange.reply?.answers.count == 1)
        #expect(exchange.notes.count == 3)
        #expect(exchange.notes[0] == "ignored a 1-byte datagram")
        #expect(exchange.notes[1].hasPrefix("ignored a reply with ID "))
        #expect(exchange.notes[2] == "ignored a reply with question other.test. IN A instead of example.test. IN A")
    }

    @Test func timesOutInMillisecondsAndSaysWhatItIgnored() async throws {
        let server = try FakeDNSServer(udp: { q in
            var wrong = self.answerA(q)
            wrong[1] ^= 0xff
            return [wrong]
        })
        defer { server.stop() }
        let started = ContinuousClock.now
        let exchange = await transport.query(query(server.server, timeout: .milliseconds(150)))
        let elapsed = started.duration(to: .now)
        #expect(exchange.error?.kind == .timeout)
        #expect(exchange.error?.detail == "no reply within 150ms; ignored 1 reply that did not match")
        #expect(elapsed >= .milliseconds(150))
        // Generous: with the whole suite running on two cores the awaiting task resumes late.
        #expect(elapsed < .seconds(10))
    }

    @Test func aTruncatedReplyIsAskedAgainOverTCP() async throws {
        let server = try FakeDNSServer(
            udp: { q in [FakeDNSServer.reply(to: q) { $0.flags.truncated = true }] },
            tcp: { q in
                let reply = FakeDNSServer.reply(to: q) { m in
                    m.answers = (0..<40).map { i in DNSRecord(name: self.zone, data: .txt([Array("record \(i) \(String(repeating: "x", count: 100))".utf8)])) }
                }
                return [UInt8(reply.count >> 8), UInt8(reply.count & 0xff)] + reply
            })
        defer { server.stop() }
        let exchange = await transport.query(query(server.server, .txt))
        #expect(exchange.error == nil, "\(exchange.error?.detail ?? "")")
        #expect(exchange.usedTCP)
        #expect(exchange.reply?.answers.count == 40)
        #expect(exchange.replyBytes > 4000)
        #expect(exchange.notes.first?.hasPrefix("UDP reply truncated (tc, ") == true)
        #expect(server.counts.udp == 1 && server.counts.tcp == 1)
    }

    @Test func aTCPReplyThatDoesNotMatchIsAnError() async throws {
        let server = try FakeDNSServer(
            udp: { q in [FakeDNSServer.reply(to: q) { $0.flags.truncated = true }] },
            tcp: { q in
                let reply = FakeDNSServer.reply(to: q) { $0.id ^= 1 }
                return [UInt8(reply.count >> 8), UInt8(reply.count & 0xff)] + reply
            })
        defer { server.stop() }
        let exchange = await transport.query(query(server.server))
        #expect(exchange.error?.kind == .malformed)
        #expect(exchange.error?.detail.hasPrefix("TCP reply does not match the query: ID ") == true)
    }

    @Test func aTCPConnectionClosedEarlyIsAnError() async throws {
        let server = try FakeDNSServer(udp: { q in [FakeDNSServer.reply(to: q) { $0.flags.truncated = true }] }, tcp: { _ in [0, 200, 1, 2] })
        defer { server.stop() }
        let exchange = await transport.query(query(server.server))
        #expect(exchange.error?.kind == .malformed)
        #expect(exchange.error?.detail == "closed the TCP connection after 4 bytes of the reply")
    }

    @Test(arguments: [
        ([0xc0, 12, 0, 1, 0, 1] as [UInt8], "compression pointers loop (at byte 12)"),
        ([0xc0, 200, 0, 1, 0, 1], "compression pointer at byte 12 points to byte 200, past the end of the message"),
        ([70] + [UInt8](repeating: 97, count: 70) + [0, 0, 1, 0, 1], "label length 70 at byte 12 is over 63"),
    ])
    func aMalformedReplyWithOurIDEndsInAClearError(question: [UInt8], detail: String) async throws {
        let server = try FakeDNSServer(udp: { q in [Array(q[0..<2]) + [0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0] + question] })
        defer { server.stop() }
        let exchange = await transport.query(query(server.server))
        #expect(exchange.error?.kind == .malformed)
        #expect(exchange.error?.detail == "malformed reply (\(12 + question.count) bytes over UDP): \(detail)")
    }

    @Test func nothingListeningIsReportedAtOnceNotAfterTheTimeout() async throws {
        // A port that was just free: bind, note it, close.
        let probe = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        _ = FakeDNSServer.bind(probe, ipv6: false, port: 0)
        let port = FakeDNSServer.localPort(probe, ipv6: false)
        close(probe)
        let started = ContinuousClock.now
        let exchange = await transport.query(query(DNSServer(address: "127.0.0.1", port: Int(port)), timeout: .seconds(30)))
        #expect(exchange.error?.kind == .refused)
        #expect(exchange.error?.detail == "port unreachable: nothing listens on 127.0.0.1:\(port) (UDP)")
        #expect(started.duration(to: .now) < .seconds(10))
        #expect(exchange.duration < .seconds(10))
    }

    @Test func aNameInsteadOfAnAddressIsNeverResolved() async {
        let exchange = await transport.query(query(DNSServer(address: "ns1.example.test")))
        #expect(exchange.error?.kind == .badQuery)
        #expect(exchange.error?.detail == "ns1.example.test port 53 is not an IP address and port")
    }

    /// A check's questions go out together and come back in their order, each with its own
    /// outcome: an answer, a refusal, a name that is never resolved; more than the loop's
    /// slots wait their turn in the same batch.
    @Test func aBatchComesBackInOrderWithEachOutcome() async throws {
        let server = try FakeDNSServer(udp: { q in
            let question = try? DNSMessage.decode(q).questions.first?.type
            return question == .txt ? [] : [self.answerA(q)]
        })
        defer { server.stop() }
        let probe = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        _ = FakeDNSServer.bind(probe, ipv6: false, port: 0)
        let closedPort = FakeDNSServer.localPort(probe, ipv6: false)
        close(probe)
        let queries = [query(server.server), query(DNSServer(address: "127.0.0.1", port: Int(closedPort))),
                       query(DNSServer(address: "ns1.example.test")), query(server.server, .txt, timeout: .milliseconds(200))]
            + (0..<40).map { _ in query(server.server, .soa) }
        let exchanges = await transport.query(all: queries)
        #expect(exchanges.count == queries.count)
        #expect(zip(exchanges, queries).allSatisfy { $0.query == $1 })
        #expect(exchanges[0].reply?.answers.first?.data == .a(IPAddress("127.0.0.9")!))
        #expect(exchanges[1].error?.kind == .refused)
        #expect(exchanges[2].error?.kind == .badQuery)
        #expect(exchanges[3].error?.kind == .timeout)
        #expect(exchanges[4...].allSatisfy { $0.reply != nil })
        #expect(await transport.query(all: []).isEmpty)
    }

    /// A check's questions to one server go out on one socket (one source port), each check on
    /// a socket of its own: three questions cost one socket, and the next check comes from a
    /// new random port. The replies, in any order, still reach their questions by ID.
    @Test func aBatchAsksOneServerFromOneSocketAndTheNextBatchFromAnother() async throws {
        let server = try FakeDNSServer(udp: { [self.answerA($0)] })
        defer { server.stop() }
        let other = try FakeDNSServer(udp: { [self.answerA($0)] })
        defer { other.stop() }
        let queries = [query(server.server, .soa), query(other.server, .soa), query(server.server, .ns), query(server.server, .a)]
        let first = await transport.query(all: queries)
        #expect(first.allSatisfy { $0.reply?.questions.first?.type == $0.query.type })
        #expect(Set(first.map(\.id)).count == 4)
        let second = await transport.query(all: Array(queries[2...]))
        #expect(second.allSatisfy { $0.reply != nil })
        let ports = server.sourcePorts
        #expect(ports.count == 5)
        #expect(Set(ports[0..<3]).count == 1)
        #expect(Set(ports[3...]).count == 1)
        #expect(ports[0] != ports[3])
        #expect(other.sourcePorts.count == 1 && other.sourcePorts[0] != ports[0])
    }

    /// The in-flight limit falling inside a batch does not split it: a loop that takes one
    /// query at a time still sends a check's three questions from one socket.
    @Test func theInFlightLimitTakesABatchWhole() async throws {
        let server = try FakeDNSServer(udp: { [self.answerA($0)] })
        defer { server.stop() }
        let narrow = DNSSocketLoop(maxInFlight: 1)
        defer { narrow.shutdown() }
        let exchanges = await SocketDNSTransport(loop: narrow).query(all: [.soa, .ns, .a].map { query(server.server, $0) })
        #expect(exchanges.allSatisfy { $0.reply != nil })
        #expect(server.sourcePorts.count == 3)
        #expect(Set(server.sourcePorts).count == 1)
    }

    /// Stopped while a check asks it three questions on one socket: the "port unreachable" of
    /// the first comes back at once for every question, not as two refusals and a timeout.
    /// Timed by the loop itself (send to refusal): the wall clock around the `await` also counted
    /// the time the task waited for a thread that other tests held (5.0-5.7 s, now and then).
    @Test func aStoppedServerRefusesEveryQuestionOfABatchAtOnce() async throws {
        // A port found free below the ephemeral range (32768 up): a closed ephemeral port can be
        // taken meanwhile by a socket another test binds to port 0, which then gets the questions.
        var port: UInt16 = 0
        for candidate in (20_000..<32_000).shuffled() {
            let probe = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(probe) }
            if FakeDNSServer.bind(probe, ipv6: false, port: UInt16(candidate)) {
                port = UInt16(candidate)
                break
            }
        }
        let closed = DNSServer(address: "127.0.0.1", port: Int(try #require(port == 0 ? nil : port)))
        let exchanges = await transport.query(all: [.soa, .ns, .a].map { query(closed, $0, timeout: .seconds(5)) })
        #expect(exchanges.map { $0.error?.kind } == [.refused, .refused, .refused])
        #expect(exchanges.allSatisfy { $0.duration < .seconds(1) }, "\(exchanges.map(\.duration))")
    }

    @Test func manyQueriesShareFewSlots() async throws {
        let server = try FakeDNSServer(udp: { [self.answerA($0)] })
        defer { server.stop() }
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<300 { group.addTask { await self.transport.query(self.query(server.server)).reply != nil } }
            var ok = 0
            for await passed in group where passed { ok += 1 }
            return ok
        }
        #expect(results == 300)
        #expect(server.counts.udp == 300)
    }

    /// A server that drops a third of the queries and truncates another third (nsd's rate
    /// limiting does both): every query ends, answered over UDP or TCP or timed out, and the
    /// queue behind the few slots never stalls.
    @Test func aLossyServerNeverStallsTheQueue() async throws {
        let counter = QueryCounter()
        let server = try FakeDNSServer(
            udp: { q in
                let n = counter.next()
                switch n % 3 {
                case 0: return []
                case 1: return [FakeDNSServer.reply(to: q) { $0.flags.truncated = true }]
                default: return [self.answerA(q)]
                }
            },
            tcp: { q in
                let reply = self.answerA(q)
                return [UInt8(reply.count >> 8), UInt8(reply.count & 0xff)] + reply
            })
        defer { server.stop() }
        let transport = SocketDNSTransport(loop: DNSSocketLoop(maxInFlight: 16))
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<240 {
                group.addTask {
                    let exchange = await transport.query(self.query(server.server, timeout: .milliseconds(100)))
                    if exchange.reply != nil { return exchange.usedTCP ? "tcp" : "udp" }
                    return exchange.error?.kind == .timeout ? "timeout" : "other: \(exchange.error?.detail ?? "")"
                }
            }
            var counts: [String: Int] = [:]
            for await outcome in group { counts[outcome, default: 0] += 1 }
            return counts
        }
        #expect(outcomes == ["udp": 80, "tcp": 80, "timeout": 80])
    }

    @Test func shuttingDownEndsWaitingQueries() async throws {
        let loop = DNSSocketLoop(maxInFlight: 1)
        let silent = try FakeDNSServer(udp: { _ in [] })
        defer { silent.stop() }
        let transport = SocketDNSTransport(loop: loop)
        async let first = transport.query(query(silent.server, timeout: .seconds(30)))
        async let second = transport.query(query(silent.server, timeout: .seconds(30)))
        // Once the first is on the wire, the second waits for the only slot.
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while silent.counts.udp < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        loop.shutdown()
        let (a, b) = await (first, second)
        #expect(a.error?.detail == "hostwatch is stopping")
        #expect(b.error?.detail == "hostwatch is stopping")
    }
    @Test func aStopAmidNewQueriesEndsEveryOneOfThem() async throws {
        let silent = try FakeDNSServer(udp: { _ in [] })
        defer { silent.stop() }
        let batch = [query(silent.server, timeout: .seconds(30)), query(silent.server, .ns, timeout: .seconds(30)),
                     query(silent.server, .soa, timeout: .seconds(30))]
        // The stop races the loop thread taking what was just queued: queries it took in the
        // same step as it saw the stop were neither sent nor ended, and their checks (and the
        // agent's stop, which waits for them) waited forever.
        let rounds = 40, batches = 30
        // Each batch that comes back says so; the stream ends when all have, or at the deadline
        // (a batch that never comes back cannot be awaited to its end).
        let (ends, ended) = AsyncStream.makeStream(of: Int.self)
        let deadline = Task {
            try? await Task.sleep(for: .seconds(20))
            ended.finish()
        }
        for _ in 0..<rounds {
            let loop = DNSSocketLoop(maxInFlight: 2048)
            for _ in 0..<batches {
                Task.detached { ended.yield(await loop.exchange(all: batch).count) }
            }
            await Task.yield()
            loop.shutdown()
        }
        var complete = 0
        for await count in ends {
            if count == batch.count { complete += 1 }
            if complete == rounds * batches { break }
        }
        deadline.cancel()
        #expect(complete == rounds * batches)
    }
}

/// Numbers the queries a fake server sees, across its threads.
final class QueryCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int { lock.withLock { count += 1; return count } }
}
