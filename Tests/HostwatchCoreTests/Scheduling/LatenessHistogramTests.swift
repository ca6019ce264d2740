import Testing
@testable import HostwatchCore

@Suite struct LatenessHistogramTests {
    @Test func countsIntoBucketsAndReadsQuantilesAsTheBucketBound() {
        var histogram = LatenessHistogram()
        #expect(histogram.quantile(0.5) == nil)
        for _ in 0..<98 { histogram.record(.microseconds(300)) }
        histogram.record(.milliseconds(40))
        histogram.record(.seconds(3))
        #expect(histogram.count == 100)
        #expect(histogram.quantile(0.5) == 0.001)
        #expect(histogram.quantile(0.99) == 0.05)
        #expect(histogram.quantile(1) == 5)
        #expect(histogram.cumulative.last == 100)
        #expect(histogram.cumulative.count == LatenessHistogram.bounds.count + 1)
    }

    @Test func earlyStartsCountAsOnTimeAndHugeOnesAsInfinite() {
        var histogram = LatenessHistogram()
        histogram.record(.milliseconds(-3))
        histogram.record(.seconds(60))
        #expect(histogram.counts.first == 1)
        #expect(histogram.counts.last == 1)
        #expect(histogram.quantile(1) == .infinity)
    }
}
