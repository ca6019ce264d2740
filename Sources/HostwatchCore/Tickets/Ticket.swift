import FoundationEssentials

/// A ticket: the system-of-record document for one incident (DESIGN.md §5). Its JSON form
/// (`schema: "hostwatch.ticket/1"`, snake_case keys, RFC 3339 UTC times, durations in whole
/// seconds) is the same on disk, in `--json` output and in the webhook body.
public struct Ticket: Sendable, Codable, Hashable {
    /// Where the ticket stands.
    public enum Status: String, Sendable, Codable, Hashable, CaseIterable {
        case open
        case acknowledged
        case resolved
    }

    /// One timeline entry: when, who (`hostwatch` or a person), what.
    public struct Step: Sendable, Codable, Hashable {
        public var at: Date
        public var actor: String
        public var text: String
        public init(at: Date, actor: String = "hostwatch", text: String) {
            self.at = at
            self.actor = actor
            self.text = text
        }
    }

    /// The server the ticket is about (the support policy's "device").
    public struct Server: Sendable, Codable, Hashable {
        public var name: String
        public var address: String
        public init(name: String, address: String) {
            self.name = name
            self.address = address
        }
    }

    /// A customer account and its support plan.
    public struct Account: Sendable, Codable, Hashable {
        public var name: String
        public var plan: Plan
        public init(name: String, plan: Plan) {
            self.name = name
            self.plan = plan
        }
    }

    /// Evidence kept with the ticket (a transcript, a log excerpt).
    public struct Attachment: Sendable, Codable, Hashable {
        public var name: String
        public var mediaType: String
        public var content: String
        public init(name: String, mediaType: String = "text/plain", content: String) {
            self.name = name
            self.mediaType = mediaType
            self.content = content
        }
    }

    /// An earlier ticket for the same domains or accounts.
    public struct Related: Sendable, Codable, Hashable {
        public var id: String
        public var subject: String
        public var openedAt: Date
        public var resolvedAt: Date?
        public var solution: String?

        public init(id: String, subject: String, openedAt: Date, resolvedAt: Date?, solution: String?) {
            self.id = id
            self.subject = subject
            self.openedAt = openedAt
            self.resolvedAt = resolvedAt
            self.solution = solution
        }

        enum CodingKeys: String, CodingKey {
            case id, subject, solution
            case openedAt = "opened_at", resolvedAt = "resolved_at"
        }
    }

    public var schema = "hostwatch.ticket/1"
    /// Short and human: `HW-42`.
    public var id: String
    /// The incident's dedupe fingerprint (`check:example.org/web`).
    public var key: String
    public var status: Status
    public var severity: Severity
    public var category: Category
    public var cause: Cause
    /// True for critical tickets: handled round the clock.
    public var isAroundTheClock: Bool { severity == .critical }
    public var subject: String
    public var server: Server
    public var accounts: [Account]
    public var domains: [String]
    /// The checks whose failures make up the incident.
    public var checks: [String]
    /// When the problem began (the first failed check), before the ticket was opened.
    public var since: Date
    public var openedAt: Date
    public var updatedAt: Date
    public var resolvedAt: Date?
    public var downtimeSeconds: Int?
    public var steps: [Step]
    public var solution: String?
    public var related: [Related]
    public var attachments: [Attachment]
    /// The helpdesks' own ids for this ticket, by sink (`rt: "1234"`).
    public var externalRefs: [String: String]
    /// Counts the store's writes of this ticket: 1 when opened, one more per change. An outbox
    /// event names the revision it belongs to (0 in files from before revisions existed).
    public var revision: Int

    public init(id: String, draft: TicketDraft) {
        self.id = id
        key = draft.key
        status = .open
        severity = draft.severity
        category = draft.category
        cause = draft.cause
        subject = draft.subject
        server = draft.server
        accounts = draft.accounts
        domains = draft.domains
        checks = draft.checks
        since = draft.since
        openedAt = draft.openedAt
        updatedAt = draft.openedAt
        steps = draft.steps
        related = []
        attachments = draft.attachments
        externalRefs = [:]
        revision = 0
    }

