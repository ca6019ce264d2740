import FoundationEssentials

/// The upstream rule in the tracker (DESIGN.md §4, §9): where a check that is down goes, given
/// what `GatewayCorrelation` knows of its group. A dead pool is one ticket from the start
/// instead of the first site's ticket and a group ticket after it; one site failing while the
/// rest of its group answers stays that site's own (application) incident.
extension IncidentTracker {
    enum KeyDecision: Equatable {
        case key(String)
        case wait
    }

    /// The incident a check that is down joins, or `.wait` while its group cannot be judged yet.
    func decideKey(for check: CheckID, failure: CheckFailure, subject: Subject, candidate: String?, current: String?,
                   since: Date) -> KeyDecision {
        let own = incidentKey(for: check, failure: failure, subject: subject)
        if let candidate {
            // Already in its group's incident, or in its own since before the group failed: it
            // stays (a site's own ticket is not resolved and merged away under a responder).
            if let current, current == candidate || current == own { return .key(current) }
            switch judgeGroup(candidate, since: since) {
            case .join: return .key(candidate)
            case .wait where current == nil: return .wait
            case .wait, .alone: break
            }
        }
        return .key(own)
    }

    func judgeGroup(_ group: String, since: Date) -> GatewayCorrelation.Verdict {
        correlation.judge(group, since: since, groupIncidentOpen: !(state.incidents[group]?.members.isEmpty ?? true))
    }

    /// Judges the undecided checks of `group` (of every group when nil) again: they join the
    /// group's incident or their own; past its deadline an undecided check goes alone.
    mutating func settleUndecided(in group: String?, at now: Date, deadlinePassed: Bool) -> [IncidentAction] {
        var actions: [IncidentAction] = []
        for (check, waiting) in correlation.undecided.sorted(by: { $0.key < $1.key }) where group == nil || waiting.group == group {
            guard let subject = subjects[check], case var checkState = state.checks[check], checkState.debounce.isDown,
                  checkState.incident == nil, let failure = checkState.lastFailure else {
                correlation.undecided[check] = nil
                continue
            }
            let key: String
            switch judgeGroup(waiting.group, since: checkState.debounce.failingSince ?? now) {
            case .join:
                key = waiting.group
            case .alone:
                key = incidentKey(for: check, failure: failure, subject: subject)
            case .wait:
                guard deadlinePassed, now >= waiting.deadline else { continue }
                key = incidentKey(for: check, failure: failure, subject: subject)
            }
            correlation.undecided[check] = nil
            let attempts = checkState.attempts
            checkState.attempts = []
            state.checks[check] = checkState
            actions += join(check, incident: key, failure: failure, transcript: waiting.transcript, timings: waiting.timings,
                            attempts: attempts, at: now)
        }
        return actions
    }

    /// "answer 502" (the most common status of the checks down), or "time out".
    func gatewaySymptom(of checks: Set<CheckID>) -> String {
        var counts: [Int: Int] = [:]
        for check in checks {
            if let status = state.checks[check].lastFailure?.httpStatus { counts[status, default: 0] += 1 }
        }
        guard let top = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) else { return "time out" }
        return counts.count == 1 ? "answer \(top.key)" : "answer \(top.key) (and other 5xx)"
    }
}
