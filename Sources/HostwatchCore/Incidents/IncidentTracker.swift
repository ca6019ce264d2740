import FoundationEssentials

/// Turns observations into incident actions (DESIGN.md §4). A value type with no clock, I/O or
/// logging: the scheduler feeds it observations and the time, and performs what it returns.
///
/// - Each check is debounced both ways (`failures` in a row, or k of the last n, opens;
///   `recoveries` in a row resolves).
/// - A check that is down joins one incident per cause: connection-level failures (refused,
///   timeout, TLS handshake) join the incident of their endpoint (`ADDRESS:PORT/PROTOCOL`), so a
///   dead nginx is one ticket listing every site; anything else keys on the check itself.
/// - When every endpoint of this server (two or more) is failing, one server-down incident
///   absorbs the endpoint incidents (the first endpoint ticket becomes the server ticket).
/// - More than `stormMaxTickets` new tickets within `stormWithin` go into one mass-outage
///   ticket instead.
/// - Flapping checks keep their incident open (a step says so) until stable for `flapWindow`.
/// - Silences and maintenance windows block ticket creation only; a recovery always resolves,
///   and what is still down when a window ends opens its ticket then, once.
/// - A failure of a key resolved within `reopenWithin` reopens that ticket.
/// - Critical tickets not acknowledged get a reminder step every `remindEvery`.
public struct IncidentTracker: Sendable {
    /// Who and what a check is about, for the tickets it opens.
    public struct Subject: Sendable, Hashable {
        public var domain: String
        public var account: Ticket.Account
        public var timing: CheckTiming
        /// `ADDRESS:PORT/PROTOCOL` the check connects to, when it has one.
        public var endpoint: String?
        /// True when the endpoint is on this server (it counts towards server-down).
        public var isLocal: Bool
        /// What the web server passes the site to (a PHP-FPM pool's socket, an application's
        /// address), from discovery or the domain file's `upstream`.
        public var upstream: String?

        public init(domain: String, account: Ticket.Account, timing: CheckTiming, endpoint: String? = nil, isLocal: Bool = true,
                    upstream: String? = nil) {
            self.domain = domain
            self.account = account
            self.timing = timing
            self.endpoint = endpoint
            self.isLocal = isLocal
            self.upstream = upstream
        }
    }

    /// Each check's state, kept only for the checks with something to remember: a quiet one (up,
    /// no failure remembered, in no incident) reads as a fresh `CheckState`, which judges the
    /// same. 40,000 quiet checks cost no table (12.6 MB in issue 16's scale run), and the saved
    /// state holds only the rest.
    struct CheckStates: Sendable, Codable {
        /// The checks that are not quiet.
        private(set) var stored: [CheckID: CheckState] = [:]

        init() {}

        subscript(check: CheckID) -> CheckState {
            get { stored[check] ?? CheckState() }
            set { stored[check] = newValue.isQuiet ? nil : newValue }
        }

        mutating func remove(_ check: CheckID) {
            stored[check] = nil
        }

        init(from decoder: any Decoder) throws {
            stored = try decoder.singleValueContainer().decode([CheckID: CheckState].self).filter { !$0.value.isQuiet }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(stored)
        }
    }

    /// Everything that must survive a restart (persisted by the scheduler as JSON).
    public struct State: Sendable, Codable {
        var checks = CheckStates()
        var incidents: [String: Incident] = [:]
        /// Keys whose ticket was resolved, with when: a failure within `reopenWithin` reopens it.
        var resolved: [String: Date] = [:]
        /// When critical tickets were opened, for the storm cap (warnings never count).
        var storm = StormCap()
        public init() {}

        enum CodingKeys: String, CodingKey {
            case checks, incidents, resolved
            case storm = "openings"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(checks, forKey: .checks)
            try container.encode(incidents, forKey: .incidents)
            try container.encode(resolved, forKey: .resolved)
            try container.encode(storm, forKey: .storm)
        }
    }

