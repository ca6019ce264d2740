import FoundationEssentials

/// What the incident tracker asks the scheduler to do with the ticket store.
public enum IncidentAction: Sendable, Hashable {
    /// Open a new ticket.
    case open(TicketDraft)
    /// Add a step to the ticket with this key, and replace its content when given (more domains
    /// joined, a new key when an endpoint ticket becomes the server-down ticket).
    case update(key: String, step: Ticket.Step, content: TicketContent?)
    /// Resolve the ticket with this key.
    case resolve(key: String, at: Date, step: Ticket.Step)
    /// Reopen the recently resolved ticket with this key.
    case reopen(key: String, at: Date, step: Ticket.Step, content: TicketContent)
}

/// The parts of a ticket that follow the incident: what it is about and whom it hits.
public struct TicketContent: Sendable, Hashable {
    public var key: String
    public var subject: String
    public var severity: Severity
    public var category: Category
    public var cause: Cause
    public var domains: [String]
    public var accounts: [Ticket.Account]
    public var checks: [String]

    public init(key: String, subject: String, severity: Severity, category: Category, cause: Cause,
                domains: [String], accounts: [Ticket.Account], checks: [String]) {
        self.key = key
        self.subject = subject
        self.severity = severity
        self.category = category
        self.cause = cause
        self.domains = domains
        self.accounts = accounts
        self.checks = checks
    }
}

extension Ticket {
    /// Replaces the incident-following fields with `content`.
    public mutating func apply(_ content: TicketContent) {
        key = content.key
        subject = content.subject
        severity = content.severity
        category = content.category
        cause = content.cause
        domains = content.domains
        accounts = content.accounts
        checks = content.checks
    }
}

extension IncidentAction {
    /// Whether carrying it out makes, ends or re-keys a ticket (not only a step on one): what a
    /// restart must find in the saved state so it never opens a second ticket for an incident.
    public var changesTickets: Bool {
        switch self {
        case .open, .resolve, .reopen: true
        case .update(let key, _, let content): content.map { $0.key != key } ?? false
        }
    }
}
