import FoundationEssentials

/// What the incident tracker asks the scheduler to do with the ticket store.
public enum IncidentAction: Sendable, Hashable {
    /// Open a new ticket.
    case open(TicketDraft)
    /// Add a step to the open ticket with this key.
    case update(key: String, step: Ticket.Step)
    /// Resolve the open ticket with this key.
    case resolve(key: String, at: Date, step: Ticket.Step)
}
