import Testing
@testable import HostwatchCore

@Suite struct LivenessTests {
    let start = ContinuousClock.now

    @Test func aliveWhileObservationsArriveWithinTheLimit() {
        var liveness = Liveness(limit: .seconds(90), startedAt: start)
        #expect(liveness.verdict(at: start + .seconds(90), checks: 3) == .alive)
        #expect(liveness.verdict(at: start + .seconds(91), checks: 3) == .stalled(for: .seconds(91)))
        liveness.progressed(at: start + .seconds(91))
        #expect(liveness.verdict(at: start + .seconds(100), checks: 3) == .alive)
    }

    @Test func anAgentWithNothingToRunIsNeverStalled() {
        let liveness = Liveness(limit: .seconds(1), startedAt: start)
        #expect(liveness.verdict(at: start + .seconds(3600), checks: 0) == .alive)
    }

    @Test func progressNeverMovesBackwards() {
        var liveness = Liveness(limit: .seconds(10), startedAt: start + .seconds(5))
        liveness.progressed(at: start)
        #expect(liveness.lastProgress == start + .seconds(5))
    }

    @Test func theLimitIsTheLongestIntervalPlusTwoTimeoutsAndAMinute() {
        let timings = [CheckTiming(interval: .seconds(60), timeout: .seconds(10)),
                       CheckTiming(interval: .seconds(300), timeout: .seconds(5)),
                       CheckTiming(interval: .seconds(30), timeout: .seconds(20))]
        #expect(Liveness.limit(for: timings) == .seconds(300 + 40 + 60))
        #expect(Liveness.limit(for: []) == .seconds(60))
    }
}
