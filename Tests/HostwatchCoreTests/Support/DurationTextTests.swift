import Foundation
import Testing
@testable import HostwatchCore

@Suite struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("15s", .seconds(15)), ("5m", .seconds(300)), ("6h", .seconds(21_600)),
        ("2d", .seconds(172_800)), ("1h30m", .seconds(5400)), ("1m500ms", .milliseconds(60_500)),
    ])
    func parsesDurations(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", "15", "s", "15 s", "1.5s", "15sec", "-5s", "5w", "1h30", "9999999999s"])
    func rejectsWhatIsNotADuration(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test(arguments: [(Duration.seconds(90), "1m30s"), (.milliseconds(250), "250ms"), (.seconds(86_400 + 7200), "1d2h"), (.zero, "0ms")])
    func formatsDurationsCompactly(duration: Duration, expected: String) {
        #expect(DurationText.format(duration) == expected)
    }

    @Test func nanosecondsAreHeldAtInt64sBoundsInsteadOfTrapping() {
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
        #expect(Duration.milliseconds(-1500).nanoseconds == -1_500_000_000)
        #expect(Duration.seconds(Int64.max).nanoseconds == .max)
        #expect(Duration.seconds(Int64.min).nanoseconds == .min)
        #expect(CheckTiming(interval: .seconds(Int64.max)).interval == .nanoseconds(Int64.max))
    }

    @Test func durationsHeldOncePerCheckTakeEightBytesEach() {
        #expect(MemoryLayout<Nanoseconds>.size == 8)
        #expect(MemoryLayout<CheckTiming>.size == 32)
        #expect(MemoryLayout<CheckSchedule>.size == 40)
        var timing = CheckTiming()
        timing.timeout = .milliseconds(1500)
        #expect(timing.timeout == .milliseconds(1500))
        #expect(timing != CheckTiming())
    }

    @Test(arguments: [("1024", 1024), ("64KiB", 65_536), ("1MiB", 1_048_576), ("1GB", 1_000_000_000), ("10 KB", 10_000)])
    func parsesSizes(text: String, expected: Int) {
        #expect(DurationText.parseSize(text) == expected)
    }

    @Test(arguments: ["", "KiB", "1TiB", "-1", "1.5MiB", "99999999999999999999"])
    func rejectsWhatIsNotASize(text: String) {
        #expect(DurationText.parseSize(text) == nil)
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"), (951_782_400, "2000-02-29T00:00:00Z"), (1_795_609_189, "2026-11-25T12:19:49Z"),
        (-86_400, "1969-12-31T00:00:00Z"), (4_107_542_399, "2100-02-28T23:59:59Z"),
    ])
    func formatsAndParsesUTCTimes(seconds: Double, text: String) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(RFC3339.format(date) == text)
        #expect(RFC3339.parse(text) == date)
    }

    @Test func parsesOffsetsAndFractions() {
        #expect(RFC3339.parse("2026-11-25T13:19:49+01:00") == RFC3339.parse("2026-11-25T12:19:49Z"))
        #expect(RFC3339.parse("2026-11-25T12:19:49.5Z")?.timeIntervalSince1970 == 1_795_609_189.5)
    }

    @Test(arguments: ["", "2026-11-25", "2026-13-01T00:00:00Z", "2026-11-25T12:19:49", "2026-11-25T12:19:49Zjunk", "2026-11-25T25:00:00Z"])
    func rejectsMalformedTimes(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
