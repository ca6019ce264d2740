/// Whether the scheduler is still making progress: the judge behind the systemd watchdog and
/// the heartbeat. A scheduler that answers but records no observation for longer than `limit`
/// (the libcurl loop wedged, every check task stuck) counts as stalled, so the pings stop and
/// systemd restarts the agent. Time is a parameter; nothing here reads a clock.
public struct Liveness: Sendable {
    public enum Verdict: Sendable, Hashable {
        case alive
        /// No observation for this long.
        case stalled(for: Duration)
    }

    public let limit: Duration
    public private(set) var lastProgress: ContinuousClock.Instant

    public init(limit: Duration, startedAt: ContinuousClock.Instant) {
        self.limit = limit
        lastProgress = startedAt
    }

    public mutating func progressed(at now: ContinuousClock.Instant) {
        if now > lastProgress { lastProgress = now }
    }

    /// Alive when there is nothing to run (`checks` is zero) or an observation came in within `limit`.
    public func verdict(at now: ContinuousClock.Instant, checks: Int) -> Verdict {
        let quiet = lastProgress.duration(to: now)
        return checks == 0 || quiet <= limit ? .alive : .stalled(for: quiet)
    }

    /// The longest quiet time a healthy scheduler can have: the longest interval, plus two
    /// timeouts (an HTTP check may take a second look after a failed verification), plus a
    /// minute of slack. Queued transfers do not lengthen it: while any transfer finishes,
    /// observations keep coming.
    public static func limit(for timings: [CheckTiming]) -> Duration {
        let interval = timings.map(\.interval).max() ?? .zero
        let timeout = timings.map(\.timeout).max() ?? .zero
        return interval + timeout * 2 + .seconds(60)
    }
}
