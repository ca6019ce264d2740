import FoundationEssentials

/// What the Prometheus textfile reports, gathered at one moment: the latest run of each check,
/// the open incidents and the outbox. Plain data; `MetricsText` renders it.
public struct MetricsSnapshot: Sendable, Hashable {
    /// The latest run of one check, kept small (no transcript) so holding one per check costs
    /// little even with ten thousand checks.
    public struct CheckSample: Sendable, Hashable {
        public var check: CheckID
        public var up: Bool
        public var startedAt: Date
        public var duration: Duration
        public var certificateExpiry: Date?

        public init(check: CheckID, up: Bool, startedAt: Date, duration: Duration, certificateExpiry: Date? = nil) {
            self.check = check
            self.up = up
            self.startedAt = startedAt
            self.duration = duration
            self.certificateExpiry = certificateExpiry
        }

        /// The sample of one observation.
        public init(_ observation: Observation) {
            self.init(check: observation.check, up: observation.failure == nil, startedAt: observation.startedAt,
                      duration: observation.duration, certificateExpiry: observation.certificateExpiry)
        }
    }

    public var checks: [CheckSample]
    /// Open (unresolved) incidents by severity; nil when the store could not be read, so the
    /// metric is left out rather than reported as zero.
    public var openIncidents: [Severity: Int]?
    /// Ticket events waiting for delivery. Always 0 until the outbox exists.
    public var outboxPending: Int
    /// When the snapshot was taken: the textfile's "last cycle" time.
    public var takenAt: Date
    /// How late checks started since the agent did (empty when not known).
    public var lateness = LatenessHistogram()
    /// Checks started since the agent did, by kind.
    public var started: [String: UInt64] = [:]
    /// Uptime over 24 h, 30 and 90 days, by check; checks without a sample
    /// are not reported.
    public var uptime: [CheckID: UptimeHistory.Figures] = [:]

    public init(checks: [CheckSample], openIncidents: [Severity: Int]?, outboxPending: Int, takenAt: Date) {
        self.checks = checks
        self.openIncidents = openIncidents
        self.outboxPending = outboxPending
        self.takenAt = takenAt
    }
}
