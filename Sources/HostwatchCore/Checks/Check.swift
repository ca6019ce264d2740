import FoundationEssentials

/// One probe of one target. Conformers reach the network only through the transport they were
/// initialised with, and record each exchange in the observation's transcript.
public protocol Check: Sendable {
    /// Stable identity; keys the incident tracker and titles tickets.
    var id: CheckID { get }
    /// How often to run, how long to wait, how many results make a state change.
    var timing: CheckTiming { get }
    /// Runs once within the check's timeout. `now` is the wall-clock start, used for judging
    /// dates such as certificate expiry. Returns what was seen: success, or the step that failed
    /// and the server's own words, with the transcript of the exchange. Never throws: every
    /// problem is an observation.
    func run(now: Date) async -> Observation
    /// `ADDRESS:PORT/PROTOCOL` the check connects to; connection-level failures of every check
    /// on one endpoint make one incident. Nil for checks without one (disks).
    var endpoint: String? { get }
}

extension Check {
    public var endpoint: String? { nil }
}

/// The scheduling and debouncing settings of one check (DESIGN.md §4 defaults).
///
/// Kept in 32 bytes instead of 64 (durations as nanoseconds, counts in 32 bits): every built
/// check holds one, 40,000 of them at issue 16's scale.
public struct CheckTiming: Sendable, Hashable {
    @Nanoseconds public var interval: Duration
    @Nanoseconds public var timeout: Duration
    @Nanoseconds public var retryInterval: Duration
    private var failureCount: Int32
    private var recoveryCount: Int32

    /// Consecutive failures that open an incident.
    public var failures: Int {
        get { Int(failureCount) }
        set { failureCount = Int32(clamping: newValue) }
    }
    /// Consecutive successes that resolve it.
    public var recoveries: Int {
        get { Int(recoveryCount) }
        set { recoveryCount = Int32(clamping: newValue) }
    }

    public init(interval: Duration = .seconds(60), timeout: Duration = .seconds(10),
                retryInterval: Duration = .seconds(15), failures: Int = 3, recoveries: Int = 2) {
        self.interval = interval
        self.timeout = timeout
        self.retryInterval = retryInterval
        failureCount = Int32(clamping: failures)
        recoveryCount = Int32(clamping: recoveries)
    }
}
