import FoundationEssentials

/// When a filesystem will be full at its current rate: a least-squares line through the
/// available bytes over a window of samples (what Prometheus's `predict_linear` does for
/// node_exporter's disk alerts). Pure: the samples and `now` are parameters.
public enum DiskGrowth {
    /// One measurement of available bytes.
    public struct Sample: Sendable, Hashable {
        public var time: Date
        public var availableBytes: UInt64

        public init(time: Date, availableBytes: UInt64) {
            self.time = time
            self.availableBytes = availableBytes
        }
    }

    /// The fitted trend.
    public struct Projection: Sendable, Hashable {
        /// Bytes per second being used up; negative when space is being freed.
        public var bytesPerSecond: Double
        /// From now until available space reaches zero at this rate; nil when not filling.
        public var timeToFull: Duration?
        /// The time the samples cover.
        public var span: Duration
        public var samples: Int
    }

    /// Fewer samples than this make no trend.
    public static let minimumSamples = 3

    /// The trend over `samples` (any order), or nil when there are fewer than `minimumSamples`
    /// or they cover less than `minimumSpan` (a few minutes of a busy disk are not a trend).
    /// The time to full counts from the newest sample's available bytes.
    public static func project(_ samples: [Sample], minimumSpan: Duration) -> Projection? {
        guard samples.count >= minimumSamples, let first = samples.min(by: { $0.time < $1.time }),
              let last = samples.max(by: { $0.time < $1.time }) else { return nil }
        let span = last.time.timeIntervalSince(first.time)
        guard span > 0, span >= minimumSpan.timeInterval else { return nil }
        let xs = samples.map { $0.time.timeIntervalSince(first.time) }
        let ys = samples.map { Double($0.availableBytes) }
        let n = Double(samples.count)
        let meanX = xs.reduce(0, +) / n
        let meanY = ys.reduce(0, +) / n
        var covariance = 0.0, variance = 0.0
        for (x, y) in zip(xs, ys) {
            covariance += (x - meanX) * (y - meanY)
            variance += (x - meanX) * (x - meanX)
        }
        guard variance > 0 else { return nil }
        let rate = -covariance / variance
        var timeToFull: Duration?
        if rate > 0 {
            let seconds = Double(last.availableBytes) / rate
            // Beyond a century is "not filling" for any operator.
            if seconds < 3_153_600_000 { timeToFull = .milliseconds(Int64(seconds * 1000)) }
        }
        return Projection(bytesPerSecond: rate, timeToFull: timeToFull, span: .milliseconds(Int64(span * 1000)),
                          samples: samples.count)
    }

    /// Keeps the samples of the last `window` before `now`, at most `limit` of them (the newest).
    /// Samples from the future (the wall clock was set back) are dropped: they would bend the line.
    public static func trim(_ samples: [Sample], now: Date, window: Duration, limit: Int = 1000) -> [Sample] {
        let oldest = now.addingTimeInterval(-window.timeInterval)
        let kept = samples.filter { $0.time >= oldest && $0.time <= now }
        return kept.count > limit ? Array(kept.suffix(limit)) : kept
    }
}
