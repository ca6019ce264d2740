import Foundation
import Glibc
import Synchronization
import HostwatchTestKit
import Testing
@testable import HostwatchCore
@testable import HostwatchIO

/// The webhook sink against a local receiver on 127.0.0.1 that answers 2xx, 500, or nothing.
@Suite(.serialized) struct WebhookTicketSinkTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func event() -> TicketEvent {
        var ticket = Ticket(id: "HW-3", draft: TicketDraft(key: "check:a.test/web", severity: .critical, category: .siteOffline, cause: .infrastructure,
                                                           subject: "a.test: site offline", server: .init(name: "web01", address: "127.0.0.1"),
                                                           accounts: [.init(name: "A Ltd", plan: .plus)], domains: ["a.test"], checks: ["a.test/web"],
                                                           since: t0, openedAt: t0, steps: [.init(at: t0, text: "HTTP 502")],
                                                           attachments: [.init(name: "t.txt", content: "< HTTP/1.1 502\n")]))
        ticket.revision = 4
        ticket.externalRefs = ["rt": "17"]
        return TicketEvent(kind: .resolved, at: t0.addingTimeInterval(300), ticket: ticket, steps: [.init(at: t0.addingTimeInterval(300), text: "recovered")])
    }

    /// One received request: head lines and body.
    struct Received: Sendable {
        var head: [String]
        var body: Data
        func header(_ name: String) -> String? {
            head.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
    }

    /// Reads one HTTP request with a Content-Length body.
    static func readRequest(_ fd: Int32) -> Received? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        var length = 0
        while true {
            if let end = headEnd, bytes.count >= end + length { break }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return nil }
            bytes += buffer[0..<n]
            if headEnd == nil, let range = Data(bytes).range(of: Data("\r\n\r\n".utf8)) {
                headEnd = range.upperBound
                let head = String(decoding: bytes[0..<range.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                length = head.first { $0.lowercased().hasPrefix("content-length:") }.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            }
        }
        let end = headEnd!
        return Received(head: String(decoding: bytes[0..<(end - 4)], as: UTF8.self).components(separatedBy: "\r\n"), body: Data(bytes[end..<(end + length)]))
    }

    final class Box: @unchecked Sendable {
        let lock = NSLock()
        var received: [Received] = []
        func add(_ r: Received) { lock.withLock { received.append(r) } }
        var all: [Received] { lock.withLock { received } }
    }

    func receiver(status: String, body: String = "", box: Box) throws -> FakeServer {
        try FakeServer { fd in
            guard let request = Self.readRequest(fd) else { return }
            box.add(request)
            _ = FakeServer.send(fd, Array("HTTP/1.1 \(status)\r\nContent-Length: \(body.utf8.count)\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n\(body)".utf8))
        }
    }

    func tokenFolder() throws -> String {
        let dir = NSTemporaryDirectory() + "hostwatch-webhook-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "s3cret-token\n".write(toFile: dir + "/webhook.token", atomically: true, encoding: .utf8)
        return dir
    }

    func sink(port: UInt16, folder: String, timeout: Duration = .seconds(5), tokenFile: String = "webhook.token") -> WebhookTicketSink {
        var c = WebhookSinkConfiguration()
        c.url = "http://127.0.0.1:\(port)/hooks/hostwatch"
        c.token = SecretReference(value: tokenFile, configFolder: folder, file: "a.json5", position: nil, keyPath: "tickets.deliver[0].token_file")
        c.timeout = timeout
        return WebhookTicketSink(c, loop: CurlMultiLoop(maxInFlight: 4))
    }

    @Test func aTwoHundredIsDeliveredWithTheBearerTokenAndTheVersionedBody() async throws {
        let box = Box()
        let server = try receiver(status: "204 No Content", box: box)
        defer { server.stop() }
        let folder = try tokenFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let reference = try await sink(port: server.port, folder: folder).deliver(event(), known: nil)
        #expect(reference.value.isEmpty)
        let request = try #require(box.all.first)
        #expect(request.head.first == "POST /hooks/hostwatch HTTP/1.1")
        #expect(request.header("Authorization") == "Bearer s3cret-token")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("Idempotency-Key") == "web01/HW-3/4")
        let json = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(json["schema"] as? String == "hostwatch.event/1")
        #expect(json["event_id"] as? String == "HW-3/4")
        #expect(json["kind"] as? String == "resolved")
        #expect(json["at"] as? String == "2027-01-15T08:05:00Z")
        #expect(json["server"] as? String == "web01")
        #expect(json["revision"] as? Int == 4)
        #expect((json["external_refs"] as? [String: String]) == ["rt": "17"])
        #expect((json["steps"] as? [[String: Any]])?.first?["text"] as? String == "recovered")
        let ticket = try #require(json["ticket"] as? [String: Any])
        #expect(ticket["schema"] as? String == "hostwatch.ticket/1")
        #expect(ticket["opened_at"] as? String == "2027-01-15T08:00:00Z")
        #expect(ticket["around_the_clock"] as? Bool == true)
    }

    @Test func anIDInTheAnswerBecomesTheReference() async throws {
        let box = Box()
        let server = try receiver(status: "201 Created", body: "{\"id\": 4711}", box: box)
        defer { server.stop() }
        let folder = try tokenFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try await sink(port: server.port, folder: folder).deliver(event(), known: nil).value == "4711")
    }

    @Test func aServerErrorIsRejectedForARetryWithItsWords() async throws {
        let box = Box()
        let server = try receiver(status: "500 Internal Server Error", body: "{\"error\": \"database locked\"}", box: box)
        defer { server.stop() }
        let folder = try tokenFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        await #expect {
            _ = try await sink(port: server.port, folder: folder).deliver(event(), known: nil)
        } throws: { error in
            guard case .rejected(let text) = error as? TicketSinkError else { return false }
            return text.contains("HTTP 500") && text.contains("database locked")
        }
    }

    @Test func aReceiverThatNeverAnswersTimesOut() async throws {
        let server = try FakeServer { fd in
            FakeServer.readRequest(fd)
            var byte: UInt8 = 0
            _ = read(fd, &byte, 1)  // holds the connection until the client gives up
        }
        defer { server.stop() }
        let folder = try tokenFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = ContinuousClock.now
        await #expect {
            _ = try await sink(port: server.port, folder: folder, timeout: .milliseconds(500)).deliver(event(), known: nil)
        } throws: { error in
            guard case .unreachable(let text) = error as? TicketSinkError else { return false }
            return text.lowercased().contains("timed out") || text.lowercased().contains("timeout")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aMissingTokenFileIsMisconfiguredAndNothingIsSent() async throws {
        let box = Box()
        let server = try receiver(status: "200 OK", box: box)
        defer { server.stop() }
        let folder = try tokenFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        await #expect {
            _ = try await sink(port: server.port, folder: folder, tokenFile: "missing.token").deliver(event(), known: nil)
        } throws: { error in
            guard case .misconfigured(let text) = error as? TicketSinkError else { return false }
            return text.contains("tickets.deliver[0].token_file") && text.contains("missing.token")
        }
        #expect(box.all.isEmpty)
    }

    @Test func aRefusedConnectionIsUnreachable() async throws {
        let server = try FakeServer { _ in }
        let port = server.port
        server.stop()
        let folder = try tokenFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        await #expect {
            _ = try await sink(port: port, folder: folder).deliver(event(), known: nil)
        } throws: { error in
            if case .unreachable = error as? TicketSinkError { return true }
            return false
        }
    }
}