    struct CheckState: Sendable, Codable {
        var debounce = Debounce()
        /// Failed attempts of the current run, before the incident opened.
        var attempts: [Ticket.Step] = []
        var lastFailure: CheckFailure?
        /// The incident the check belongs to while down.
        var incident: String?
        /// When the check last changed state (down or up), within the flap window.
        var changes: [Date] = []

        var isQuiet: Bool {
            debounce.isQuiet && attempts.isEmpty && lastFailure == nil && incident == nil && changes.isEmpty
        }
    }

    struct Incident: Sendable, Codable {
        enum Scope: Sendable, Codable, Hashable {
            case check(CheckID)
            case endpoint(String)
            /// Every endpoint of one server failing: this one (`server.address`) or a peer.
            case server(host: String)
            case mass
            /// Most sites passed to one upstream answering 502/503/504 (a dead PHP-FPM pool).
            case upstream(String)
            /// Certificates of this server's domains expiring soon: one warning ticket for all.
            case certificates
        }

        var key: String
        var scope: Scope
        /// Checks down in this incident now.
        var members: Set<CheckID> = []
        /// Every check that was ever a member.
        var affected: Set<CheckID> = []
        /// Joins and recoveries not yet written to the ticket: gathered into one step per tick,
        /// so ten thousand sites failing on one endpoint make one update, not ten thousand.
        var pending: [String] = []
        /// When this ticket last got a step of gathered joins and recoveries: the next waits
        /// `pendingEvery`, so a storm rewrites its ticket every few seconds, not every second.
        var lastPendingStep: Date?
        /// Incidents absorbed into this one (server-down, mass outage).
        var children: [String] = []
        /// The incident that absorbed this one.
        var parent: String?
        var since: Date
        /// A ticket with this key is open.
        var ticketed = false
        var openedAt: Date?
        var severity: Severity?
        var lastFailure: CheckFailure?
        /// The transcript of the failure that made the incident, for a ticket opened later.
        var transcript: String = ""
        var attempts: [Ticket.Step] = []
        var lastReminder: Date?
        var acknowledged = false
        var flapping = false
        /// All members recovered, resolution held back because the incident was flapping.
        var stableSince: Date?
        /// A responder resolved the ticket while its checks still failed: no reminders, no
        /// steps; when the checks recover the incident ends quietly and the reopen rule applies
        /// to the next failure.
        var resolvedByHand: Date?
    }

    public let server: Ticket.Server
    public var settings: IncidentSettings
    public internal(set) var state = State()
    var subjects = SubjectTable()
    /// Checks per local endpoint, for "N of M" and server-down.
    var endpointSizes: [String: Int] = [:]
    var silences: [Silence] = []
    let attemptLimit = 20
    /// The upstream rule's memory: groups, latest results, checks not yet placed.
    var correlation = GatewayCorrelation()

    public init(server: Ticket.Server, settings: IncidentSettings = IncidentSettings()) {
        self.server = server
        self.settings = settings
    }

    /// Picks up persisted state from an earlier run. Call before `register`.
    public mutating func restore(_ saved: State) {
        state = saved
    }

    /// Registers a check, so its observations can be judged and ticketed.
    public mutating func register(_ check: CheckID, subject: Subject) {
        subjects[check] = subject
        if let endpoint = subject.endpoint { endpointSizes[endpoint, default: 0] += 1 }
        correlation.register(check, subject: subject)
    }

