/// When the outbox tries an event again after a failed delivery: exponential backoff with
/// "full jitter" (a random point in the window, so a helpdesk coming back is not hit by every
/// queued event in the same second), capped, and a deadline after which the failure is raised as
/// a warning ticket. Pure: the random draw is a parameter.
public struct RetryPolicy: Sendable, Hashable {
    /// The window after the first failure.
    public var first: Duration
    /// The largest window, however many failures.
    public var maximum: Duration
    /// How long an event may keep failing before a warning ticket says so.
    public var warnAfter: Duration

    public init(first: Duration = .seconds(5), maximum: Duration = .seconds(600), warnAfter: Duration = .seconds(900)) {
        self.first = first
        self.maximum = max(first, maximum)
        self.warnAfter = warnAfter
    }

    /// The wait before the next attempt after `failures` failed ones (1 or more). `jitter` is a
    /// draw from 0..<1; the wait is at least half the window so retries never spin.
    public func delay(afterFailures failures: Int, jitter: Double) -> Duration {
        let doublings = min(max(0, failures - 1), 30)
        var window = first * (1 << doublings)
        if window > maximum || window < first { window = maximum }
        let fraction = 0.5 + 0.5 * min(max(jitter, 0), 1)
        return window * fraction
    }
}
