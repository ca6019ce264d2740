import FoundationEssentials

/// Turns observations into incident actions (DESIGN.md §4): debounces each check and opens,
/// updates and resolves one incident per failing check. A value type with no clock, I/O or
/// logging: the scheduler performs the actions. Grouping by endpoint, flapping, storms and
/// silences extend this in the incidents issue.
public struct IncidentTracker: Sendable {
    /// Who and what a check is about, for the tickets it opens.
    public struct Subject: Sendable, Hashable {
        public var domain: String
        public var account: Ticket.Account
        public var timing: CheckTiming
        public init(domain: String, account: Ticket.Account, timing: CheckTiming) {
            self.domain = domain
            self.account = account
            self.timing = timing
        }
    }

    /// Per-check state: the debounce and the failed attempts that led to the incident.
    struct CheckState: Sendable {
        var debounce = Debounce()
        var attempts: [Ticket.Step] = []
        var lastFailure: CheckFailure?
    }

    public let server: Ticket.Server
    public var policy: IncidentPolicy
    private var subjects: [CheckID: Subject] = [:]
    private var states: [CheckID: CheckState] = [:]
    /// Attempts kept per check before an incident opens (the debounce never needs more).
    private let attemptLimit = 20

    public init(server: Ticket.Server, policy: IncidentPolicy = IncidentPolicy()) {
        self.server = server
        self.policy = policy
    }

    /// Registers a check, so its observations can be judged and ticketed.
    public mutating func register(_ check: CheckID, subject: Subject) {
        subjects[check] = subject
        if states[check] == nil { states[check] = CheckState() }
    }

    /// The incident key of a check's own failures.
    public static func key(for check: CheckID) -> String { "check:\(check)" }

    /// Rebuilds a known incident from an open ticket after a restart, so the agent neither opens
    /// a second ticket nor forgets to resolve the first.
    public mutating func adopt(openTicketKey key: String, openedAt: Date) {
        for check in subjects.keys where Self.key(for: check) == key {
            states[check, default: CheckState()].debounce = Debounce(downSince: openedAt)
        }
    }

    /// Whether the scheduler should recheck at the retry interval.
    public func isUnsettled(_ check: CheckID) -> Bool {
        states[check]?.debounce.isUnsettled ?? false
    }

    /// Checks currently down.
    public var downChecks: [CheckID] {
        states.filter { $0.value.debounce.isDown }.map(\.key).sorted()
    }

    /// Records one observation and returns what to do about it.
    public mutating func record(_ observation: Observation, at now: Date) -> [IncidentAction] {
        guard let subject = subjects[observation.check] else { return [] }
        var state = states[observation.check] ?? CheckState()
        defer { states[observation.check] = state }
        let key = Self.key(for: observation.check)
        let failure = observation.failure
        let transition = state.debounce.record(failed: failure != nil, at: now,
                                               failures: subject.timing.failures, recoveries: subject.timing.recoveries)
        if let failure {
            let step = Ticket.Step(at: now, text: "\(observation.check) failed: \(failure.message)")
            if case .wentDown(let since) = transition {
                state.attempts.append(step)
                let draft = draft(for: observation, failure: failure, subject: subject, since: since, attempts: state.attempts, key: key)
                state.attempts = []
                state.lastFailure = failure
                return [.open(draft)]
            }
            if state.debounce.isDown {
                // While down, record only changes of the error, not every recheck (and not the
                // first failure seen after a restart, whose predecessor is unknown).
                defer { state.lastFailure = failure }
                guard let last = state.lastFailure, last.message != failure.message else { return [] }
                return [.update(key: key, step: step)]
            }
            state.attempts.append(step)
            if state.attempts.count > attemptLimit { state.attempts.removeFirst(state.attempts.count - attemptLimit) }
            return []
        }
        state.attempts = []
        if case .cameUp(let since) = transition {
            state.lastFailure = nil
            let minutes = Int((now.timeIntervalSince(since) / 60).rounded())
            let text = "\(observation.check) recovered (\(observation.summary)); recovered by itself after \(minutes) min"
            return [.resolve(key: key, at: now, step: Ticket.Step(at: now, text: text))]
        }
        return []
    }

    private func draft(for observation: Observation, failure: CheckFailure, subject: Subject, since: Date,
                       attempts: [Ticket.Step], key: String) -> TicketDraft {
        let severity = policy.severity(of: failure, plan: subject.account.plan)
        let what: String
        switch failure.category {
        case .siteOffline: what = "site offline"
        case .security: what = "security problem"
        case .certificate: what = "certificate expiring"
        case .emailDown: what = "email down"
        case .serverDown: what = "server down"
        case .dns: what = "DNS problem"
        case .disk: what = "disk problem"
        }
        let subjectLine = "\(subject.domain): \(what) — \(failure.message)"
        var steps = attempts
        if !observation.timings.isEmpty {
            steps.append(Ticket.Step(at: observation.startedAt, text: "last attempt timings: \(observation.timingText)"))
        }
        let transcriptName = "transcript-\(observation.check.kind)\(observation.check.index.map { "-\($0)" } ?? "").txt"
        return TicketDraft(key: key, severity: severity, category: failure.category, cause: failure.cause,
                           subject: subjectLine, server: server, accounts: [subject.account], domains: [subject.domain],
                           checks: [observation.check.description], since: since, openedAt: observation.startedAt, steps: steps,
                           attachments: [Ticket.Attachment(name: transcriptName, content: observation.transcript.rendered)])
    }
}