/// The outbox through the webhook sink to a receiver that answers 500, then hangs, then 204:
/// every event arrives, in order per ticket, and the outbox empties.
extension WebhookTicketSinkTests {
    @Test func theOutboxGetsThroughFailuresAndTimeoutsInOrder() async throws {
        let box = Box()
        let calls = Mutex(0)
        let server = try FakeServer { fd in
            guard let request = Self.readRequest(fd) else { return }
            let n = calls.withLock { n -> Int in
                n += 1
                return n
            }
            switch n {
            case 1:
                _ = FakeServer.send(fd, Array("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            case 2:
                var byte: UInt8 = 0
                _ = read(fd, &byte, 1)  // never answers: the sink's timeout ends it
            default:
                box.add(request)
                _ = FakeServer.send(fd, Array("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            }
        }
        defer { server.stop() }
        let folder = try tokenFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder + "/state")
        let ticket = try store.open(event().ticket.draftForTests)
        for text in ["reminder", "still down"] {
            _ = try store.update(id: ticket.id) { t throws(TicketStoreError) in t.addStep(.init(at: t0, text: text)) }
        }
        _ = try store.update(id: ticket.id) { t throws(TicketStoreError) in t.resolve(at: t0.addingTimeInterval(60), step: "recovered") }
        let delivery = OutboxDelivery(store: store, server: .init(name: "web01", address: "127.0.0.1"),
                                      destinations: [.init(name: "webhook", sink: sink(port: server.port, folder: folder, timeout: .milliseconds(300)))],
                                      policy: RetryPolicy(first: .milliseconds(20), maximum: .milliseconds(100)), logger: Logger(label: "test", level: .error))
        let task = Task { await delivery.run() }
        defer { task.cancel() }
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline, (try? store.outbox.entries().isEmpty) != true {
            try await Task.sleep(for: .milliseconds(20))
        }
        task.cancel()
        await task.value
        #expect(try store.outbox.entries().isEmpty)
        let delivered = try box.all.map { try #require(try JSONSerialization.jsonObject(with: $0.body) as? [String: Any]) }
        #expect(delivered.map { $0["event_id"] as? String } == ["HW-1/1", "HW-1/2", "HW-1/3", "HW-1/4"])
        #expect(delivered.map { $0["kind"] as? String } == ["opened", "updated", "updated", "resolved"])
        #expect(calls.withLock { $0 } == 6)
    }
}

extension Ticket {
    /// A draft with this ticket's content, for tests that open it in a store.
    var draftForTests: TicketDraft {
        TicketDraft(key: key, severity: severity, category: category, cause: cause, subject: subject, server: server, accounts: accounts,
                    domains: domains, checks: checks, since: since, openedAt: openedAt, steps: steps, attachments: attachments)
    }
}
