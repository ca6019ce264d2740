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

        public init(domain: String, account: Ticket.Account, timing: CheckTiming, endpoint: String? = nil, isLocal: Bool = true) {
            self.domain = domain
            self.account = account
            self.timing = timing
            self.endpoint = endpoint
            self.isLocal = isLocal
        }
    }

    /// Everything that must survive a restart (persisted by the scheduler as JSON).
    public struct State: Sendable, Codable {
        var checks: [CheckID: CheckState] = [:]
        var incidents: [String: Incident] = [:]
        /// Keys whose ticket was resolved, with when: a failure within `reopenWithin` reopens it.
        var resolved: [String: Date] = [:]
        /// When tickets were opened, for the storm cap.
        var openings: [Date] = []
        public init() {}

        /// Saves every check but the quiet ones (up, no failure remembered, in no incident):
        /// `register` gives those a fresh state that judges the same, and on a healthy server
        /// with 40,000 checks the saved state stays a few bytes instead of megabytes (issue 16).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(checks.filter { !$0.value.isQuiet }, forKey: .checks)
            try container.encode(incidents, forKey: .incidents)
            try container.encode(resolved, forKey: .resolved)
            try container.encode(openings, forKey: .openings)
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
    }

    public let server: Ticket.Server
    public var settings: IncidentSettings
    public private(set) var state = State()
    private var subjects: [CheckID: Subject] = [:]
    /// Checks per local endpoint, for "N of M" and server-down.
    private var endpointSizes: [String: Int] = [:]
    private var silences: [Silence] = []
    private let attemptLimit = 20

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
        if state.checks[check] == nil { state.checks[check] = CheckState() }
        if let endpoint = subject.endpoint { endpointSizes[endpoint, default: 0] += 1 }
    }

    /// Forgets checks that are no longer configured, resolving their incidents
    /// ("check removed from config"). Call after registering the current set.
    /// - Parameter goneDomains: domains discovery no longer finds (lower case): their
    ///   incidents resolve with "domain no longer hosted here" (DESIGN.md §9).
    public mutating func dropUnregistered(at now: Date, goneDomains: Set<String> = []) -> [IncidentAction] {
        var actions: [IncidentAction] = []
        for check in state.checks.keys.sorted() where subjects[check] == nil {
            if let key = state.checks[check]?.incident {
                let note = goneDomains.contains(check.target.lowercased())
                    ? "\(check.target): domain no longer hosted here" : "\(check) removed from config"
                actions += leave(check, incident: key, at: now, note: note, recovered: false)
            }
            state.checks[check] = nil
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
            members = Set(subjects.filter { $0.value.endpoint == endpoint }.map(\.key))
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
            state.checks[check, default: CheckState()].debounce = Debounce(downSince: openedAt)
            state.checks[check]?.incident = key
        }
        state.incidents[key] = incident
    }

    /// Whether the scheduler should recheck at the retry interval.
    public func isUnsettled(_ check: CheckID) -> Bool {
        state.checks[check]?.debounce.isUnsettled ?? false
    }

    /// Every registered check, in order.
    public var registeredChecks: [CheckID] { subjects.keys.sorted() }

    /// What a registered check is about.
    public func subject(of check: CheckID) -> Subject? { subjects[check] }

    /// Silences and maintenance windows in force at `now`.
    public func silencesActive(at now: Date) -> [Silence] { silences.filter { $0.isActive(at: now) } }


    /// A responder acknowledged the ticket with this key: no more reminders.
    public mutating func acknowledge(key: String) {
        state.incidents[key]?.acknowledged = true
    }

    // MARK: Recording

    /// Records one observation and returns what to do about it.
    public mutating func record(_ observation: Observation, at now: Date) -> [IncidentAction] {
        let check = observation.check
        guard let subject = subjects[check], var checkState = state.checks[check] else { return [] }
        let failure = observation.failure
        let rule = Debounce.Rule(failures: subject.timing.failures, recoveries: subject.timing.recoveries, kOfN: settings.kOfN)
        let transition = checkState.debounce.record(failed: failure != nil, at: now, rule: rule)
        let windowStart = now.addingTimeInterval(-settings.flapWindow.timeInterval)
        checkState.changes.removeAll { $0 < windowStart }
        if transition != .none { checkState.changes.append(now) }
        var actions: [IncidentAction] = []

        if let failure {
            let step = Ticket.Step(at: now, text: "\(check) failed: \(failure.message)")
            if !checkState.debounce.isDown {
                checkState.attempts.append(step)
                if checkState.attempts.count > attemptLimit { checkState.attempts.removeFirst(checkState.attempts.count - attemptLimit) }
                state.checks[check] = checkState
                return []
            }
            let key = incidentKey(for: check, failure: failure, subject: subject)
            let previousFailure = checkState.lastFailure
            checkState.lastFailure = failure
            if case .wentDown = transition { checkState.attempts.append(step) }
            let attempts = checkState.attempts
            checkState.attempts = []
            let current = checkState.incident
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
                actions += join(check, incident: key, failure: failure, observation: observation, attempts: attempts, at: now)
            }
            if isFlapping(checkState), let key = state.checks[check]?.incident, state.incidents[key]?.flapping == false {
                state.incidents[key]?.flapping = true
                state.incidents[key]?.pending.append("flapping: \(checkState.changes.count) state changes of \(check) within \(DurationText.format(settings.flapWindow)); the incident stays open until it is stable")
            }
            return actions
        }

        checkState.attempts = []
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
        let stormStart = now.addingTimeInterval(-settings.stormWithin.timeInterval)
        state.openings.removeAll { $0 < stormStart }
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
            if incident.ticketed, incident.parent == nil, !incident.acknowledged, incident.severity == .critical,
               let opened = incident.openedAt {
                let last = incident.lastReminder ?? opened
                if now.timeIntervalSince(last) >= settings.remindEvery.timeInterval {
                    state.incidents[key]?.lastReminder = now
                    let down = DurationText.format(.seconds(Int64(now.timeIntervalSince(incident.since))))
                    actions.append(.update(key: key, step: Ticket.Step(at: now, text: "reminder: still down after \(down), not acknowledged"), content: nil))
                }
            }
        }
        return actions
    }

    /// One step per ticket for the joins and recoveries gathered since the last tick, with the
    /// ticket's new content: the incidents under a server-down or mass-outage ticket share its
    /// one step, so its content (every domain and account it hits) is built once per tick, not
    /// once per child (issue 16: thousands of times a tick during a storm).
    private mutating func flushPending(at now: Date) -> [IncidentAction] {
        var notes: [String: [String]] = [:]
        var order: [String] = []
        for key in state.incidents.keys.sorted() {
            guard let pending = state.incidents[key]?.pending, !pending.isEmpty else { continue }
            state.incidents[key]?.pending = []
            var top = key
            while let parent = state.incidents[top]?.parent { top = parent }
            if notes[top] == nil { order.append(top) }
            notes[top, default: []] += pending
        }
        return order.flatMap { note($0, Ticket.Step(at: now, text: Self.summarize(notes[$0] ?? [])), contentChanged: true) }
    }

    /// Up to five notes in full, else the first three and a count.
    static func summarize(_ notes: [String]) -> String {
        let shown = notes.count <= 5 ? notes : Array(notes.prefix(3)) + ["… and \(notes.count - 3) more"]
        return shown.joined(separator: "; ")
    }

    // MARK: Incidents

    private func incidentKey(for check: CheckID, failure: CheckFailure, subject: Subject) -> String {
        if failure.isConnectionLevel, let endpoint = subject.endpoint { return "endpoint:\(endpoint)" }
        return Self.key(for: check)
    }

    private func isFlapping(_ checkState: CheckState) -> Bool {
        checkState.changes.count >= settings.flapChanges
    }

    private func isSilenced(_ incident: Incident, at now: Date) -> Bool {
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
        case .check, .endpoint:
            guard !checks.isEmpty else { return false }
            // An incident is silenced when every check in it is covered.
            return checks.allSatisfy { check in
                guard let s = subjects[check] else { return false }
                return active.contains { $0.covers(domain: s.domain, endpoint: s.endpoint, isLocal: s.isLocal) }
            }
        }
    }

    /// A down check joins the incident for its cause, creating it when needed.
    private mutating func join(_ check: CheckID, incident key: String, failure: CheckFailure, observation: Observation,
                               attempts: [Ticket.Step], at now: Date) -> [IncidentAction] {
        state.checks[check]?.incident = key
        let since = state.checks[check]?.debounce.failingSince ?? now
        if var incident = state.incidents[key] {
            incident.members.insert(check)
            incident.affected.insert(check)
            incident.lastFailure = failure
            incident.stableSince = nil
            incident.pending.append("\(check) joined")
            state.incidents[key] = incident
            return []
        }
        let scope: Incident.Scope = key.hasPrefix("endpoint:") ? .endpoint(String(key.dropFirst("endpoint:".count))) : .check(check)
        var incident = Incident(key: key, scope: scope, since: since)
        incident.members = [check]
        incident.affected = [check]
        incident.lastFailure = failure
        incident.transcript = observation.transcript.rendered
        incident.attempts = attempts
        if !observation.timings.isEmpty {
            incident.attempts.append(Ticket.Step(at: observation.startedAt, text: "\(check) timings: \(observation.timingText)"))
        }
        state.incidents[key] = incident
        var actions: [IncidentAction] = []
        if case .endpoint(let endpoint) = scope, let formed = formServerDownIfAllEndpointsFail(host: Self.host(of: endpoint), at: now) {
            return formed
        }
        if !isSilenced(incident, at: now) {
            actions += openTicket(key, at: now)
        }
        return actions
    }

    /// A check leaves an incident (it recovered, or fails for another cause, or was removed).
    /// An incident left with no members and no children resolves, unless it is flapping.
    private mutating func leave(_ check: CheckID, incident key: String, at now: Date, note text: String,
                                flapping: Bool = false, recovered: Bool = true) -> [IncidentAction] {
        guard var incident = state.incidents[key] else { return [] }
        incident.members.remove(check)
        state.incidents[key] = incident
        if state.checks[check]?.incident == key { state.checks[check]?.incident = nil }
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
    private mutating func resolve(_ key: String, at now: Date, note text: String, recovered: Bool = true) -> [IncidentAction] {
        guard let incident = state.incidents.removeValue(forKey: key) else { return [] }
        for check in incident.members where state.checks[check]?.incident == key { state.checks[check]?.incident = nil }
        var actions: [IncidentAction] = []
        if incident.ticketed {
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
    private func note(_ key: String, _ step: Ticket.Step, contentChanged: Bool = false) -> [IncidentAction] {
        var key = key
        while let parent = state.incidents[key]?.parent { key = parent }
        guard let incident = state.incidents[key], incident.ticketed else { return [] }
        return [.update(key: key, step: step, content: contentChanged ? content(of: incident) : nil)]
    }

    /// Opens (or reopens, or adds to the mass outage) the ticket of a top-level incident.
    private mutating func openTicket(_ key: String, at now: Date) -> [IncidentAction] {
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
        let stormStart = now.addingTimeInterval(-settings.stormWithin.timeInterval)
        state.openings.removeAll { $0 < stormStart }
        if incident.scope != .mass, state.openings.count >= settings.stormMaxTickets {
            return absorbIntoMassOutage(key, at: now)
        }
        incident.ticketed = true
        incident.openedAt = now
        incident.severity = severity(of: incident)
        state.incidents[key] = incident
        state.openings.append(now)
        return [.open(draft(for: incident, at: now))]
    }

    private mutating func absorbIntoMassOutage(_ key: String, at now: Date) -> [IncidentAction] {
        let massKey = "mass:\(server.name)"
        state.incidents[key]?.parent = massKey
        if var mass = state.incidents[massKey] {
            mass.children.append(key)
            // Gathered into the tick's one step, like joins.
            mass.pending.append("joined: \(state.incidents[key].map(title) ?? key)")
            state.incidents[massKey] = mass
            return []
        }
        var mass = Incident(key: massKey, scope: .mass, since: state.incidents[key]?.since ?? now)
        mass.children = [key]
        mass.lastFailure = state.incidents[key]?.lastFailure
        mass.transcript = state.incidents[key]?.transcript ?? ""
        mass.ticketed = true
        mass.openedAt = now
        mass.severity = severity(of: mass)
        state.incidents[massKey] = mass
        state.openings.append(now)
        let step = Ticket.Step(at: now, text: "more than \(settings.stormMaxTickets) tickets within \(DurationText.format(settings.stormWithin)): new incidents are collected here")
        var draft = draft(for: state.incidents[massKey]!, at: now)
        draft.steps.append(step)
        return [.open(draft)]
    }

    /// When every local endpoint (two or more) has a failing endpoint incident, one server-down
    /// incident absorbs them. The first endpoint ticket already open becomes its ticket; other
    /// open endpoint tickets are resolved as merged into it.
    private mutating func formServerDownIfAllEndpointsFail(host: String, at now: Date) -> [IncidentAction]? {
        let serverKey = "server:\(serverName(host))"
        let local = Set(endpoints(of: host))
        guard local.count >= 2 else { return nil }
        if var existing = state.incidents[serverKey] {
            // Already down: a newly failing endpoint joins it.
            var actions: [IncidentAction] = []
            for endpoint in local.sorted() {
                let key = "endpoint:\(endpoint)"
                guard var child = state.incidents[key], child.parent == nil, !existing.children.contains(key) else { continue }
                child.parent = serverKey
                state.incidents[key] = child
                existing.children.append(key)
                state.incidents[serverKey] = existing
                actions += note(serverKey, Ticket.Step(at: now, text: "\(endpoint) failing too"), contentChanged: true)
            }
            return actions.isEmpty ? nil : actions
        }
        let keys = local.sorted().map { "endpoint:\($0)" }
        guard keys.allSatisfy({ state.incidents[$0].map { !$0.members.isEmpty && $0.parent == nil } ?? false }) else { return nil }
        let first = keys.compactMap { state.incidents[$0] }.min { $0.since < $1.since }!
        var incident = Incident(key: serverKey, scope: .server(host: host), since: first.since)
        incident.children = keys
        incident.lastFailure = first.lastFailure
        incident.transcript = first.transcript
        incident.attempts = first.attempts
        state.incidents[serverKey] = incident
        for key in keys { state.incidents[key]?.parent = serverKey }
        incident.severity = severity(of: incident)
        state.incidents[serverKey] = incident
        var actions: [IncidentAction] = []
        let ticketed = keys.filter { state.incidents[$0]?.ticketed == true }
        let text = "every endpoint of \(serverName(host)) fails: \(local.sorted().joined(separator: ", "))"
        if let carrier = ticketed.first {
            state.incidents[serverKey]?.ticketed = true
            let carrierOpened = state.incidents[carrier]?.openedAt ?? now
            state.incidents[serverKey]?.openedAt = carrierOpened
            state.incidents[carrier]?.ticketed = false
            actions.append(.update(key: carrier, step: Ticket.Step(at: now, text: "\(text): this ticket now covers the whole server"),
                                   content: content(of: state.incidents[serverKey]!)))
            for other in ticketed.dropFirst() {
                state.incidents[other]?.ticketed = false
                actions.append(.resolve(key: other, at: now, step: Ticket.Step(at: now, text: "merged into the server-down ticket (\(serverKey))")))
            }
        } else if !isSilenced(state.incidents[serverKey]!, at: now) {
            actions += openTicket(serverKey, at: now)
        }
        return actions
    }

    // MARK: Ticket content

    private func allChecks(of incident: Incident) -> Set<CheckID> {
        var checks = incident.affected
        for child in incident.children {
            if let c = state.incidents[child] { checks.formUnion(allChecks(of: c)) }
        }
        return checks
    }

    private func downChecks(of incident: Incident) -> Set<CheckID> {
        var checks = incident.members
        for child in incident.children {
            if let c = state.incidents[child] { checks.formUnion(downChecks(of: c)) }
        }
        return checks
    }

    private func severity(of incident: Incident) -> Severity {
        switch incident.scope {
        case .server, .mass:
            return .critical
        case .check, .endpoint:
            guard let failure = incident.lastFailure else { return .critical }
            let plans = allChecks(of: incident).compactMap { subjects[$0]?.account.plan }
            return settings.policy.severity(of: failure, plan: plans.contains(.plus) ? .plus : .free)
        }
    }

    private func title(_ incident: Incident) -> String {
        let message = incident.lastFailure?.message ?? ""
        switch incident.scope {
        case .check(let check):
            let domain = subjects[check]?.domain ?? check.target
            return "\(domain): \(Self.describe(incident.lastFailure?.category ?? .siteOffline)) — \(message)"
        case .endpoint(let endpoint):
            let down = downChecks(of: incident).count
            let total = endpointSizes[endpoint] ?? down
            let what = Self.describe(incident.lastFailure?.category ?? .siteOffline)
            // Name the domains (the first few) so a subject line alone says whom it hits.
            var domains: [String] = []
            for check in allChecks(of: incident).sorted() {
                if let d = subjects[check]?.domain, !domains.contains(d) { domains.append(d) }
            }
            let named = domains.count <= 3 ? domains.joined(separator: ", ")
                : domains.prefix(2).joined(separator: ", ") + " and \(domains.count - 2) more"
            return "\(what) on \(endpoint) (\(named)): \(down) of \(total) checks down — \(message)"
        case .server(let host):
            let count = endpoints(of: host).count
            let domains = Set(allChecks(of: incident).compactMap { subjects[$0]?.domain }).count
            let who = host == localHost ? server.name : "peer \(serverName(host)) (\(host))"
            return "\(who): server down — every endpoint failing (\(count) endpoints, \(domains) domains)"
        case .mass:
            return "\(server.name): mass outage — \(incident.children.count) incidents within \(DurationText.format(settings.stormWithin))"
        }
    }

    private func content(of incident: Incident) -> TicketContent {
        let checks = allChecks(of: incident).sorted()
        var domains: [String] = []
        var accounts: [Ticket.Account] = []
        var seenDomains: Set<String> = []
        var seenAccounts: Set<Ticket.Account> = []
        for check in checks {
            guard let s = subjects[check] else { continue }
            if seenDomains.insert(s.domain).inserted { domains.append(s.domain) }
            if seenAccounts.insert(s.account).inserted { accounts.append(s.account) }
        }
        let category: Category
        let cause: Cause
        switch incident.scope {
        case .server: (category, cause) = (.serverDown, .infrastructure)
        case .mass: (category, cause) = (incident.lastFailure?.category ?? .serverDown, .infrastructure)
        default: (category, cause) = (incident.lastFailure?.category ?? .siteOffline, incident.lastFailure?.cause ?? .infrastructure)
        }
        return TicketContent(key: incident.key, subject: title(incident), severity: incident.severity ?? severity(of: incident),
                             category: category, cause: cause, domains: domains, accounts: accounts,
                             checks: checks.map(\.description))
    }

    private func draft(for incident: Incident, at now: Date) -> TicketDraft {
        let c = content(of: incident)
        let isGroup: Bool
        switch incident.scope {
        case .mass, .server: isGroup = true
        case .check, .endpoint: isGroup = false
        }
        let name = isGroup ? "transcript-first-failure.txt"
            : "transcript-\(incident.members.sorted().first.map { "\($0.target)-\($0.kind)\($0.index.map { "-\($0)" } ?? "")" } ?? "check").txt"
        return TicketDraft(key: c.key, severity: c.severity, category: c.category, cause: c.cause, subject: c.subject,
                           server: ticketServer(of: incident), accounts: c.accounts, domains: c.domains, checks: c.checks,
                           since: incident.since, openedAt: now, steps: incident.attempts,
                           attachments: incident.transcript.isEmpty ? [] : [Ticket.Attachment(name: name, content: incident.transcript)])
    }

    // MARK: Servers and peers

    /// This server's address as it appears in endpoints (`[v6]` in brackets).
    var localHost: String { server.address.contains(":") ? "[\(server.address)]" : server.address }

    /// The host part of `ADDRESS:PORT/PROTOCOL`.
    static func host(of endpoint: String) -> String {
        let target = endpoint.split(separator: "/").first.map(String.init) ?? endpoint
        guard let colon = target.lastIndex(of: ":") else { return target }
        return String(target[..<colon])
    }

    /// Every endpoint checked on one host.
    func endpoints(of host: String) -> [String] {
        Set(subjects.values.compactMap(\.endpoint).filter { Self.host(of: $0) == host }).sorted()
    }

    /// This server's name, a peer's configured name, or the peer's address.
    func serverName(_ host: String) -> String {
        host == localHost ? server.name : (settings.peers[host] ?? host)
    }

    /// The server a ticket is about: this one, or the peer its checks reach.
    func ticketServer(of incident: Incident) -> Ticket.Server {
        let host: String?
        switch incident.scope {
        case .server(let h): host = h
        case .endpoint(let e): host = Self.host(of: e)
        case .check(let c): host = subjects[c]?.endpoint.map(Self.host(of:))
        case .mass: host = nil
        }
        guard let host, host != localHost else { return server }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return Ticket.Server(name: serverName(host), address: bare)
    }

    static func describe(_ category: Category) -> String {
        switch category {
        case .siteOffline: "site offline"
        case .security: "security problem"
        case .certificate: "certificate expiring"
        case .emailDown: "email down"
        case .serverDown: "server down"
        case .dns: "DNS problem"
        case .disk: "disk problem"
        case .delivery: "ticket delivery failing"
        }
    }
}
