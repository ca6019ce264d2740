import FoundationEssentials
import Testing
@testable import HostwatchCore

extension IncidentTrackerTests {
    @Test func aDomainNoLongerHostedResolvesSayingSo() {
        var t = tracker(["shop.test"])
        _ = rounds(&t, [Self.web("shop.test")], Self.error500, count: 3, start: 0)
        var reloaded = IncidentTracker(server: server)
        reloaded.restore(t.state)
        let actions = reloaded.dropUnregistered(at: Self.t0.addingTimeInterval(100), goneDomains: ["shop.test"])
        guard case .resolve(_, _, let step) = actions.first else { Issue.record("expected resolve, got \(actions)"); return }
        #expect(step.text.contains("shop.test: domain no longer hosted here"))
        #expect(!step.text.contains("removed from config"))
    }
}
