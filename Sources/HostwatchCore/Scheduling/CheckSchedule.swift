/// When one check runs, as offsets from the moment the agent started its checks (the clock is
/// the caller's): fixed-rate, on a grid of `slot`, at a phase of its own.
///
/// - The first run comes soon: within `firstWithin` of the start (5 s, or longer when there
///   are so many checks that starting them all in 5 s would be a burst), never past an interval.
/// - Then a settled check runs at its phase within the interval (a stable hash of the check,
///   spread over the whole interval), every `interval`; so 40,000 checks at 60 s are about 670
///   a second, not 40,000 in the first 5 seconds of each minute.
/// - While it is unsettled (failing, or recovering) it runs `retry_interval` after the run
///   before.
/// - Every time falls on the grid, so the checks due in one slot wake together (one timer and
///   one batch for the transfer loop, instead of one wake-up per check: issue 16).
/// - Fixed-rate: a run is due a whole interval after the *scheduled* time of the one before,
///   not after it ended, so the lateness of a start (actual − scheduled) is a measure of the
///   agent, not of the targets. Runs missed because the agent fell behind are skipped, never
///   run in a burst.
///
/// Kept as nanoseconds, 40 bytes instead of 80: the scheduler holds one per check.
public struct CheckSchedule: Sendable, Hashable {
    @Nanoseconds public var interval: Duration
    @Nanoseconds public var retryInterval: Duration
    /// The grid every due time falls on.
    @Nanoseconds public var slot: Duration
    /// Where in each interval a settled check runs, a multiple of `slot` below `interval`.
    @Nanoseconds public private(set) var phase: Duration
    /// When the first run is due.
    @Nanoseconds public private(set) var first: Duration

    /// How long the first runs of `count` checks take to start: 5 s, or 2 ms a check beyond that
    /// (40,000 checks start over 80 s, at most an interval: ~500 a second, not 8,000).
    public static func firstWithin(count: Int) -> Duration {
        max(.seconds(5), .milliseconds(2) * count)
    }

    /// The slot used by the agent: 250 ms, or less for checks run more often than every second.
    public static func slot(for interval: Duration) -> Duration {
        min(.milliseconds(250), max(.milliseconds(10), interval / 4))
    }

    /// - Parameter seed: a stable hash of the check (the same across restarts).
    public init(interval: Duration, retryInterval: Duration, seed: UInt64, slot: Duration? = nil,
                firstWithin: Duration = .seconds(5)) {
        self.interval = interval
        self.retryInterval = retryInterval
        let slot = slot ?? Self.slot(for: min(interval, retryInterval))
        self.slot = slot
        let slotNanos = max(1, slot.nanoseconds)
        let slotsPerInterval = max(1, interval.nanoseconds / slotNanos)
        phase = .nanoseconds(Int64(seed % UInt64(slotsPerInterval)) * slotNanos)
        let early = max(1, min(interval, firstWithin).nanoseconds / slotNanos)
        // A different mix of the seed, so the first run and the phase are not the same slot.
        first = .nanoseconds(Int64((seed >> 17 ^ seed) % UInt64(early)) * slotNanos)
    }

    /// When the run after the one scheduled at `scheduled` is due, given that it is `now`.
    /// Never at or before `now`'s slot has passed: a missed run is skipped.
    public func next(after scheduled: Duration, now: Duration, unsettled: Bool) -> Duration {
        if unsettled {
            let due = roundUp(scheduled + retryInterval)
            return due > now ? due : roundUp(now)
        }
        // The next phase time after the scheduled run.
        let intervalNanos = interval.nanoseconds
        let offset = scheduled.nanoseconds - phase.nanoseconds
        var k = offset < 0 ? 0 : offset / intervalNanos + 1
        var due = Duration.nanoseconds(Int64(k) * intervalNanos) + phase
        if due <= now {
            k = (now.nanoseconds - phase.nanoseconds) / intervalNanos + 1
            due = Duration.nanoseconds(Int64(k) * intervalNanos) + phase
        }
        return due
    }

    /// `time` moved up onto the grid.
    func roundUp(_ time: Duration) -> Duration {
        let slotNanos = max(1, slot.nanoseconds)
        let nanos = time.nanoseconds
        let slots = (nanos + slotNanos - 1) / slotNanos
        return .nanoseconds(Int64(slots) * slotNanos)
    }
}
