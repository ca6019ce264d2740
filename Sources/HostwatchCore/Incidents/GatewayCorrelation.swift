import FoundationEssentials

/// What the upstream rule (DESIGN.md §4, §9) remembers and judges by, apart from the incidents:
/// which web checks pass to which upstream, how each last fared, when the web server last
/// answered for each group, and the checks that are down but not yet placed.
///
/// A gateway failure is a 502, 503 or 504; or a timeout of a site with a known upstream while the
/// same web server still answers for sites of another group. The group is the upstream
/// (`upstream:unix:/run/php/php8.2-fpm.sock`), or the endpoint when no upstream is known. A site
/// that goes down with one is judged against its group's results since it began failing: at
/// least two failing and most of those seen is the group's incident; nobody else seen yet is
/// `wait` (at most one interval); else the site's own.
///
/// Not saved: a restart relearns it within one interval of each check.
struct GatewayCorrelation: Sendable {
    /// A check down with a gateway failure, waiting for its group to be judged.
    struct Undecided: Sendable {
        var group: String
        var deadline: Date
        var transcript: String
        var timings: Ticket.Step?
    }

    enum Verdict: Equatable {
        case join
        case alone
        case wait
    }

    /// Web checks by group, and each web check's group (made once: `observe` runs for every
    /// web result and would otherwise build the key string each time).
    private(set) var groups: [String: [CheckID]] = [:]
    private var groupOf: [CheckID: String] = [:]
    /// Per endpoint, when the web server last answered (anything but a refused or timed-out
    /// connection) for a site of each group.
    private var answeredByGroup: [String: [String: Date]] = [:]
    /// Each web check's latest result: when, and the group its failure pointed at (nil: ok or
    /// another failure).
    private var latest: [CheckID: (at: Date, gateway: String?)] = [:]
    var undecided: [CheckID: Undecided] = [:]

    /// The group of sites whose gateway failures count together.
    static func group(of subject: IncidentTracker.Subject) -> String? {
        if let upstream = subject.upstream { return "upstream:\(upstream)" }
        return subject.endpoint.map { "endpoint:\($0)" }
    }

    mutating func register(_ check: CheckID, subject: IncidentTracker.Subject) {
        guard check.kind == "web", let made = Self.group(of: subject) else { return }
        // The group's key as `groups` holds it: one copy for the group, not one a site.
        let group = groups.index(forKey: made).map { groups.keys[$0] } ?? made
        groups[group, default: []].append(check)
        groupOf[check] = group
    }

    /// The group a failure points at when it is what a dead or stuck upstream causes.
    func candidate(_ check: CheckID, failure: CheckFailure, subject: IncidentTracker.Subject, at now: Date) -> String? {
        guard let group = groupOf[check] else { return nil }
        if failure.isGatewayStatus { return group }
        guard failure.kind == .timeout, subject.upstream != nil, let endpoint = subject.endpoint else { return nil }
        let recent = now.addingTimeInterval(-2 * max(subject.timing.interval.timeInterval, 1))
        // One look per group on the endpoint, not per site: a hung web server with 10,000 sites
        // times out on all of them at once.
        let webServerAnswers = (answeredByGroup[endpoint] ?? [:]).contains { $0.key != group && $0.value >= recent }
        return webServerAnswers ? group : nil
    }

    /// Remembers a web check's result.
    mutating func observe(_ check: CheckID, subject: IncidentTracker.Subject, failure: CheckFailure?, candidate: String?, at now: Date) {
        guard let group = groupOf[check] else { return }
        latest[check] = (now, candidate)
        if failure.map({ !$0.isConnectionLevel }) ?? true, let endpoint = subject.endpoint {
            answeredByGroup[endpoint, default: [:]][group] = now
        }
    }

    /// Whether a gateway failure since `since` is the group's, the site's own, or not known yet.
    /// - Parameter groupIncidentOpen: the group's incident is open with members: join it.
    func judge(_ group: String, since: Date, groupIncidentOpen: Bool) -> Verdict {
        let members = groups[group] ?? []
        guard members.count >= 2 else { return .alone }
        if groupIncidentOpen { return .join }
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
}