    /// Forgets checks that are no longer configured, resolving their incidents
    /// ("check removed from config"). Call after registering the current set.
    /// - Parameter goneDomains: domains discovery no longer finds (lower case): their
    ///   incidents resolve with "domain no longer hosted here" (DESIGN.md §9).
    public mutating func dropUnregistered(at now: Date, goneDomains: Set<String> = []) -> [IncidentAction] {
        var actions: [IncidentAction] = []
        for check in state.checks.stored.keys.sorted() where subjects[check] == nil {
            if let key = state.checks[check].incident {
                let note = goneDomains.contains(check.target.lowercased())
                    ? "\(check.target): domain no longer hosted here" : "\(check) removed from config"
                actions += leave(check, incident: key, at: now, note: note, recovered: false)
            }
            state.checks.remove(check)
        }
        return actions
    }

    /// The current silences and maintenance windows (replaces the previous set).
    public mutating func setSilences(_ silences: [Silence]) {
        self.silences = silences
    }

    /// The incident key of a check's own failures.
    public static func key(for check: CheckID) -> String { "check:\(check)" }

    /// Rebuilds a known incident from an open ticket when no persisted state exists (a first
    /// start after an upgrade, a lost state file): the agent neither opens a second ticket nor
    /// forgets to resolve the first.
    public mutating func adopt(openTicketKey key: String, openedAt: Date) {
        guard state.incidents[key] == nil else { return }
        let scope: Incident.Scope
        var members: Set<CheckID> = []
        if key.hasPrefix("check:"), let check = subjects.keys.first(where: { Self.key(for: $0) == key }) {
            scope = .check(check)
            members = [check]
        } else if key.hasPrefix("endpoint:") {
            let endpoint = String(key.dropFirst("endpoint:".count))
            scope = .endpoint(endpoint)
            members = Set(subjects.checks { $0.endpoint == endpoint })
        } else if key.hasPrefix("server:") {
            let name = String(key.dropFirst("server:".count))
            let host = name == server.name ? localHost : (settings.peers.first { $0.value == name }?.key ?? name)
            scope = .server(host: host)
            // Every endpoint of that server becomes a child, all its checks down until they recover.
            for endpoint in endpoints(of: host) {
                let childKey = "endpoint:\(endpoint)"
                adopt(openTicketKey: childKey, openedAt: openedAt)
                state.incidents[childKey]?.ticketed = false
                state.incidents[childKey]?.parent = key
            }
        } else if key.hasPrefix("mass:") {
            scope = .mass
        } else if key.hasPrefix("upstream:") {
            scope = .upstream(String(key.dropFirst("upstream:".count)))
            members = Set(correlation.groups[key] ?? [])
        } else if key.hasPrefix("certificates:") {
            // Its members rejoin as their checks report; until then it resolves only when empty.
            scope = .certificates
        } else {
            return
        }
        var incident = Incident(key: key, scope: scope, since: openedAt)
        incident.members = members
        incident.affected = members
        incident.children = state.incidents.values.filter { $0.parent == key }.map(\.key).sorted()
        incident.ticketed = true
        incident.openedAt = openedAt
        for check in members {
            state.checks[check].debounce = Debounce(downSince: openedAt)
            state.checks[check].incident = SharedText.one(key)
        }
        state.incidents[key] = incident
    }

    /// Whether the scheduler should recheck at the retry interval.
    public func isUnsettled(_ check: CheckID) -> Bool {
        state.checks[check].debounce.isUnsettled
    }

    /// Every registered check, in order.
    public var registeredChecks: [CheckID] { subjects.keys.sorted() }

    /// What a registered check is about.
    public func subject(of check: CheckID) -> Subject? { subjects[check] }

    /// Silences and maintenance windows in force at `now`.
    public func silencesActive(at now: Date) -> [Silence] { silences.filter { $0.isActive(at: now) } }



    // MARK: Recording

    /// Records one observation and returns what to do about it.
    public mutating func record(_ observation: Observation, at now: Date) -> [IncidentAction] {
        var actions = judge(observation, at: now)
        // Another site of the group answered: checks waiting on it can be judged now.
        if !correlation.undecided.isEmpty, observation.check.kind == "web", let subject = subjects[observation.check],
           let group = GatewayCorrelation.group(of: subject) {
            actions += settleUndecided(in: group, at: now, deadlinePassed: false)
        }
        return actions
    }

