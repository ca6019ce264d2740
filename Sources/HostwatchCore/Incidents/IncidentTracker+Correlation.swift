import FoundationEssentials

/// The upstream rule (DESIGN.md §4, §9): when most sites a web server passes to one upstream (a
/// PHP-FPM pool, an application server) answer 502/503/504, or time out while the web server
/// itself still answers, that is one incident keyed on the upstream, not one per site. Without
/// a known upstream the group is the endpoint. One site failing so while the rest of its group
/// answers stays that site's own (application) incident.
///
/// A site that goes down first is judged against the group's results since its failure began:
/// with at least two failing and most of those seen failing, it opens (or joins) the group's
/// incident. When no other site of the group has answered since, it waits, undecided, until
/// one has or one interval has passed: a pool that dies is one ticket from the start instead of
/// the first site's ticket and a group ticket after it.
extension IncidentTracker {
    /// The latest result of a web check, as the majority rule sees it.
    struct LatestResult: Sendable {
        var at: Date
        /// The group its failure points at (a 502 behind an upstream), or nil: ok, or another failure.
        var gateway: String?
    }

    /// A check down with a gateway failure, waiting for its group to be judged.
    struct Undecided: Sendable {
        var group: String
        var deadline: Date
        var transcript: String
        var timings: Ticket.Step?
    }

    enum KeyDecision: Equatable {
        case key(String)
        case wait
    }

    enum GroupVerdict: Equatable {
        case join
        case alone
        case wait
    }

    /// The group of sites whose gateway failures count together: the upstream, else the endpoint.
    static func gatewayGroup(of subject: Subject) -> String? {
        if let upstream = subject.upstream { return "upstream:\(upstream)" }
        return subject.endpoint.map { "endpoint:\($0)" }
    }

    /// The group a failure points at when it is what a dead or stuck upstream causes: 502, 503 or
    /// 504; or a timeout of a site with a known upstream while other sites of its web server
    /// (on other upstreams) still answer.
    func gatewayCandidate(_ check: CheckID, failure: CheckFailure, subject: Subject, at now: Date) -> String? {
        guard check.kind == "web", let group = Self.gatewayGroup(of: subject) else { return nil }
        if failure.isGatewayStatus { return group }
        guard failure.kind == .timeout, subject.upstream != nil, let endpoint = subject.endpoint else { return nil }
        let recent = now.addingTimeInterval(-2 * max(subject.timing.interval.timeInterval, 1))
        // One look per group on the endpoint, not per site: a hung web server with 10,000 sites
        // times out on all of them at once.
        let webServerAnswers = (answeredByGroup[endpoint] ?? [:]).contains { $0.key != group && $0.value >= recent }
        return webServerAnswers ? group : nil
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

    /// Whether a gateway failure since `since` is the group's (most of the sites seen since then
    /// fail so, at least two), the site's own, or not known yet (no other site seen).
    func judgeGroup(_ group: String, since: Date) -> GroupVerdict {
        let members = gatewayGroups[group] ?? []
        guard members.count >= 2 else { return .alone }
        if let open = state.incidents[group], !open.members.isEmpty { return .join }
        let start = since.addingTimeInterval(-1)
        var seen = 0
        var failing = 0
        for member in members {
            guard let result = latest[member], result.at >= start else { continue }
            seen += 1
            if result.gateway == group { failing += 1 }
        }
        if failing >= 2, failing * 2 > seen { return .join }
        return seen <= 1 ? .wait : .alone
    }

    /// Judges the undecided checks of `group` (of every group when nil) again: they join the
    /// group's incident or their own; past its deadline an undecided check goes alone.
    mutating func settleUndecided(in group: String?, at now: Date, deadlinePassed: Bool) -> [IncidentAction] {
        var actions: [IncidentAction] = []
        for (check, waiting) in undecided.sorted(by: { $0.key < $1.key }) where group == nil || waiting.group == group {
            guard let subject = subjects[check], var checkState = state.checks[check], checkState.debounce.isDown,
                  checkState.incident == nil, let failure = checkState.lastFailure else {
                undecided[check] = nil
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
            undecided[check] = nil
            let attempts = checkState.attempts
            checkState.attempts = []
            state.checks[check] = checkState
            actions += join(check, incident: key, failure: failure, transcript: waiting.transcript, timings: waiting.timings,
                            attempts: attempts, at: now)
        }
        return actions
    }

    /// How a ticket names an upstream: "php8.2-fpm pool unix:/run/php/php8.2-fpm.sock" for a
    /// PHP-FPM socket, "upstream http://127.0.0.1:8080" otherwise.
    static func upstreamName(_ upstream: String) -> String {
        var bare = Substring(upstream)
        if let scheme = bare.firstRange(of: "://") { bare = bare[scheme.upperBound...] }
        if bare.hasPrefix("unix:") {
            let file = bare.split(separator: "/").last.map(String.init) ?? String(bare)
            let base = file.hasSuffix(".sock") ? String(file.dropLast(5)) : file
            let lower = base.lowercased()
            if lower.contains("fpm") || lower.contains("php") { return "\(base) pool \(upstream)" }
        } else if bare.hasSuffix(":9000") {
            return "PHP-FPM pool \(upstream)"
        }
        return "upstream \(upstream)"
    }

    /// "answer 502" (the most common status of the checks down), or "time out".
    func gatewaySymptom(of checks: Set<CheckID>) -> String {
        var counts: [Int: Int] = [:]
        for check in checks {
            if let status = state.checks[check]?.lastFailure?.httpStatus { counts[status, default: 0] += 1 }
        }
        guard let top = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }) else { return "time out" }
        return counts.count == 1 ? "answer \(top.key)" : "answer \(top.key) (and other 5xx)"
    }
}
