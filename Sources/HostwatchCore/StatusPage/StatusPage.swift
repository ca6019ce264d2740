import FoundationEssentials

/// What the status page shows (DESIGN.md §9): every domain's state and uptime, and the open
/// incidents. A plain value built from the status snapshot, the uptime history and the open
/// tickets by `StatusPage.build`, rendered to HTML by `StatusPageHTML`. Equal values render
/// equal pages (but for the time written), which is how the agent knows nothing changed.
///
/// A public page (`status_page.public: true`, for customers) is built without addresses,
/// accounts, plans, results and ticket details: what is left out is never in the value, so
/// no rendering mistake can show it.
public struct StatusPage: Sendable, Hashable {
    /// Days in the uptime bar.
    public static let barDays = 90

    /// The state of a check or domain, worst first.
    public enum State: Int, Sendable, Hashable, Comparable {
        case down = 0, failing, unknown, ok

        public static func < (lhs: State, rhs: State) -> Bool { lhs.rawValue < rhs.rawValue }

        var word: String {
            switch self {
            case .down: "down"
            case .failing: "failing"
            case .unknown: "no result yet"
            case .ok: "ok"
            }
        }
    }

    /// One check of a domain.
    public struct Check: Sendable, Hashable {
        /// `web`, `smtp[1]`: the check without its domain.
        public var name: String
        public var state: State
        public var downSince: Date?
        public var silencedUntil: Date?
        /// Staff only: where it connects and what its last run said.
        public var endpoint: String?
        public var lastResult: String?
        /// The last `barDays` days, oldest first, in basis points (`UptimeHistory.noData`: none).
        public var days: [UInt16]
        public var figures: UptimeHistory.Figures

        public init(name: String, state: State, downSince: Date? = nil, silencedUntil: Date? = nil, endpoint: String? = nil,
                    lastResult: String? = nil, days: [UInt16], figures: UptimeHistory.Figures) {
            self.name = name
            self.state = state
            self.downSince = downSince
            self.silencedUntil = silencedUntil
            self.endpoint = endpoint
            self.lastResult = lastResult
            self.days = days
            self.figures = figures
        }
    }

    /// One domain (or the server itself, for its disks) with its checks.
    public struct Domain: Sendable, Hashable {
        public var name: String
        /// Staff only.
        public var account: String?
        public var plan: Plan?
        public var checks: [Check]

        public init(name: String, account: String? = nil, plan: Plan? = nil, checks: [Check]) {
            self.name = name
            self.account = account
            self.plan = plan
            self.checks = checks
        }

        /// The worst state of its checks.
        public var state: State { checks.map(\.state).min() ?? .unknown }
        public var downSince: Date? { checks.compactMap(\.downSince).min() }
        public var silencedUntil: Date? { checks.compactMap(\.silencedUntil).max() }

        /// Each day the worst of its checks' days (a domain is only as up as its weakest service).
        public var days: [UInt16] {
            guard let first = checks.first else { return Array(repeating: UptimeHistory.noData, count: StatusPage.barDays) }
            return checks.dropFirst().reduce(first.days) { worst, check in
                zip(worst, check.days).map { a, b in
                    a == UptimeHistory.noData ? b : (b == UptimeHistory.noData ? a : min(a, b))
                }
            }
        }

        /// Its lowest 90-day figure.
        public var uptime90d: Double? { checks.compactMap(\.figures.last90d).min() }
    }

    /// One open incident.
    public struct Incident: Sendable, Hashable {
        /// Staff only: the ticket and its subject.
        public var ticket: String?
        public var subject: String?
        public var category: Category?
        public var severity: Severity?
        public var since: Date
        public var domains: [String]

        public init(ticket: String?, subject: String?, category: Category?, severity: Severity?, since: Date, domains: [String]) {
            self.ticket = ticket
            self.subject = subject
            self.category = category
            self.severity = severity
            self.since = since
            self.domains = domains
        }
    }

    /// What a domain is known as in the config, for the page (and only what staff may see).
    public struct DomainInfo: Sendable, Hashable {
        public var name: String
        public var account: String
        public var plan: Plan
        /// Endpoint by check (`example.org/web` → `203.0.113.10:443/tcp`).
        public var endpoints: [String: String]

