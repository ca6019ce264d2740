import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore
@testable import HostwatchIO

/// The outbox against in-memory sinks: order, retries, restarts, references, warning tickets.
@Suite struct OutboxDeliveryTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let fast = RetryPolicy(first: .milliseconds(20), maximum: .milliseconds(80), warnAfter: .seconds(3600))

    func draft(_ key: String) -> TicketDraft {
        TicketDraft(key: key, severity: .critical, category: .siteOffline, cause: .infrastructure, subject: "\(key): site offline",
                    server: .init(name: "web01", address: "127.0.0.1"), accounts: [.init(name: "A", plan: .free)],
                    domains: ["a.test"], checks: ["a.test/web"], since: t0, openedAt: t0,
                    steps: [.init(at: t0, text: "refused")], attachments: [])
    }

    func folder() -> String { NSTemporaryDirectory() + "hostwatch-delivery-\(UInt64.random(in: 0...UInt64.max))" }

    /// Runs the outbox until `condition` holds (or 10 s pass), then stops it.
    func deliver(_ store: FileTicketStore, _ destinations: [OutboxDelivery.Destination], policy: RetryPolicy? = nil,
                 until condition: @escaping @Sendable () throws -> Bool) async throws -> Bool {
        let delivery = OutboxDelivery(store: store, server: .init(name: "web01", address: "127.0.0.1"), destinations: destinations,
                                      policy: policy ?? fast, logger: Logger(label: "test", level: .error))
        let task = Task { await delivery.run() }
        defer { task.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try condition() {
                task.cancel()
                await task.value
                return true
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        await task.value
        return false
    }

    @Test func eventsReachEverySinkInRevisionOrderAndLeaveTheOutbox() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        let a = try store.open(draft("check:a"))
        let b = try store.open(draft("check:b"))
        for i in 1...3 {
            _ = try store.update(id: a.id) { t throws(TicketStoreError) in t.addStep(.init(at: t0, text: "a \(i)")) }
        }
        _ = try store.update(id: b.id) { t throws(TicketStoreError) in t.resolve(at: t0, step: "recovered") }
        let rt = InMemoryTicketSink()
        let hook = InMemoryTicketSink()
        let done = try await deliver(store, [.init(name: "rt", sink: rt), .init(name: "webhook", sink: hook)]) {
            try store.outbox.entries().isEmpty
        }
        #expect(done)
        for sink in [rt, hook] {
            #expect(sink.delivered.filter { $0.ticketID == a.id }.map(\.revision) == [1, 2, 3, 4])
            #expect(sink.delivered.filter { $0.ticketID == b.id }.map(\.kind) == [.opened, .resolved])
        }
        // The reference of the first delivery is stored and handed back with the next events.
        let stored = try #require(try store.ticket(id: a.id))
        #expect(stored.externalRefs["rt"] == "T-100" || stored.externalRefs["rt"] == "T-101")
        let later = rt.calls.filter { $0.event.ticketID == a.id && $0.event.revision > 1 }
        #expect(later.allSatisfy { $0.known?.value == stored.externalRefs["rt"] })
    }

    /// A sink that takes 20 ms per delivery and counts how many run at once.
    final class SlowSink: TicketSink, @unchecked Sendable {
        private let lock = NSLock()
        private var running = 0
        private(set) var most = 0
        private(set) var delivered = 0
        private(set) var firstAt: ContinuousClock.Instant?

        func deliver(_ event: TicketEvent, known: ExternalReference?) async throws(TicketSinkError) -> ExternalReference {
            lock.withLock {
                if firstAt == nil { firstAt = .now }
                running += 1
                most = max(most, running)
            }
            try? await Task.sleep(for: .milliseconds(20))
            lock.withLock {
                running -= 1
                delivered += 1
            }
            return ExternalReference("S-\(event.ticketID)")
        }
    }

    @Test func aSinkWithABoundGetsNoMoreDeliveriesAtOnceThanItAllowsAndTheOthersAreNotHeldBack() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        for i in 0..<12 { _ = try store.open(draft("check:\(i)")) }
        let bounded = SlowSink(), free = SlowSink()
        let done = try await deliver(store, [.init(name: "rt", sink: bounded, maxInFlight: 3), .init(name: "webhook", sink: free)]) {
            try store.outbox.entries().isEmpty
        }
        #expect(done)
        #expect(bounded.delivered == 12 && free.delivered == 12)
        #expect(bounded.most == 3, "at most \(bounded.most) at once")
        #expect(free.most > 3, "the unbounded sink had at most \(free.most) at once")
    }

    @Test func eventsWaitingAtStartGoToASinkWithARestartPauseOnlyAfterIt() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        for i in 0..<3 { _ = try store.open(draft("check:\(i)")) }
        let paused = SlowSink(), free = SlowSink()
        let start = ContinuousClock.now
        let done = try await deliver(store, [.init(name: "rt", sink: paused, restartPause: .milliseconds(700)), .init(name: "webhook", sink: free)]) {
            try store.outbox.entries().isEmpty
        }
        #expect(done)
        #expect(paused.delivered == 3 && free.delivered == 3)
        // The paused sink waited its pause; the other went at the first pass, well before it
        // (no wall-clock bound on that: a loaded parallel run delays the first pass itself).
        let pausedAt = try #require(paused.firstAt), freeAt = try #require(free.firstAt)
        #expect(pausedAt - start >= .milliseconds(700), "\(pausedAt - start)")
        #expect(freeAt < pausedAt)
    }

    @Test func aFailingSinkIsRetriedWithoutHoldingUpTheOthersAndKeepsItsOrder() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        let a = try store.open(draft("check:a"))
        _ = try store.update(id: a.id) { t throws(TicketStoreError) in t.resolve(at: t0, step: "recovered") }
        let flaky = InMemoryTicketSink()
        flaky.failNext(3)
        let good = InMemoryTicketSink()
        let done = try await deliver(store, [.init(name: "flaky", sink: flaky), .init(name: "good", sink: good)]) {
            try store.outbox.entries().isEmpty
        }
        #expect(done)
        #expect(flaky.calls.count == 5)
        // Three failed tries of the opened event, then it, then resolved: never resolved first.
        #expect(flaky.calls.map(\.event.revision) == [1, 1, 1, 1, 2])
        #expect(good.calls.map(\.event.revision) == [1, 2])
    }

    @Test func progressSurvivesARestartAndDeliveredSinksAreNotAskedAgain() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        _ = try store.open(draft("check:a"))
        let down = InMemoryTicketSink()
        down.setFailure(.unreachable("connection refused"))
        let up = InMemoryTicketSink()
        let entry = try #require(try store.outbox.entries().first)
        let tried = try await deliver(store, [.init(name: "down", sink: down), .init(name: "up", sink: up)]) {
            (try store.outbox.progress(entry).sinks["down"]?.attempts ?? 0) >= 2 && up.delivered.count == 1
        }
        #expect(tried)
        let saved = try store.outbox.progress(entry)
        #expect(saved.sinks["down"]?.lastError == "unreachable: connection refused")
        #expect(saved.sinks["down"]?.firstFailureAt != nil)
        #expect(saved.sinks["up"]?.deliveredAt != nil)

        // A new agent (fresh sinks) finds the same folder: only the missing delivery is made.
        let back = InMemoryTicketSink()
        let again = InMemoryTicketSink()
        let done = try await deliver(try FileTicketStore(folder: path), [.init(name: "down", sink: back), .init(name: "up", sink: again)]) {
            try store.outbox.entries().isEmpty
        }
        #expect(done)
        #expect(back.delivered.count == 1)
        #expect(again.calls.isEmpty)
    }

    @Test func aSinkFailingLongerThanWarnAfterRaisesOneWarningTicketThatItselfSkipsThatSink() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        _ = try store.open(draft("check:a"))
        let helpdesk = InMemoryTicketSink()
        helpdesk.setFailure(.rejected("HTTP 503"))
        let mail = InMemoryTicketSink()
        let policy = RetryPolicy(first: .milliseconds(20), maximum: .milliseconds(50), warnAfter: .milliseconds(200))
        let raised = try await deliver(store, [.init(name: "helpdesk", sink: helpdesk), .init(name: "mail", sink: mail)], policy: policy) {
            let warning = try store.list().first { $0.key == "delivery:helpdesk" }
            // The warning's own opened event went out by mail, and was skipped for the helpdesk.
            return warning != nil && mail.delivered.contains { $0.ticket.key == "delivery:helpdesk" } && helpdesk.calls.count >= 8
        }
        #expect(raised)
        let warnings = try store.list().filter { $0.key.hasPrefix("delivery:") }
        #expect(warnings.count == 1)
        let warningID = try #require(warnings.first).id
        let warning = try #require(try store.ticket(id: warningID))
        #expect(warning.severity == .warning)
        #expect(warning.category == .delivery)
        #expect(warning.subject.contains("helpdesk unreachable since"))
        #expect(warning.steps.first?.text.contains("rejected: HTTP 503") == true)
        #expect(!helpdesk.calls.contains { $0.event.ticket.key.hasPrefix("delivery:") })

        // The helpdesk comes back: the queue drains and the warning resolves by itself.
        helpdesk.setFailure(nil)
        let drained = try await deliver(store, [.init(name: "helpdesk", sink: helpdesk), .init(name: "mail", sink: mail)], policy: policy) {
            try store.ticket(id: warning.id)?.status == .resolved && store.outbox.entries().isEmpty
        }
        #expect(drained)
        #expect(helpdesk.delivered.map(\.ticket.key) == ["check:a"])
        #expect(mail.delivered.contains { $0.ticket.key == "delivery:helpdesk" && $0.kind == .resolved })
    }

    @Test func anIncompleteDeliveryKeepsItsReferenceSoTheRetryRepairsInsteadOfCreating() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        let ticket = try store.open(draft("check:a"))
        let sink = InMemoryTicketSink()
        sink.setFailure(.incomplete(ExternalReference("RT-9"), "custom field Fingerprint ignored"))
        let recorded = try await deliver(store, [.init(name: "rt", sink: sink)]) {
            try store.ticket(id: ticket.id)?.externalRefs["rt"] == "RT-9" && sink.calls.count >= 2
        }
        #expect(recorded)
        #expect(sink.calls.dropFirst().allSatisfy { $0.known?.value == "RT-9" })
    }

    @Test func eventsAheadOfTheirTicketAreNeverDelivered() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        var ticket = try store.open(draft("check:a"))
        ticket.revision = 2
        try store.outbox.write(TicketEvent(kind: .resolved, at: t0, ticket: ticket, steps: []))
        let sink = InMemoryTicketSink()
        let done = try await deliver(store, [.init(name: "rt", sink: sink)]) { try store.outbox.entries().isEmpty }
        #expect(done)
        #expect(sink.delivered.map(\.revision) == [1])
    }

    /// Issue 16: once a ticket changed, the loop turned about a thousand times a second for the
    /// life of the agent, with or without sinks. Idle, it turns about once a second; each nudge
    /// adds a turn.
    @Test(arguments: [false, true])
    func theLoopIdlesAfterTicketChanges(withSink: Bool) async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        let sink = InMemoryTicketSink()
        let delivery = OutboxDelivery(store: store, server: .init(name: "web01", address: "127.0.0.1"),
                                      destinations: withSink ? [.init(name: "rt", sink: sink)] : [],
                                      policy: fast, logger: Logger(label: "test", level: .error))
        let task = Task { await delivery.run() }
        defer { task.cancel() }
        for i in 0..<20 {
            let ticket = try store.open(draft("check:\(i)"))
            _ = try store.update(id: ticket.id) { t throws(TicketStoreError) in t.resolve(at: t0, step: "recovered") }
            delivery.nudge()
            delivery.nudge()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while try !store.outbox.entries().isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(try store.outbox.entries().isEmpty)
        // Measure a rate: over 1.5 s an idle loop turns once or twice (its one-second wait), plus
        // the last nudges; before the fix, thousands of times.
        let before = await delivery.turns
        try await Task.sleep(for: .milliseconds(1500))
        let turned = await delivery.turns - before
        #expect(turned <= 6, "the delivery loop turned \(turned) times in 1.5 s while idle")
        task.cancel()
        await task.value
    }
}
