import Foundation
import Testing
@testable import HostwatchCore

@Suite struct IncidentTrackerTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let web = CheckID(target: "shop.test", kind: "web")
    let server = Ticket.Server(name: "web01", address: "203.0.113.10")

    func tracker(plan: Plan = .free) -> IncidentTracker {
        var tracker = IncidentTracker(server: server)
        tracker.register(web, subject: .init(domain: "shop.test", account: .init(name: "Shop (#1)", plan: plan),
                                             timing: CheckTiming(failures: 3, recoveries: 2)))
        return tracker
    }

    func observation(_ failure: CheckFailure?, at seconds: Double) -> Observation {
        var transcript = Transcript()
        transcript.append(.note, "Trying 203.0.113.10:443...")
        return Observation(check: web, endpoint: "203.0.113.10:443/https", startedAt: t0.addingTimeInterval(seconds),
                           duration: .milliseconds(3), outcome: failure.map { .failed($0) } ?? .ok,
                           summary: failure?.message ?? "200 OK in 3.0 ms", transcript: transcript)
    }

    let refused = CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: connect to 203.0.113.10:443 refused")
    let error500 = CheckFailure(kind: .protocolViolation, category: .siteOffline, cause: .application,
                                message: "HTTP: expected status 200, got 500 Internal Server Error")

    /// Feeds (failure or nil, second) pairs and returns the actions after each.
    func feed(_ tracker: inout IncidentTracker, _ steps: [(CheckFailure?, Double)]) -> [[IncidentAction]] {
        steps.map { tracker.record(observation($0.0, at: $0.1), at: t0.addingTimeInterval($0.1)) }
    }

    @Test func threeFailuresOpenOneTicketWithEachAttemptAndTheTranscript() throws {
        var t = tracker()
        let actions = feed(&t, [(refused, 0), (refused, 15), (refused, 30), (refused, 45)])
        #expect(actions[0].isEmpty && actions[1].isEmpty && actions[3].isEmpty)
        guard case .open(let draft) = try #require(actions[2].first) else { Issue.record("expected open"); return }
        #expect(draft.key == "check:shop.test/web")
        #expect(draft.severity == .critical)
        #expect(draft.category == .siteOffline)
        #expect(draft.since == t0)
        #expect(draft.domains == ["shop.test"])
        #expect(draft.accounts == [.init(name: "Shop (#1)", plan: .free)])
        #expect(draft.server == server)
        #expect(draft.subject == "shop.test: site offline — HTTP: connect to 203.0.113.10:443 refused")
        #expect(draft.steps.filter { $0.text.contains("refused") }.map(\.at) == [0, 15, 30].map { t0.addingTimeInterval($0) })
        #expect(draft.attachments.first?.content.contains("Trying 203.0.113.10:443") == true)
    }

    @Test func recoveryNeedsTwoSuccessesAndSaysHowLongItWasDown() {
        var t = tracker()
        let actions = feed(&t, [(refused, 0), (refused, 15), (refused, 30), (nil, 45), (refused, 60), (nil, 75), (nil, 90)])
        #expect(actions[3].isEmpty && actions[4].isEmpty && actions[5].isEmpty)
        guard case .resolve(let key, let at, let step) = actions[6].first else { Issue.record("expected resolve"); return }
        #expect(key == "check:shop.test/web")
        #expect(at == t0.addingTimeInterval(90))
        #expect(step.text.contains("recovered by itself after 2 min"))
    }

    @Test func aChangedErrorWhileDownIsAStepButARepeatIsNot() {
        var t = tracker()
        let actions = feed(&t, [(refused, 0), (refused, 1), (refused, 2), (refused, 3), (error500, 4), (error500, 5)])
        #expect(actions[3].isEmpty)
        guard case .update(_, let step) = actions[4].first else { Issue.record("expected update"); return }
        #expect(step.text.contains("500 Internal Server Error"))
        #expect(actions[5].isEmpty)
    }

    @Test(arguments: [(Plan.free, Severity.warning), (.plus, .critical)])
    func anApplicationErrorIsCriticalOnlyOnPlus(plan: Plan, severity: Severity) {
        var t = tracker(plan: plan)
        let actions = feed(&t, [(error500, 0), (error500, 1), (error500, 2)])
        guard case .open(let draft) = actions[2].first else { Issue.record("expected open"); return }
        #expect(draft.severity == severity)
        #expect(draft.cause == .application)
    }

    @Test func anAdoptedIncidentDoesNotOpenAgainAndResolvesOnRecovery() {
        var t = tracker()
        t.adopt(openTicketKey: "check:shop.test/web", openedAt: t0.addingTimeInterval(-300))
        let actions = feed(&t, [(refused, 0), (refused, 1), (refused, 2), (refused, 3), (nil, 4), (nil, 5)])
        #expect(actions[0...4].allSatisfy { $0.isEmpty })
        guard case .resolve = actions[5].first else { Issue.record("expected resolve"); return }
    }

    @Test func aBlipShorterThanTheDebounceOpensNothing() {
        var t = tracker()
        let actions = feed(&t, [(refused, 0), (refused, 1), (nil, 2), (refused, 3), (nil, 4)])
        #expect(actions.allSatisfy { $0.isEmpty })
    }

    @Test func observationsOfUnknownChecksAreIgnored() {
        var t = IncidentTracker(server: server)
        #expect(t.record(observation(refused, at: 0), at: t0).isEmpty)
    }
}
