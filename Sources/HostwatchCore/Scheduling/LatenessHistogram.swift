/// How late checks started (actual start − scheduled start), counted into fixed buckets since
/// the agent started: the Prometheus histogram `hostwatch_check_lateness_seconds`, from which a
/// reader takes quantiles over any window by subtracting two readings.
public struct LatenessHistogram: Sendable, Hashable {
    /// Upper bounds of the buckets, in seconds; a last, unbounded one (`+Inf`) follows.
    public static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Per bucket, the starts that fell in it (not cumulative); one more than `bounds`.
    public private(set) var counts: [UInt64] = Array(repeating: 0, count: LatenessHistogram.bounds.count + 1)
    public private(set) var sum: Double = 0
    public private(set) var count: UInt64 = 0

    public init() {}

    /// Counts one start, `lateness` after its scheduled time (early starts count as on time).
    public mutating func record(_ lateness: Duration) {
        let value = max(0, lateness.timeInterval)
        let index = Self.bounds.firstIndex { value <= $0 } ?? Self.bounds.count
        counts[index] += 1
        sum += value
        count += 1
    }

    /// The cumulative counts per bound, as the exposition format wants them (`le`), `+Inf` last.
    public var cumulative: [UInt64] {
        var total: UInt64 = 0
        return counts.map { total += $0; return total }
    }

    /// The upper bound of the bucket holding the `q` quantile (nil when empty; infinity past
    /// the last bound).
    public func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = UInt64((Double(count) * q).rounded(.up))
        for (index, total) in cumulative.enumerated() where total >= max(1, rank) {
            return index < Self.bounds.count ? Self.bounds[index] : .infinity
        }
        return .infinity
    }
}
