import Testing
@testable import HostwatchCore

/// When checks run: first soon, then at their phase every interval, on one grid, fixed-rate.
@Suite struct CheckScheduleTests {
    let slot = Duration.milliseconds(250)

    func isOnGrid(_ time: Duration) -> Bool {
        time.nanoseconds % slot.nanoseconds == 0
    }

    @Test(arguments: [UInt64(0), 1, 7, 12_345, 0xdead_beef, .max])
    func theFirstRunComesWithinFiveSecondsAndEveryTimeIsOnTheGrid(seed: UInt64) {
        let schedule = CheckSchedule(interval: .seconds(60), retryInterval: .seconds(15), seed: seed)
        #expect(schedule.slot == slot)
        #expect(schedule.first >= .zero && schedule.first < .seconds(5))
        #expect(schedule.phase >= .zero && schedule.phase < .seconds(60))
        #expect(isOnGrid(schedule.first) && isOnGrid(schedule.phase))
        var due = schedule.first
        for step in 0..<10 {
            let next = schedule.next(after: due, now: due + .milliseconds(40), unsettled: step % 3 == 1)
            #expect(next > due)
            #expect(isOnGrid(next))
            due = next
        }
    }

    @Test func aSettledCheckRunsAtItsPhaseEveryIntervalWhateverItsRunTook() {
        let schedule = CheckSchedule(interval: .seconds(10), retryInterval: .seconds(3), seed: 42)
        let second = schedule.next(after: schedule.first, now: schedule.first + .milliseconds(5), unsettled: false)
        // The phase time after the first run, then whole intervals: fixed-rate, not run + interval.
        #expect((second - schedule.phase).nanoseconds % Duration.seconds(10).nanoseconds == 0)
        let third = schedule.next(after: second, now: second + .seconds(4), unsettled: false)
        #expect(third - second == .seconds(10))
    }

    @Test func anUnsettledCheckRunsRetryIntervalAfterTheRunBefore() {
        let schedule = CheckSchedule(interval: .seconds(60), retryInterval: .seconds(15), seed: 9)
        let due = Duration.seconds(120)
        #expect(schedule.next(after: due, now: due + .seconds(2), unsettled: true) == .seconds(135))
        // Back to settled: the next phase time, not a whole interval after the retry.
        let settled = schedule.next(after: .seconds(135), now: .seconds(136), unsettled: false)
        #expect(settled > .seconds(135) && settled <= .seconds(195))
        #expect((settled - schedule.phase).nanoseconds % Duration.seconds(60).nanoseconds == 0)
    }

    @Test func runsMissedWhileTheAgentFellBehindAreSkippedNotBurst() {
        let schedule = CheckSchedule(interval: .seconds(10), retryInterval: .seconds(5), seed: 3)
        let due = schedule.phase + .seconds(100)
        // The run ended 35 s late: the next is the first phase time after now.
        let now = due + .seconds(35)
        let next = schedule.next(after: due, now: now, unsettled: false)
        #expect(next > now && next <= now + .seconds(10))
        let retry = schedule.next(after: due, now: now, unsettled: true)
        #expect(retry >= now && retry < now + slot)
    }

    @Test func manyChecksSpreadOverTheWholeIntervalAndShareSlots() {
        var perSlot: [Duration: Int] = [:]
        for seed in 0..<UInt64(2000) {
            let schedule = CheckSchedule(interval: .seconds(60), retryInterval: .seconds(15), seed: seed &* 0x9e37_79b9_7f4a_7c15)
            perSlot[schedule.phase, default: 0] += 1
        }
        // 240 slots in a minute: nearly all used, none holding a crowd.
        #expect(perSlot.count > 200)
        #expect(perSlot.values.max()! < 40)
    }

    @Test func shortIntervalsGetAFinerGrid() {
        #expect(CheckSchedule.slot(for: .milliseconds(400)) == .milliseconds(100))
        #expect(CheckSchedule.slot(for: .seconds(1)) == .milliseconds(250))
        #expect(CheckSchedule.slot(for: .milliseconds(20)) == .milliseconds(10))
    }

    @Test func manyChecksStartOverLongerThanFiveSecondsButWithinAnInterval() {
        #expect(CheckSchedule.firstWithin(count: 500) == .seconds(5))
        #expect(CheckSchedule.firstWithin(count: 40_000) == .seconds(80))
        let firsts = (0..<UInt64(4000)).map {
            CheckSchedule(interval: .seconds(60), retryInterval: .seconds(15), seed: $0 &* 0x9e37_79b9_7f4a_7c15,
                          firstWithin: CheckSchedule.firstWithin(count: 40_000)).first
        }
        #expect(firsts.max()! < .seconds(60))
        #expect(firsts.max()! > .seconds(50))
    }
}