    mutating func judge(_ observation: Observation, at now: Date) -> [IncidentAction] {
        let check = observation.check
        guard let subject = subjects[check] else { return [] }
        var checkState = state.checks[check]
        let failure = observation.failure
        let rule = Debounce.Rule(failures: subject.timing.failures, recoveries: subject.timing.recoveries, kOfN: settings.kOfN)
        let transition = checkState.debounce.record(failed: failure != nil, at: now, rule: rule)
        let windowStart = now.addingTimeInterval(-settings.flapWindow.timeInterval)
        checkState.changes.removeAll { $0 < windowStart }
        if transition != .none { checkState.changes.append(now) }
        var actions: [IncidentAction] = []
        let candidate = failure.flatMap { correlation.candidate(check, failure: $0, subject: subject, at: now) }
        correlation.observe(check, subject: subject, failure: failure, candidate: candidate, at: now)

        if let failure {
            let step = Ticket.Step(at: now, text: "\(check) failed: \(failure.message)")
            if !checkState.debounce.isDown {
                checkState.attempts.append(step)
                if checkState.attempts.count > attemptLimit { checkState.attempts.removeFirst(checkState.attempts.count - attemptLimit) }
                state.checks[check] = checkState
                return []
            }
            let previousFailure = checkState.lastFailure
            checkState.lastFailure = failure
            if case .wentDown = transition { checkState.attempts.append(step) }
            let current = checkState.incident
            let key: String
            switch decideKey(for: check, failure: failure, subject: subject, candidate: candidate, current: current,
                             since: checkState.debounce.failingSince ?? now) {
            case .key(let decided):
                key = decided
                correlation.undecided[check] = nil
            case .wait:
                // Down, but whether alone or with its upstream is not known yet: the attempts
                // and transcript wait with it.
                if correlation.undecided[check] == nil {
                    correlation.undecided[check] = GatewayCorrelation.Undecided(group: candidate ?? "", deadline: now.addingTimeInterval(max(subject.timing.interval, subject.timing.retryInterval).timeInterval),
                                                 transcript: observation.transcript.rendered,
                                                 timings: observation.timings.isEmpty ? nil
                                                     : Ticket.Step(at: observation.startedAt, text: "\(check) timings: \(observation.timingText)"))
                }
                state.checks[check] = checkState
                return actions
            }
            let attempts = checkState.attempts
            checkState.attempts = []
            state.checks[check] = checkState
            if let current, current != key {
                actions += leave(check, incident: current, at: now, note: "\(check) now fails differently: \(failure.message)", recovered: false)
            }
            if current == key {
                // Still down for the same cause: only a changed error is worth a step.
                if let previous = previousFailure, previous.gist != failure.gist {
                    state.incidents[key]?.pending.append(step.text)
                }
                if state.incidents[key]?.stableSince != nil {
                    state.incidents[key]?.stableSince = nil
                    state.incidents[key]?.flapping = true
                }
            } else {
                let timings = observation.timings.isEmpty ? nil
                    : Ticket.Step(at: observation.startedAt, text: "\(check) timings: \(observation.timingText)")
                actions += join(check, incident: key, failure: failure, transcript: observation.transcript.rendered,
                                timings: timings, attempts: attempts, at: now)
            }
            if isFlapping(checkState), let key = state.checks[check].incident, state.incidents[key]?.flapping == false {
                state.incidents[key]?.flapping = true
                state.incidents[key]?.pending.append("flapping: \(checkState.changes.count) state changes of \(check) within \(DurationText.format(settings.flapWindow)); the incident stays open until it is stable")
            }
            return actions
        }

        checkState.attempts = []
        correlation.undecided[check] = nil
        if case .cameUp = transition, let key = checkState.incident {
            checkState.incident = nil
            checkState.lastFailure = nil
            state.checks[check] = checkState
            actions += leave(check, incident: key, at: now, note: "\(check) recovered (\(observation.summary))",
                             flapping: isFlapping(checkState))
        } else {
            state.checks[check] = checkState
        }
        return actions
    }

