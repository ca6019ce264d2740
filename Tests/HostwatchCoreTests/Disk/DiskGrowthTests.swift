import Foundation
import Testing
@testable import HostwatchCore

@Suite struct DiskGrowthTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let mib: UInt64 = 1 << 20

    func samples(every seconds: Double, _ available: [UInt64]) -> [DiskGrowth.Sample] {
        available.enumerated().map { DiskGrowth.Sample(time: t0.addingTimeInterval(Double($0.offset) * seconds), availableBytes: $0.element) }
    }

    @Test func aSteadyFillProjectsTheTimeToFull() throws {
        // 100 MiB used per minute, 1000 MiB left at the last sample: full in 10 minutes.
        let fit = try #require(DiskGrowth.project(samples(every: 60, [1500, 1400, 1300, 1200, 1100, 1000].map { $0 * mib }),
                                                  minimumSpan: .seconds(60)))
        #expect(abs(fit.bytesPerSecond - Double(100 * mib) / 60) < 1)
        #expect(fit.timeToFull.map { abs($0.timeInterval - 600) < 0.01 } == true)
        #expect(fit.span == .seconds(300))
        #expect(fit.samples == 6)
    }

    @Test func aPassingSpikeIsDampedByTheFit() throws {
        // Twenty minutes flat at 1000 MiB, with one sample taken while a 500 MiB temporary file existed.
        var available = [UInt64](repeating: 1000 * mib, count: 21)
        available[10] = 500 * mib
        let fit = try #require(DiskGrowth.project(samples(every: 60, available), minimumSpan: .seconds(60)))
        #expect(abs(fit.bytesPerSecond) < 1)
        #expect(fit.timeToFull.map { $0 > .seconds(24 * 3600) } ?? true)
    }

    @Test func freeingSpaceOrStayingFlatIsNeverFull() throws {
        let freeing = try #require(DiskGrowth.project(samples(every: 60, [100, 200, 300].map { $0 * mib }), minimumSpan: .seconds(60)))
        #expect(freeing.bytesPerSecond < 0)
        #expect(freeing.timeToFull == nil)
        let flat = try #require(DiskGrowth.project(samples(every: 60, [5, 5, 5].map { $0 * mib }), minimumSpan: .seconds(60)))
        #expect(flat.timeToFull == nil)
    }

    @Test(arguments: [(2, 600.0, 60), (3, 10.0, 60), (3, 60.0, 600)] as [(Int, Double, Int)])
    func tooFewSamplesOrTooShortASpanMakeNoTrend(count: Int, every: Double, minimumSeconds: Int) {
        let few = samples(every: every, (0..<UInt64(count)).map { (10 - $0) * mib })
        #expect(DiskGrowth.project(few, minimumSpan: .seconds(minimumSeconds)) == nil)
    }

    @Test func trimmingKeepsTheWindowAndDropsTheFuture() {
        let all = samples(every: 600, [9, 8, 7, 6, 5, 4, 3].map { $0 * mib })
        let now = t0.addingTimeInterval(3000)
        let kept = DiskGrowth.trim(all, now: now, window: .seconds(1800))
        #expect(kept.map(\.availableBytes) == [7, 6, 5, 4].map { $0 * mib })
        #expect(DiskGrowth.trim(all, now: now, window: .seconds(100_000), limit: 2).map(\.availableBytes) == [5, 4].map { $0 * mib })
    }
}
