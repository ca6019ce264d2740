import Foundation
import Testing
@testable import HostwatchCore
@testable import HostwatchIO

@Suite struct OutboxFolderTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func draft(_ key: String) -> TicketDraft {
        TicketDraft(key: key, severity: .critical, category: .siteOffline, cause: .infrastructure, subject: "a.test: site offline",
                    server: .init(name: "web01", address: "127.0.0.1"), accounts: [.init(name: "A", plan: .plus)],
                    domains: ["a.test"], checks: ["a.test/web"], since: t0, openedAt: t0,
                    steps: [.init(at: t0, text: "refused")], attachments: [.init(name: "transcript.txt", content: "* refused\n")])
    }

    func folder() -> String { NSTemporaryDirectory() + "hostwatch-outbox-\(UInt64.random(in: 0...UInt64.max))" }

    func events(_ store: FileTicketStore) throws -> [TicketEvent] {
        try store.outbox.entries().compactMap { try store.outbox.event($0) }
    }

    @Test func everyChangeWritesItsEventWithTheTicketAsOfThatChange() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        let ticket = try store.open(draft("check:a.test/web"))
        #expect(ticket.revision == 1)
        let t1 = t0.addingTimeInterval(60)
        _ = try store.update(id: ticket.id) { t throws(TicketStoreError) in t.addStep(.init(at: t1, text: "reminder: still down")) }
        _ = try store.update(id: ticket.id) { t throws(TicketStoreError) in
            t.status = .acknowledged
            t.addStep(.init(at: t1, actor: "alice", text: "acknowledged"))
        }
        _ = try store.update(id: ticket.id) { t throws(TicketStoreError) in t.resolve(at: t1.addingTimeInterval(60), step: "recovered") }
        _ = try store.update(id: ticket.id) { t throws(TicketStoreError) in
            t.reopen(at: t1.addingTimeInterval(120), step: .init(at: t1.addingTimeInterval(120), text: "failing again"),
                     content: TicketContent(key: t.key, subject: t.subject, severity: t.severity, category: t.category, cause: t.cause,
                                            domains: t.domains, accounts: t.accounts, checks: t.checks))
        }
        let written = try events(store)
        #expect(written.map(\.kind) == [.opened, .updated, .acknowledged, .resolved, .reopened])
        #expect(written.map(\.revision) == [1, 2, 3, 4, 5])
        #expect(written.map(\.ticket.status) == [.open, .open, .acknowledged, .resolved, .open])
        #expect(written[1].steps.map(\.text) == ["reminder: still down"])
        #expect(written[2].steps.first?.actor == "alice")
        #expect(written[3].at == t1.addingTimeInterval(60))
        #expect(try store.ticket(id: ticket.id)?.revision == 5)
        let text = try String(contentsOfFile: path + "/outbox/HW-1.4.json", encoding: .utf8)
        #expect(text.contains("\"schema\" : \"hostwatch.event/1\""))
        #expect(text.contains("\"kind\" : \"resolved\""))
        #expect(text.contains("\"ticket_id\" : \"HW-1\""))
    }

    @Test func recordingAReferenceAndChangingNothingWriteNoEvent() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        let ticket = try store.open(draft("check:a.test/web"))
        let recorded = try store.update(id: ticket.id, event: .none) { t throws(TicketStoreError) in t.externalRefs["rt"] = "12" }
        #expect(recorded.revision == 2)
        let same = try store.update(id: ticket.id) { _ throws(TicketStoreError) in }
        #expect(same.revision == 2)
        #expect(try events(store).map(\.revision) == [1])
    }

    /// A crash after the event file and before the ticket file leaves an event ahead of its
    /// ticket: it is removed under the lock, while real events stay.
    @Test func anEventForAChangeThatNeverHappenedIsDiscarded() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        var ticket = try store.open(draft("check:a.test/web"))
        // What the store writes first, without the ticket write that would follow.
        ticket.revision = 2
        ticket.addStep(.init(at: t0, text: "never committed"))
        try store.outbox.write(TicketEvent(kind: .updated, at: t0, ticket: ticket, steps: []))
        var ghost = Ticket(id: "HW-2", draft: draft("check:b.test/web"))
        ghost.revision = 1
        try store.outbox.write(TicketEvent(kind: .opened, at: t0, ticket: ghost, steps: []))
        #expect(try store.outbox.entries().map(\.name) == ["HW-1.1", "HW-1.2", "HW-2.1"])
        #expect(try store.discardOrphanEvents() == 2)
        #expect(try store.outbox.entries().map(\.name) == ["HW-1.1"])
        // The next real change takes revision 2 again, cleanly.
        _ = try store.update(id: "HW-1") { t throws(TicketStoreError) in t.addStep(.init(at: t0, text: "real")) }
        #expect(try events(store).last?.steps.map(\.text) == ["real"])
    }

    @Test func progressIsKeptBesideTheEventAndGoesWithIt() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try FileTicketStore(folder: path)
        _ = try store.open(draft("check:a.test/web"))
        let entry = try #require(try store.outbox.entries().first)
        var progress = try store.outbox.progress(entry)
        #expect(progress.sinks.isEmpty)
        progress.sinks["rt"] = OutboxFolder.SinkProgress()
        progress.sinks["rt"]?.attempts = 3
        progress.sinks["rt"]?.lastError = "unreachable: refused"
        try store.outbox.save(progress, for: entry)
        #expect(try store.outbox.progress(entry).sinks["rt"]?.attempts == 3)
        store.outbox.remove(entry)
        #expect(try store.outbox.entries().isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/outbox").isEmpty)
    }
}
