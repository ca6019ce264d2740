import Testing
@testable import HostwatchCore

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(first: .seconds(5), maximum: .seconds(60), warnAfter: .seconds(900))

    /// Each row: failures so far and the window the next wait is drawn from (half to all of it).
    @Test(arguments: [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (6, 60), (40, 60), (1000, 60)])
    func theWindowDoublesPerFailureUpToTheCap(failures: Int, window: Int) {
        #expect(policy.delay(afterFailures: failures, jitter: 0) == .seconds(window) / 2)
        #expect(policy.delay(afterFailures: failures, jitter: 0.999_999) <= .seconds(window))
        #expect(policy.delay(afterFailures: failures, jitter: 0.999_999) > .seconds(window) * 0.99)
    }

    @Test func jitterSpreadsRetriesWithinTheWindow() {
        let waits = Set([0.0, 0.25, 0.5, 0.75].map { policy.delay(afterFailures: 3, jitter: $0) })
        #expect(waits.count == 4)
        #expect(waits.allSatisfy { $0 >= .seconds(10) && $0 <= .seconds(20) })
    }

    @Test func aCapBelowTheFirstWaitIsRaisedToIt() {
        let odd = RetryPolicy(first: .seconds(10), maximum: .seconds(1))
        #expect(odd.maximum == .seconds(10))
        #expect(odd.delay(afterFailures: 5, jitter: 1) == .seconds(10))
    }
}