    /// Time-driven work: reminders, the end of silences and maintenance windows, flapping
    /// incidents that became stable, and pruning. Call every few seconds.
    public mutating func tick(at now: Date) -> [IncidentAction] {
        var actions: [IncidentAction] = []
        let reopenLimit = now.addingTimeInterval(-settings.reopenWithin.timeInterval)
        state.resolved = state.resolved.filter { $0.value >= reopenLimit }
        state.storm.forget(before: now, settings: settings)
        if !correlation.undecided.isEmpty { actions += settleUndecided(in: nil, at: now, deadlinePassed: true) }
        actions += flushPending(at: now)
        for key in state.incidents.keys.sorted() {
            guard let incident = state.incidents[key] else { continue }
            if let stable = incident.stableSince, now.timeIntervalSince(stable) >= settings.flapWindow.timeInterval {
                actions += resolve(key, at: now, note: "stable since \(RFC3339.format(stable)) after flapping")
                continue
            }
            if incident.members.isEmpty, incident.children.isEmpty, incident.stableSince == nil {
                // Adopted from a ticket whose contents could not be rebuilt (a lost state file).
                actions += resolve(key, at: now, note: "nothing in this incident is failing any more")
                continue
            }
            if incident.parent == nil, !incident.ticketed, incident.stableSince == nil, !isSilenced(incident, at: now) {
                actions += openTicket(key, at: now)
            }
            actions += remind(key, at: now)
        }
        return actions
    }

    /// One step per ticket for the joins and recoveries gathered since the last tick, with the
    /// ticket's new content: the incidents under a server-down or mass-outage ticket share its
    /// one step, so its content (every domain and account it hits) is built once per tick, not
    /// once per child (issue 16: thousands of times a tick during a storm).
    mutating func flushPending(at now: Date) -> [IncidentAction] {
        var notes: [String: [String]] = [:]
        var order: [String] = []
        var held: Set<String> = []
        for key in state.incidents.keys.sorted() {
            guard let pending = state.incidents[key]?.pending, !pending.isEmpty else { continue }
            var top = key
            while let parent = state.incidents[top]?.parent { top = parent }
            // A ticket that got such a step less than `pendingEvery` ago waits: the first join
            // shows at once, the rest of a storm in one step every few seconds (issue 16: a
            // ticket listing 2,000 members was rewritten every second while they joined).
            if held.contains(top) { continue }
            if notes[top] == nil, let last = state.incidents[top]?.lastPendingStep, now.timeIntervalSince(last) < Self.pendingEvery {
                held.insert(top)
                continue
            }
            state.incidents[key]?.pending = []
            if notes[top] == nil { order.append(top) }
            notes[top, default: []] += pending
        }
        for top in order { state.incidents[top]?.lastPendingStep = now }
        return order.flatMap { note($0, Ticket.Step(at: now, text: Self.summarize(notes[$0] ?? [])), contentChanged: true) }
    }

    /// The least time between two steps of gathered joins and recoveries on one ticket.
    static let pendingEvery: TimeInterval = 10

    /// Up to five notes in full, else the first three and a count.
    static func summarize(_ notes: [String]) -> String {
        let shown = notes.count <= 5 ? notes : Array(notes.prefix(3)) + ["… and \(notes.count - 3) more"]
        return shown.joined(separator: "; ")
    }

    // MARK: Incidents

    /// The key of a failure's own cause, before the upstream rule: the endpoint for
    /// connection-level failures, one ticket per server for expiring certificates, else the check.
    func incidentKey(for check: CheckID, failure: CheckFailure, subject: Subject) -> String {
        if failure.isConnectionLevel, let endpoint = subject.endpoint { return "endpoint:\(endpoint)" }
        if failure.isExpiringCertificate { return "certificates:\(server.name)" }
        return Self.key(for: check)
    }

