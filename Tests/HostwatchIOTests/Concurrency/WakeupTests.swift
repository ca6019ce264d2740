import Testing
@testable import HostwatchIO

/// The delivery loop's doorbell: a ring, a time-out and a cancellation each end one wait, and
/// nothing left over from a wait that ended may end a later one (issue 16: a cancelled timer rang
/// for the next wait, and the outbox spun at a thousand turns a second).
@Suite struct WakeupTests {
    @Test func aRingEndsTheWaitAsSignalled() async {
        let bell = Wakeup()
        async let reason = bell.wait(upTo: .seconds(30))
        await bell.untilWaiting()
        bell.signal()
        #expect(await reason == .signalled)
    }

    @Test func aRingWhileNobodyWaitsIsKeptOnceForTheNextWait() async {
        let bell = Wakeup()
        bell.signal()
        bell.signal()
        #expect(await bell.wait(upTo: .seconds(30)) == .signalled)
        // Two rings are one: the next wait runs to its time-out.
        #expect(await bell.wait(upTo: .milliseconds(50)) == .timedOut)
    }

    @Test func theTimeOutEndsTheWait() async {
        let bell = Wakeup()
        #expect(await bell.wait(upTo: .milliseconds(20)) == .timedOut)
        #expect(await bell.wait(upTo: .zero) == .timedOut)
    }

    @Test func theTimerOfAnEndedWaitNeverEndsTheNextOne() async {
        let bell = Wakeup()
        for _ in 0..<200 {
            async let first = bell.wait(upTo: .seconds(30))
            await bell.untilWaiting()
            bell.signal()
            #expect(await first == .signalled)
        }
        // Two hundred timers were cancelled above; before the fix each rang the next wait.
        // The next wait must run its whole time-out.
        let started = ContinuousClock.now
        #expect(await bell.wait(upTo: .milliseconds(300)) == .timedOut)
        #expect(ContinuousClock.now - started >= .milliseconds(300))
    }

    @Test func cancellingTheWaitingTaskEndsTheWait() async {
        let bell = Wakeup()
        let waiting = Task { await bell.wait(upTo: .seconds(30)) }
        await bell.untilWaiting()
        waiting.cancel()
        #expect(await waiting.value == .cancelled)
        // And the bell still works afterwards.
        bell.signal()
        #expect(await bell.wait(upTo: .seconds(30)) == .signalled)
    }
}

extension Wakeup {
    /// Returns once a wait is in progress (its timer is running).
    func untilWaiting() async {
        while !isWaiting { await Task.yield() }
    }
}
