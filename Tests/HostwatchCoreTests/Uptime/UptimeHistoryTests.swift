import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct UptimeHistoryTests {
    /// 2026-12-01T00:00:00Z: a day boundary.
    let midnight = Date(timeIntervalSince1970: 1_796_083_200)
    let gap = Duration.seconds(120)

    /// A check run every minute from `start` for `minutes`, failing in `failing` (minute offsets).
    func run(_ history: inout UptimeHistory, _ check: String = "shop.test/web", from start: Date, minutes: Int,
             failing: Range<Int> = 0..<0) {
        for minute in 0..<minutes {
            history.record(check, ok: !failing.contains(minute), at: start.addingTimeInterval(Double(minute) * 60), maxGap: gap)
        }
    }

    @Test func aDayAllUpIsOneHundredPercent() {
        var history = UptimeHistory()
        run(&history, from: midnight, minutes: 24 * 60 + 2)
        let cells = history.dayCells(of: "shop.test/web", count: 3, at: midnight.addingTimeInterval(86_400 + 60))
        #expect(cells == [UptimeHistory.noData, 10_000, 10_000])
        #expect(history.figures(of: "shop.test/web", at: midnight.addingTimeInterval(86_400 + 60)).last24h == 1)
    }

    @Test func anOpenDayAllUpIsExactlyOneHundredPercentWhateverItsLength() {
        // `w * up / observed` rounded to 0.9999999999 for some lengths (a status page test flaked).
        for seconds in 1...3_000 {
            var history = UptimeHistory()
            let start = midnight.addingTimeInterval(3 * 3600)
            history.record("a/web", ok: true, at: start, maxGap: .seconds(10_000))
            history.record("a/web", ok: true, at: start.addingTimeInterval(Double(seconds)), maxGap: .seconds(10_000))
            let figures = history.figures(of: "a/web", at: start.addingTimeInterval(Double(seconds)))
            #expect(figures.last24h == 1 && figures.last30d == 1 && figures.last90d == 1, "\(seconds) s: \(figures)")
            if figures.last30d != 1 { break }
        }
    }

    @Test func anOutageCountsFromTheFirstFailedRunToTheFirstPassingOne() throws {
        var history = UptimeHistory()
        // 144 failed minutes of 1,440: 10 % down.
        run(&history, from: midnight, minutes: 24 * 60 + 1, failing: 600..<744)
        let next = midnight.addingTimeInterval(86_400 + 30)
        let cells = history.dayCells(of: "shop.test/web", count: 2, at: next)
        #expect(cells[0] == 9_000)
        let figures = history.figures(of: "shop.test/web", at: next)
        #expect(abs(try #require(figures.last30d) - 0.9) < 0.001)
        #expect(abs(try #require(figures.last24h) - 0.9) < 0.001)
    }

    @Test func aLongSilenceIsNotObservedTime() {
        var history = UptimeHistory()
        history.record("shop.test/web", ok: false, at: midnight, maxGap: gap)
        // The agent was stopped for three days: only `maxGap` of down time counts.
        history.record("shop.test/web", ok: true, at: midnight.addingTimeInterval(3 * 86_400), maxGap: gap)
        run(&history, from: midnight.addingTimeInterval(3 * 86_400), minutes: 60)
        let cells = history.dayCells(of: "shop.test/web", count: 4, at: midnight.addingTimeInterval(3 * 86_400 + 3600))
        #expect(cells[0] == UptimeHistory.noData)
        #expect(cells[1] == UptimeHistory.noData)
        #expect(cells[2] == 0, "the 120 s before the restart were down")
        #expect(cells[3] == 10_000)
    }

    @Test func spaceIsBoundedWhateverTheTimeSpan() {
        var history = UptimeHistory()
        for day in 0..<1_000 {
            history.record("shop.test/web", ok: day % 2 == 0, at: midnight.addingTimeInterval(Double(day) * 86_400), maxGap: .seconds(86_400))
        }
        let record = history.record(of: "shop.test/web")
        #expect(record?.days.count == UptimeHistory.daysKept)
        #expect(record?.hours.count == UptimeHistory.hoursKept)
    }

    @Test func aClockSetBackDoesNotRewriteThePast() {
        var history = UptimeHistory()
        run(&history, from: midnight, minutes: 120)
        history.record("shop.test/web", ok: false, at: midnight.addingTimeInterval(-86_400), maxGap: gap)
        history.record("shop.test/web", ok: true, at: midnight.addingTimeInterval(7_200), maxGap: gap)
        let cells = history.dayCells(of: "shop.test/web", count: 2, at: midnight.addingTimeInterval(7_200))
        #expect(cells[0] == UptimeHistory.noData, "yesterday stays as it was")
        #expect(cells[1] > 9_800)
    }

    @Test func survivesEncodingExactly() throws {
        var history = UptimeHistory()
        run(&history, from: midnight, minutes: 3 * 1440, failing: 100..<200)
        run(&history, "blog.test/smtp[1]", from: midnight, minutes: 90)
        let decoded = try UptimeHistory(decoding: history.encoded())
        #expect(decoded == history)
    }

    static let magic: [UInt8] = Array("HWUPTIME".utf8)
    static let foreign: [(bytes: [UInt8], message: String)] = [
        ([], "truncated"),
        (magic + [2], "version 2"),
        (Array("NOTUPTIM".utf8) + [1, 0, 0, 0, 0], "not an uptime file"),
        (magic + [1, 1, 0, 0, 0, 5, 0], "truncated"),
        (magic + [1, 0, 0, 0, 0, 9], "trailing"),
    ]

    @Test(arguments: foreign)
    func refusesWhatItDidNotWrite(bytes: [UInt8], message: String) {
        #expect {
            _ = try UptimeHistory(decoding: bytes)
        } throws: { error in
            (error as? UptimeHistory.DecodingError)?.message.contains(message) == true
        }
    }

    @Test func aYearOfTenThousandChecksTakesAFewMegabytes() throws {
        // A bad case: every day of every check a different figure (above 99.4 %), so no run joins.
        var record = UptimeHistory.Record(hour: 0)
        record.days = (0..<365).map { UInt16(9_940 + $0 % 60) }
        record.hours = Array(repeating: 10_000, count: 48)
        record.lastAt = midnight
        var records: [CheckID: UptimeHistory.Record] = [:]
        for i in 0..<10_000 { records[CheckID(target: "customer-\(i).example.net", kind: "web")] = record }
        let worst = UptimeHistory(records: records).encoded().count
        #expect(worst < 5 << 20, "\(worst) bytes")
        // The usual case: days at 100 % join into one run.
        record.days = Array(repeating: 10_000, count: 365)
        for i in 0..<10_000 { records[CheckID(target: "customer-\(i).example.net", kind: "web")] = record }
        let usual = UptimeHistory(records: records).encoded().count
        #expect(usual < 2 << 20, "\(usual) bytes")
    }

    /// The last 48 hours are kept folded like the days, and the 24-hour figure over the folded
    /// hours is the plain mean of the cells.
    @Test func hoursAreKeptFoldedAndTheirFigureIsThePlainMean() throws {
        var history = UptimeHistory()
        // Three days of a result a minute; down from 30:00 to 30:30 (the second day, 06:00).
        run(&history, from: midnight, minutes: 3 * 24 * 60, failing: 30 * 60..<30 * 60 + 30)
        let record = try #require(history.record(of: "shop.test/web"))
        let plain = record.hours
        #expect(plain.count == UptimeHistory.hoursKept)
        #expect(record.closedHours == FoldedCells(plain), "one folding for one sequence")
        #expect(plain.enumerated().filter { $0.element != 10_000 }.map { [$0.offset, Int($0.element)] } == [[7, 5_000]],
                "hour 30 was half down: the 8th of the 48 closed (hours 23–70; hour 71 is open)")
        // A fresh bad half hour: the figure follows it.
        let now = midnight.addingTimeInterval(3 * 86_400)
        run(&history, from: now, minutes: 90, failing: 0..<30)
        let later = try #require(history.record(of: "shop.test/web"))
        let cells = later.hours.suffix(24)
        let openWeight = min(1, Double(later.hourObserved) / 3600)
        let open = Double(later.hourUp) / Double(later.hourObserved) * openWeight
        let expected = (cells.map { Double($0) / 10_000 }.reduce(0, +) + open) / (Double(cells.count) + openWeight)
        let figure = try #require(history.figures(of: "shop.test/web", at: now.addingTimeInterval(90 * 60)).last24h)
        #expect(abs(figure - expected) < 1e-9, "\(figure) against \(expected)")
        #expect(figure < 1)
    }
}
