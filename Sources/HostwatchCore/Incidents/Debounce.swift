import FoundationEssentials

/// Debouncing of one check, both ways (DESIGN.md §4): `failures` consecutive failures make it
/// down, `recoveries` consecutive successes make it up again. Pure; time is a parameter.
public struct Debounce: Sendable, Hashable, Codable {
    /// What one recorded result changed.
    public enum Transition: Sendable, Hashable {
        /// Nothing changed state (still up, still down, or not yet enough results).
        case none
        /// Enough consecutive failures: the check is down since the first of them.
        case wentDown(since: Date)
        /// Enough consecutive successes: the check is up again.
        case cameUp(downSince: Date)
    }

    public private(set) var isDown = false
    /// When the current run of failures began (first failure of the run).
    public private(set) var failingSince: Date?
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0

    public init() {}

    /// A check already known to be down, rebuilt from its open ticket after a restart.
    public init(downSince: Date) {
        isDown = true
        failingSince = downSince
    }

    /// Records one result.
    public mutating func record(failed: Bool, at time: Date, failures: Int, recoveries: Int) -> Transition {
        if failed {
            consecutiveSuccesses = 0
            consecutiveFailures += 1
            if failingSince == nil { failingSince = time }
            if !isDown, consecutiveFailures >= max(1, failures) {
                isDown = true
                return .wentDown(since: failingSince ?? time)
            }
            return .none
        }
        consecutiveFailures = 0
        consecutiveSuccesses += 1
        if isDown {
            guard consecutiveSuccesses >= max(1, recoveries) else { return .none }
            let since = failingSince ?? time
            isDown = false
            failingSince = nil
            return .cameUp(downSince: since)
        }
        failingSince = nil
        return .none
    }

    /// True while results disagree with the settled state: the scheduler then rechecks at the
    /// retry interval instead of the normal one.
    public var isUnsettled: Bool {
        isDown || consecutiveFailures > 0
    }
}