    /// The scope an incident key stands for.
    static func incidentScope(ofKey key: String, check: CheckID) -> Incident.Scope {
        if key.hasPrefix("endpoint:") { return .endpoint(String(key.dropFirst("endpoint:".count))) }
        if key.hasPrefix("upstream:") { return .upstream(String(key.dropFirst("upstream:".count))) }
        if key.hasPrefix("certificates:") { return .certificates }
        return .check(check)
    }

    func isFlapping(_ checkState: CheckState) -> Bool {
        checkState.changes.count >= settings.flapChanges
    }

    func isSilenced(_ incident: Incident, at now: Date) -> Bool {
        let active = silences.filter { $0.isActive(at: now) }
        guard !active.isEmpty else { return false }
        let checks = incident.members.isEmpty ? incident.affected : incident.members
        switch incident.scope {
        case .server(let host) where host == localHost:
            return active.contains { $0.target == .server || $0.target == .all }
        case .mass:
            return active.contains { $0.target == .all }
        case .server:
            // A peer: silenced when every check on it is.
            let checks = allChecks(of: incident)
            guard !checks.isEmpty else { return false }
            return checks.allSatisfy { check in
                guard let s = subjects[check] else { return false }
                return active.contains { $0.covers(domain: s.domain, endpoint: s.endpoint, isLocal: s.isLocal) }
            }
        case .check, .endpoint, .upstream, .certificates:
            guard !checks.isEmpty else { return false }
            // An incident is silenced when every check in it is covered.
            return checks.allSatisfy { check in
                guard let s = subjects[check] else { return false }
                return active.contains { $0.covers(domain: s.domain, endpoint: s.endpoint, isLocal: s.isLocal) }
            }
        }
    }

    /// A down check joins the incident for its cause, creating it when needed.
    mutating func join(_ check: CheckID, incident key: String, failure: CheckFailure, transcript: String, timings: Ticket.Step?,
                       attempts: [Ticket.Step], at now: Date) -> [IncidentAction] {
        // Each member holds the key: one copy for all (a hung server's thousands of sites).
        state.checks[check].incident = SharedText.one(key)
        let since = state.checks[check].debounce.failingSince ?? now
        if var incident = state.incidents[key] {
            incident.members.insert(check)
            incident.affected.insert(check)
            incident.lastFailure = failure
            incident.stableSince = nil
            incident.pending.append("\(check) joined")
            state.incidents[key] = incident
            return []
        }
        var incident = Incident(key: key, scope: Self.incidentScope(ofKey: key, check: check), since: since)
        incident.members = [check]
        incident.affected = [check]
        incident.lastFailure = failure
        incident.transcript = transcript
        incident.attempts = attempts
        if let timings { incident.attempts.append(timings) }
        state.incidents[key] = incident
        var actions: [IncidentAction] = []
        if case .endpoint(let endpoint) = incident.scope, let formed = formServerDownIfAllEndpointsFail(host: Self.host(of: endpoint), at: now) {
            return formed
        }
        if !isSilenced(incident, at: now) {
            actions += openTicket(key, at: now)
        }
        return actions
    }

    /// A check leaves an incident (it recovered, or fails for another cause, or was removed).
    /// An incident left with no members and no children resolves, unless it is flapping.
    mutating func leave(_ check: CheckID, incident key: String, at now: Date, note text: String,
                                flapping: Bool = false, recovered: Bool = true) -> [IncidentAction] {
        guard var incident = state.incidents[key] else { return [] }
        incident.members.remove(check)
        state.incidents[key] = incident
        if state.checks[check].incident == key { state.checks[check].incident = nil }
        if incident.members.isEmpty, incident.children.isEmpty {
            if flapping || incident.flapping {
                state.incidents[key]?.flapping = true
                state.incidents[key]?.stableSince = now
                state.incidents[key]?.pending.append("\(text); held open while flapping")
                return []
            }
            return resolve(key, at: now, note: text, recovered: recovered)
        }
        state.incidents[key]?.pending.append(text)
        return []
    }

