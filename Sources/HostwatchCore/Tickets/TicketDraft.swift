import FoundationEssentials

/// Everything a new ticket holds, built by the incident tracker (pure) and turned into a
/// `Ticket` with an id by the store.
public struct TicketDraft: Sendable, Hashable {
    public var key: String
    public var severity: Severity
    public var category: Category
    public var cause: Cause
    public var subject: String
    public var server: Ticket.Server
    public var accounts: [Ticket.Account]
    public var domains: [String]
    public var checks: [String]
    /// When the problem began: the first failure of the run that opened the incident.
    public var since: Date
    public var openedAt: Date
    public var steps: [Ticket.Step]
    public var attachments: [Ticket.Attachment]
    /// Earlier tickets this one should name (the last ticket of the same incident key).
    public var relatedIDs: [String] = []

    public init(key: String, severity: Severity, category: Category, cause: Cause, subject: String,
                server: Ticket.Server, accounts: [Ticket.Account], domains: [String], checks: [String],
                since: Date, openedAt: Date, steps: [Ticket.Step], attachments: [Ticket.Attachment]) {
        self.key = key
        self.severity = severity
        self.category = category
        self.cause = cause
        self.subject = subject
        self.server = server
        self.accounts = accounts
        self.domains = domains
        self.checks = checks
        self.since = since
        self.openedAt = openedAt
        self.steps = steps
        self.attachments = attachments
    }

    /// A draft from incident content, for a ticket opened without one from the tracker.
    public init(content: TicketContent, server: Ticket.Server, at time: Date, steps: [Ticket.Step]) {
        self.init(key: content.key, severity: content.severity, category: content.category, cause: content.cause,
                  subject: content.subject, server: server, accounts: content.accounts, domains: content.domains,
                  checks: content.checks, since: time, openedAt: time, steps: steps, attachments: [])
    }
}
