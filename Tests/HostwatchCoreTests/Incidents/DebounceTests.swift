import Foundation
import Testing
@testable import HostwatchCore

@Suite struct DebounceTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Feeds results (true = failed) at one-second steps and returns the transition after each.
    func run(_ results: [Bool], failures: Int = 3, recoveries: Int = 2, start: Debounce = Debounce()) -> [Debounce.Transition] {
        var debounce = start
        return results.enumerated().map { i, failed in
            debounce.record(failed: failed, at: t0.addingTimeInterval(Double(i)), rule: .init(failures: failures, recoveries: recoveries))
        }
    }

    @Test func opensAfterConsecutiveFailuresSinceTheFirstOfThem() {
        #expect(run([false, true, true, true, true]) == [.none, .none, .none, .wentDown(since: t0.addingTimeInterval(1)), .none])
    }

    @Test func aSuccessInBetweenStartsTheCountAgain() {
        #expect(run([true, true, false, true, true]) == [.none, .none, .none, .none, .none])
    }

    @Test func resolvesAfterConsecutiveSuccessesWithTheDownSince() {
        let transitions = run([true, true, true, false, true, false, false])
        #expect(transitions == [.none, .none, .wentDown(since: t0), .none, .none, .none, .cameUp(downSince: t0)])
    }

    @Test func oneFailureOpensWhenFailuresIsOne() {
        #expect(run([true, false], failures: 1, recoveries: 1) == [.wentDown(since: t0), .cameUp(downSince: t0)])
    }

    @Test func aCheckRebuiltAsDownResolvesOnRecovery() {
        let earlier = t0.addingTimeInterval(-600)
        #expect(run([true, false, false], start: Debounce(downSince: earlier)) == [.none, .none, .cameUp(downSince: earlier)])
    }

    @Test func isUnsettledWhileFailingOrDown() {
        var d = Debounce()
        #expect(!d.isUnsettled)
        _ = d.record(failed: true, at: t0, rule: .init(failures: 3, recoveries: 2))
        #expect(d.isUnsettled)
        _ = d.record(failed: false, at: t0, rule: .init(failures: 3, recoveries: 2))
        #expect(!d.isUnsettled)
    }

    /// Icinga's soft and hard states: the retry interval while counting up to down and while
    /// counting back up, the normal interval once down is confirmed.
    @Test func isUnsettledWhileConfirmingEitherWayNotOnceDown() {
        let rule = Debounce.Rule(failures: 2, recoveries: 2)
        var d = Debounce()
        var seen: [Bool] = []
        for failed in [true, true, true, false, true, false, false] {
            _ = d.record(failed: failed, at: t0, rule: rule)
            seen.append(d.isUnsettled)
        }
        // failing 1/2; down; still down; a success (1/2 back); down again; 1/2; up.
        #expect(seen == [true, false, false, true, false, true, false])
    }
}
