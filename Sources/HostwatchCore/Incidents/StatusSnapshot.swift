import FoundationEssentials

/// What `hostwatch status` shows: every check's state and every open incident, written by the
/// agent each cycle (schema `hostwatch.status/1`).
public struct StatusSnapshot: Sendable, Codable, Hashable {
    /// One check.
    public struct CheckStatus: Sendable, Codable, Hashable {
        public var check: String
        /// `ok`, `failing` (not yet an incident) or `down`.
        public var state: String
        public var consecutiveFailures: Int
        public var failuresToOpen: Int
        public var downSince: Date?
        public var silencedUntil: Date?
        public var incident: String?
        public var lastResult: String?
        public var lastRun: Date?
        /// Uptime over the last 24 h, 30 and 90 days (0…1), from the uptime history; filled in
        /// by `hostwatch status`, nil when nothing was observed.
        public var uptime24h: Double? = nil
        public var uptime30d: Double? = nil
        public var uptime90d: Double? = nil

        public init(check: String, state: String, consecutiveFailures: Int, failuresToOpen: Int, downSince: Date?, silencedUntil: Date?,
                    incident: String?, lastResult: String?, lastRun: Date?) {
            self.check = check
            self.state = state
            self.consecutiveFailures = consecutiveFailures
            self.failuresToOpen = failuresToOpen
            self.downSince = downSince
            self.silencedUntil = silencedUntil
            self.incident = incident
            self.lastResult = lastResult
            self.lastRun = lastRun
        }

        enum CodingKeys: String, CodingKey {
            case check, state, incident
            case uptime24h = "uptime_24h", uptime30d = "uptime_30d", uptime90d = "uptime_90d"
            case consecutiveFailures = "consecutive_failures", failuresToOpen = "failures_to_open"
            case downSince = "down_since", silencedUntil = "silenced_until", lastResult = "last_result", lastRun = "last_run"
        }
    }

    /// One open incident.
    public struct IncidentStatus: Sendable, Codable, Hashable {
        public var key: String
        public var ticket: String?
        public var since: Date
        /// False while a silence or maintenance window holds the ticket back, or when it was
        /// absorbed into a server-down or mass-outage incident (`parent`).
        public var ticketed: Bool
        public var parent: String?
        public var checksDown: [String]
        public var flapping: Bool
        public var acknowledged: Bool

        public init(key: String, ticket: String?, since: Date, ticketed: Bool, parent: String?, checksDown: [String], flapping: Bool,
                    acknowledged: Bool) {
            self.key = key
            self.ticket = ticket
            self.since = since
            self.ticketed = ticketed
            self.parent = parent
            self.checksDown = checksDown
            self.flapping = flapping
            self.acknowledged = acknowledged
        }

        enum CodingKeys: String, CodingKey {
            case key, ticket, since, ticketed, parent, flapping, acknowledged
            case checksDown = "checks_down"
        }
    }

    public var schema = "hostwatch.status/1"
    public var server: String
    public var writtenAt: Date
    public var checks: [CheckStatus]
    public var incidents: [IncidentStatus]

    enum CodingKeys: String, CodingKey {
        case schema, server, checks, incidents
        case writtenAt = "written_at"
    }

    public init(server: String, writtenAt: Date, checks: [CheckStatus], incidents: [IncidentStatus]) {
        self.server = server
        self.writtenAt = writtenAt
        self.checks = checks
        self.incidents = incidents
    }
}

extension IncidentTracker {
    /// The state of every registered check and every open incident at `now`, asking
    /// `lastResult` for each check's latest summary and start.
    public func snapshot(at now: Date, lastResult: (CheckID) -> (summary: String, at: Date)? = { _ in nil }) -> StatusSnapshot {
        let active = silencesActive(at: now)
        let checks = registeredChecks.map { check -> StatusSnapshot.CheckStatus in
            let s = state.checks[check]
            let subject = subject(of: check)
            let last = lastResult(check)
            let stateName = s.debounce.isDown ? "down" : (s.debounce.consecutiveFailures > 0 ? "failing" : "ok")
            let silencedUntil = subject.flatMap { sub in
                active.filter { $0.covers(domain: sub.domain, endpoint: sub.endpoint, isLocal: sub.isLocal) }.map(\.end).max()
            }
            return StatusSnapshot.CheckStatus(check: check.description, state: stateName,
                                              consecutiveFailures: s.debounce.consecutiveFailures,
                                              failuresToOpen: subject?.timing.failures ?? 0,
                                              downSince: s.debounce.isDown ? s.debounce.failingSince : nil,
                                              silencedUntil: silencedUntil, incident: s.incident,
                                              lastResult: last?.summary, lastRun: last?.at)
        }
        let incidents = state.incidents.values.sorted { $0.key < $1.key }.map { incident in
            StatusSnapshot.IncidentStatus(key: incident.key, ticket: nil, since: incident.since,
                                          ticketed: incident.ticketed, parent: incident.parent,
                                          checksDown: incident.members.sorted().map(\.description), flapping: incident.flapping,
                                          acknowledged: incident.acknowledged)
        }
        return StatusSnapshot(server: server.name, writtenAt: now, checks: checks, incidents: incidents)
    }
}
