import FoundationEssentials

/// The system of record for tickets. Implemented on files in HostwatchIO (`FileTicketStore`),
/// in memory in the test kit. Every call is one atomic change: a reader never sees half of it.
public protocol TicketStore: Sendable {
    /// Creates a ticket with the next id.
    func open(_ draft: TicketDraft) throws(TicketStoreError) -> Ticket
    /// Applies a change to one ticket under the store's lock and returns the result.
    func update(id: String, _ change: @Sendable (inout Ticket) throws(TicketStoreError) -> Void) throws(TicketStoreError) -> Ticket
    /// The ticket with this id, or nil.
    func ticket(id: String) throws(TicketStoreError) -> Ticket?
    /// Summaries of all tickets, newest first.
    func list() throws(TicketStoreError) -> [TicketSummary]
}

extension TicketStore {
    /// Every ticket that is not resolved, in full.
    public func openTickets() throws(TicketStoreError) -> [Ticket] {
        var tickets: [Ticket] = []
        for summary in try list() where summary.status != .resolved {
            if let ticket = try ticket(id: summary.id) { tickets.append(ticket) }
        }
        return tickets
    }
}

/// The fields `tickets list` shows and filters on, kept in the store's index.
public struct TicketSummary: Sendable, Codable, Hashable {
    public var id: String
    public var key: String
    public var status: Ticket.Status
    public var severity: Severity
    public var category: Category
    public var subject: String
    public var domains: [String]
    public var accounts: [String]
    public var openedAt: Date
    public var resolvedAt: Date?
    /// What staff wrote when resolving (`related` shows it next to earlier tickets).
    public var solution: String?
    /// Moved to the archive (resolved long ago): `related` still finds it, `list` does not.
    public var archived = false

    public init(id: String, key: String, status: Ticket.Status, severity: Severity, category: Category, subject: String,
                domains: [String], accounts: [String], openedAt: Date, resolvedAt: Date?, solution: String?, archived: Bool) {
        self.id = id
        self.key = key
        self.status = status
        self.severity = severity
        self.category = category
        self.subject = subject
        self.domains = domains
        self.accounts = accounts
        self.openedAt = openedAt
        self.resolvedAt = resolvedAt
        self.solution = solution
        self.archived = archived
    }

    public init(_ ticket: Ticket) {
        id = ticket.id
        key = ticket.key
        status = ticket.status
        severity = ticket.severity
        category = ticket.category
        subject = ticket.subject
        domains = ticket.domains
        accounts = ticket.accounts.map(\.name)
        openedAt = ticket.openedAt
        resolvedAt = ticket.resolvedAt
        solution = ticket.solution
    }

    private enum CodingKeys: String, CodingKey {
        case id, key, status, severity, category, subject, domains, accounts, solution, archived
        case openedAt = "opened_at", resolvedAt = "resolved_at"
    }

    /// The number in `HW-42`, for ordering.
    public var number: Int { Int(id.split(separator: "-").last ?? "") ?? 0 }
}

/// Why the store could not do what was asked.
public enum TicketStoreError: Error, Sendable, CustomStringConvertible {
    case unknownTicket(String)
    case io(path: String, message: String)
    case corrupt(path: String, message: String)
    case invalidChange(String)

    public var description: String {
        switch self {
        case .unknownTicket(let id): "no ticket \(id)"
        case .io(let path, let message): "\(path): \(message)"
        case .corrupt(let path, let message): "\(path): unreadable ticket: \(message)"
        case .invalidChange(let message): message
        }
    }
}
