import FoundationEssentials

/// The filters of `tickets list`: status, severity, domain (exact), account (substring, any
/// case) and a start time.
public struct TicketFilter: Sendable {
    public var includeResolved: Bool
    public var status: Ticket.Status?
    public var severity: Severity?
    public var domain: String?
    public var account: String?
    public var since: Date?

    public init(includeResolved: Bool = false) {
        self.includeResolved = includeResolved
    }

    public func matches(_ s: TicketSummary) -> Bool {
        if let status, s.status != status { return false }
        if status == nil, !includeResolved, s.status == .resolved { return false }
        if let severity, s.severity != severity { return false }
        if let domain, !s.domains.contains(where: { $0.lowercased() == domain.lowercased() }) { return false }
        if let account, !s.accounts.contains(where: { $0.lowercased().contains(account.lowercased()) }) { return false }
        if let since, s.openedAt < since { return false }
        return true
    }
}