    private enum CodingKeys: String, CodingKey {
        case schema, id, key, status, severity, category, cause, subject, server, accounts, domains, checks
        case aroundTheClock = "around_the_clock"
        case since, openedAt = "opened_at", updatedAt = "updated_at", resolvedAt = "resolved_at"
        case downtimeSeconds = "downtime_seconds"
        case steps, solution, related, attachments
        case externalRefs = "external_refs"
        case revision
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        id = try c.decode(String.self, forKey: .id)
        key = try c.decode(String.self, forKey: .key)
        status = try c.decode(Status.self, forKey: .status)
        severity = try c.decode(Severity.self, forKey: .severity)
        category = try c.decode(Category.self, forKey: .category)
        cause = try c.decode(Cause.self, forKey: .cause)
        subject = try c.decode(String.self, forKey: .subject)
        server = try c.decode(Server.self, forKey: .server)
        accounts = try c.decode([Account].self, forKey: .accounts)
        domains = try c.decode([String].self, forKey: .domains)
        checks = try c.decodeIfPresent([String].self, forKey: .checks) ?? []
        openedAt = try c.decode(Date.self, forKey: .openedAt)
        since = try c.decodeIfPresent(Date.self, forKey: .since) ?? openedAt
        updatedAt = try c.decodeIfPresent(Date.self, forKey: .updatedAt) ?? openedAt
        resolvedAt = try c.decodeIfPresent(Date.self, forKey: .resolvedAt)
        downtimeSeconds = try c.decodeIfPresent(Int.self, forKey: .downtimeSeconds)
        steps = try c.decode([Step].self, forKey: .steps)
        solution = try c.decodeIfPresent(String.self, forKey: .solution)
        related = try c.decodeIfPresent([Related].self, forKey: .related) ?? []
        attachments = try c.decodeIfPresent([Attachment].self, forKey: .attachments) ?? []
        externalRefs = try c.decodeIfPresent([String: String].self, forKey: .externalRefs) ?? [:]
        revision = try c.decodeIfPresent(Int.self, forKey: .revision) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(id, forKey: .id)
        try c.encode(key, forKey: .key)
        try c.encode(status, forKey: .status)
        try c.encode(severity, forKey: .severity)
        try c.encode(isAroundTheClock, forKey: .aroundTheClock)
        try c.encode(category, forKey: .category)
        try c.encode(cause, forKey: .cause)
        try c.encode(subject, forKey: .subject)
        try c.encode(server, forKey: .server)
        try c.encode(accounts, forKey: .accounts)
        try c.encode(domains, forKey: .domains)
        try c.encode(checks, forKey: .checks)
        try c.encode(since, forKey: .since)
        try c.encode(openedAt, forKey: .openedAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(resolvedAt, forKey: .resolvedAt)
        try c.encodeIfPresent(downtimeSeconds, forKey: .downtimeSeconds)
        try c.encode(steps, forKey: .steps)
        try c.encodeIfPresent(solution, forKey: .solution)
        try c.encode(related, forKey: .related)
        try c.encode(attachments, forKey: .attachments)
        try c.encode(externalRefs, forKey: .externalRefs)
        try c.encode(revision, forKey: .revision)
    }

    /// Marks the ticket resolved at `time` with a step, computing the downtime.
    public mutating func resolve(at time: Date, actor: String = "hostwatch", step text: String, solution: String? = nil) {
        status = .resolved
        resolvedAt = time
        updatedAt = time
        downtimeSeconds = max(0, Int(time.timeIntervalSince(since).rounded()))
        if let solution { self.solution = solution }
        steps.append(Step(at: time, actor: actor, text: text))
    }

    /// A responder resolves the ticket by hand with what was done. On a ticket that already
    /// resolved by itself this adds the solution (and keeps the recovery time).
    public mutating func resolveByHand(at time: Date, by actor: String, solution text: String) {
        if status == .resolved {
            solution = text
            addStep(Step(at: time, actor: actor, text: "solution: \(text)"))
        } else {
            resolve(at: time, actor: actor, step: "resolved by hand: \(text)", solution: text)
        }
    }

    /// Opens a resolved ticket again (the same incident failing within `reopen_within`).
    public mutating func reopen(at time: Date, step: Step, content: TicketContent) {
        apply(content)
        status = .open
        resolvedAt = nil
        downtimeSeconds = nil
        addStep(step)
    }

    /// Appends a timeline entry.
    public mutating func addStep(_ step: Step) {
        steps.append(step)
        updatedAt = max(updatedAt, step.at)
    }
}