        public init(name: String, account: String, plan: Plan, endpoints: [String: String] = [:]) {
            self.name = name
            self.account = account
            self.plan = plan
            self.endpoints = endpoints
        }
    }

    public var server: String
    public var isPublic: Bool
    /// Worst first, then by name.
    public var domains: [Domain]
    public var incidents: [Incident]

    public init(server: String, isPublic: Bool, domains: [Domain], incidents: [Incident]) {
        self.server = server
        self.isPublic = isPublic
        self.domains = domains
        self.incidents = incidents
    }

    /// The page at `now`: the checks of `snapshot` grouped by domain, with the uptime of
    /// `history`, and its open incidents joined with their tickets. A public page holds only the
    /// configured domains (not the server's own disks) and none of the staff-only fields.
    public static func build(snapshot: StatusSnapshot, domains infos: [DomainInfo], tickets: [TicketSummary],
                             history: UptimeHistory, isPublic: Bool, at now: Date) -> StatusPage {
        let infoByName = Dictionary(infos.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var checksByDomain: [String: [Check]] = [:]
        var order: [String] = []
        for status in snapshot.checks {
            let (target, name) = split(status.check)
            let info = infoByName[target.lowercased()]
            if isPublic, info == nil { continue }
            let state: State = switch status.state {
            case "down": .down
            case "failing": .failing
            default: status.lastRun == nil ? .unknown : .ok
            }
            let check = Check(name: name, state: state, downSince: status.downSince, silencedUntil: status.silencedUntil,
                              endpoint: isPublic ? nil : info?.endpoints[status.check],
                              lastResult: isPublic ? nil : status.lastResult,
                              days: history.dayCells(of: status.check, count: barDays, at: now),
                              figures: history.figures(of: status.check, at: now))
            if checksByDomain[target] == nil { order.append(target) }
            checksByDomain[target, default: []].append(check)
        }
        let domains = order.map { name in
            let info = infoByName[name.lowercased()]
            return Domain(name: name, account: isPublic ? nil : info?.account, plan: isPublic ? nil : info?.plan,
                          checks: checksByDomain[name] ?? [])
        }.sorted { ($0.state, $0.name) < ($1.state, $1.name) }
        let ticketByID = Dictionary(tickets.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let shown = Set(domains.map(\.name))
        let incidents = snapshot.incidents.filter { $0.parent == nil }.compactMap { incident -> Incident? in
            let ticket = incident.ticket.flatMap { ticketByID[$0] }
            let domains = ticket?.domains ?? Array(Set(incident.checksDown.map { split($0).target })).sorted()
            if isPublic, !domains.contains(where: shown.contains) { return nil }
            return Incident(ticket: isPublic ? nil : incident.ticket, subject: isPublic ? nil : ticket?.subject,
                            category: ticket?.category, severity: ticket?.severity, since: incident.since,
                            domains: isPublic ? domains.filter(shown.contains) : domains)
        }.sorted { ($0.severity ?? .warning, $1.since) > ($1.severity ?? .warning, $0.since) }
        return StatusPage(server: snapshot.server, isPublic: isPublic, domains: domains, incidents: incidents)
    }

    /// `example.org/smtp[1]` → (`example.org`, `smtp[1]`).
    static func split(_ check: String) -> (target: String, name: String) {
        guard let slash = check.lastIndex(of: "/") else { return (check, check) }
        return (String(check[..<slash]), String(check[check.index(after: slash)...]))
    }

    /// The domain page's file name under the page folder: `d/example.org.html`. Characters a
    /// domain name cannot hold become `_`, so no name reaches outside `d/`.
    public static func fileName(of domain: String) -> String {
        var name = ""
        for ch in domain.lowercased().unicodeScalars {
            name.unicodeScalars.append(("a"..."z").contains(ch) || ("0"..."9").contains(ch) || ch == "-" || ch == "." ? ch : "_")
        }
        if name.isEmpty || name.hasPrefix(".") { name = "_" + name }
        return "d/\(name).html"
    }
}
