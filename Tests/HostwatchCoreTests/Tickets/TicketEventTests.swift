import Foundation
import Testing
@testable import HostwatchCore

@Suite struct TicketEventTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func ticket() -> Ticket {
        var t = Ticket(id: "HW-7", draft: TicketDraft(key: "check:a.test/web", severity: .critical, category: .siteOffline, cause: .infrastructure,
                                                      subject: "a.test: site offline", server: .init(name: "web01", address: "127.0.0.1"),
                                                      accounts: [.init(name: "A", plan: .free)], domains: ["a.test"], checks: ["a.test/web"],
                                                      since: t0, openedAt: t0, steps: [.init(at: t0, text: "refused")], attachments: []))
        t.revision = 1
        return t
    }

    @Test func aNewTicketIsOpenedWithAllItsSteps() throws {
        let event = try #require(TicketEvent.describe(from: nil, to: ticket(), at: t0))
        #expect(event.kind == .opened)
        #expect(event.steps.map(\.text) == ["refused"])
        #expect(event.id == "HW-7/1")
    }

    /// Each row: a change, and the event it makes.
    @Test(arguments: [
        ("step", TicketEvent.Kind.updated),
        ("ack", .acknowledged),
        ("resolve", .resolved),
        ("reopen", .reopened),
    ])
    func aChangeIsJudgedByWhatItDid(change: String, kind: TicketEvent.Kind) throws {
        var old = ticket()
        if change == "reopen" { old.resolve(at: t0.addingTimeInterval(60), step: "recovered") }
        var new = old
        new.revision += 1
        let t1 = t0.addingTimeInterval(120)
        switch change {
        case "step": new.addStep(.init(at: t1, text: "still down"))
        case "ack":
            new.status = .acknowledged
            new.addStep(.init(at: t1, actor: "alice", text: "acknowledged"))
        case "resolve": new.resolve(at: t1, step: "recovered by itself")
        default: new.reopen(at: t1, step: .init(at: t1, text: "failing again"), content: TicketContent(key: new.key, subject: new.subject, severity: new.severity, category: new.category, cause: new.cause, domains: new.domains, accounts: new.accounts, checks: new.checks))
        }
        let event = try #require(TicketEvent.describe(from: old, to: new, at: t1))
        #expect(event.kind == kind)
        #expect(event.steps.count == 1)
        #expect(event.at == t1)
        #expect(event.revision == new.revision)
    }

    @Test func recordingAReferenceIsNoEvent() {
        let old = ticket()
        var new = old
        new.externalRefs["rt"] = "12"
        #expect(TicketEvent.describe(from: old, to: new, at: t0) == nil)
    }

    @Test func anExplicitKindWins() throws {
        let old = ticket()
        var new = old
        new.addStep(.init(at: t0, text: "note"))
        #expect(try #require(TicketEvent.describe(from: old, to: new, kind: .acknowledged, at: t0)).kind == .acknowledged)
    }
}