    /// Resolves an incident: its ticket when it has one, else its parent hears of it.
    mutating func resolve(_ key: String, at now: Date, note text: String, recovered: Bool = true) -> [IncidentAction] {
        guard let incident = state.incidents.removeValue(forKey: key) else { return [] }
        for check in incident.members where state.checks[check].incident == key { state.checks[check].incident = nil }
        var actions: [IncidentAction] = []
        if incident.ticketed, incident.resolvedByHand != nil {
            // Its ticket is resolved already: nothing to write; the next failure reopens it.
            state.resolved[key] = now
        } else if incident.ticketed {
            let minutes = Int((now.timeIntervalSince(incident.since) / 60).rounded())
            let suffix = recovered ? "; recovered by itself after \(minutes) min" : ""
            let earlier = incident.pending.isEmpty ? "" : Self.summarize(incident.pending) + "; "
            actions.append(.resolve(key: key, at: now, step: Ticket.Step(at: now, text: "\(earlier)\(text)\(suffix)")))
            state.resolved[key] = now
        }
        if let parentKey = incident.parent, var parent = state.incidents[parentKey] {
            parent.children.removeAll { $0 == key }
            // The parent's ticket keeps listing whom the child hit.
            parent.affected.formUnion(allChecks(of: incident))
            state.incidents[parentKey] = parent
            if parent.children.isEmpty, parent.members.isEmpty {
                actions += resolve(parentKey, at: now, note: "\(text); everything in it has recovered", recovered: recovered)
            } else {
                state.incidents[parentKey]?.pending.append(text)
            }
        }
        return actions
    }

    /// A step on the ticket that carries this incident (its own, or its parent's).
    func note(_ key: String, _ step: Ticket.Step, contentChanged: Bool = false) -> [IncidentAction] {
        var key = key
        while let parent = state.incidents[key]?.parent { key = parent }
        guard let incident = state.incidents[key], incident.ticketed, incident.resolvedByHand == nil else { return [] }
        return [.update(key: key, step: step, content: contentChanged ? content(of: incident) : nil)]
    }

    /// Opens (or reopens, or adds to the mass outage) the ticket of a top-level incident.
    mutating func openTicket(_ key: String, at now: Date) -> [IncidentAction] {
        guard var incident = state.incidents[key], !incident.ticketed, incident.parent == nil else { return [] }
        if let resolvedAt = state.resolved[key], now.timeIntervalSince(resolvedAt) <= settings.reopenWithin.timeInterval {
            incident.ticketed = true
            incident.openedAt = now
            incident.severity = severity(of: incident)
            state.incidents[key] = incident
            state.resolved[key] = nil
            let text = "failing again \(DurationText.format(.seconds(Int64(now.timeIntervalSince(resolvedAt))))) after recovery: \(incident.lastFailure?.message ?? "")"
            return [.reopen(key: key, at: now, step: Ticket.Step(at: now, text: text), content: content(of: incident))]
        }
        let severity = severity(of: incident)
        // Only critical incidents count towards the storm cap and go into a mass outage:
        // warnings (expiring certificates, a full-ish disk) never page anyone (issue 13).
        if incident.scope != .mass, severity == .critical, state.storm.isReached(at: now, settings: settings) {
            return absorbIntoMassOutage(key, at: now)
        }
        incident.ticketed = true
        incident.openedAt = now
        incident.severity = severity
        state.incidents[key] = incident
        if severity == .critical { state.storm.opened(at: now) }
        return [.open(draft(for: incident, at: now))]
    }
}
