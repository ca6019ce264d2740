import FoundationEssentials

/// Debouncing of one check, both ways (DESIGN.md §4): `failures` consecutive failures, or `k`
/// failures among the last `n` results (a crash loop that never fails three times in a row),
/// make it down; `recoveries` consecutive successes make it up again. Pure; time is a parameter.
public struct Debounce: Sendable, Hashable, Codable {
    /// The thresholds.
    public struct Rule: Sendable, Hashable, Codable {
        public var failures: Int
        public var recoveries: Int
        /// `k` failures in the last `n` results also make the check down; nil turns that off.
        public var kOfN: KOfN?

        public init(failures: Int = 3, recoveries: Int = 2, kOfN: KOfN? = nil) {
            self.failures = failures
            self.recoveries = recoveries
            self.kOfN = kOfN
        }
    }

    /// "k of the last n" (Monit's cycles rule).
    public struct KOfN: Sendable, Hashable, Codable {
        public var k: Int
        public var n: Int
        public init(k: Int, n: Int) {
            self.k = k
            self.n = n
        }
    }

    /// What one recorded result changed.
    public enum Transition: Sendable, Hashable {
        /// Nothing changed state (still up, still down, or not yet enough results).
        case none
        /// Enough failures: the check is down since the first failure of the run.
        case wentDown(since: Date)
        /// Enough consecutive successes: the check is up again.
        case cameUp(downSince: Date)
    }

    public private(set) var isDown = false
    /// When the current run of failures began (first failure since the last settled success).
    public private(set) var failingSince: Date?
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0
    /// The last results, newest in bit 0 (1 = failed); `resultCount` of them are valid.
    private var recent: UInt64 = 0
    private var resultCount = 0

    public init() {}

    /// Nothing to remember: up, and no failure among the results kept. A restart that starts
    /// such a check afresh judges it exactly the same.
    public var isQuiet: Bool {
        !isDown && consecutiveFailures == 0 && recent == 0
    }

    /// A check already known to be down, rebuilt from its open ticket after a restart.
    public init(downSince: Date) {
        isDown = true
        failingSince = downSince
    }

    /// Failures among the last `n` results.
    public func failures(inLast n: Int) -> Int {
        let width = min(n, resultCount, 64)
        guard width > 0 else { return 0 }
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        return (recent & mask).nonzeroBitCount
    }

    /// Records one result.
    public mutating func record(failed: Bool, at time: Date, rule: Rule) -> Transition {
        recent = (recent << 1) | (failed ? 1 : 0)
        resultCount = min(resultCount + 1, 64)
        if failed {
            consecutiveSuccesses = 0
            consecutiveFailures += 1
            if failingSince == nil { failingSince = time }
            let byRun = consecutiveFailures >= max(1, rule.failures)
            // k never undercuts `failures`: with failures 5 and [3, 5], 3 in a row must not open.
            let byShare = rule.kOfN.map { failures(inLast: $0.n) >= max(1, $0.k, rule.failures) } ?? false
            if !isDown, byRun || byShare {
                isDown = true
                return .wentDown(since: failingSince ?? time)
            }
            return .none
        }
        consecutiveFailures = 0
        consecutiveSuccesses += 1
        if isDown {
            guard consecutiveSuccesses >= max(1, rule.recoveries) else { return .none }
            let since = failingSince ?? time
            isDown = false
            failingSince = nil
            return .cameUp(downSince: since)
        }
        // A success keeps `failingSince` while recent failures could still add up to k of n.
        if rule.kOfN.map({ failures(inLast: $0.n) == 0 }) ?? true { failingSince = nil }
        return .none
    }


    /// True while results disagree with the settled state (failing but not yet down, or down
    /// with a success since): the scheduler then rechecks at the retry interval instead of the
    /// normal one. A check confirmed down goes back to its interval, as Icinga's retry interval
    /// holds for soft states only: 4,000 sites of a hung server retried every 15 s held
    /// thousands of transfers open for nothing (issue 16); its first success after that is
    /// confirmed at the retry interval again.
    public var isUnsettled: Bool {
        isDown ? consecutiveSuccesses > 0 : consecutiveFailures > 0
    }
}
