import FoundationEssentials

/// One change of a ticket, as the outbox keeps it and the sinks deliver it (DESIGN.md §6). The
/// store writes it in the same step as the change; it keeps the change's own time however late
/// it is delivered. Its JSON form is the file in `state_dir/outbox/` (`hostwatch.event/1`).
public struct TicketEvent: Sendable, Codable, Hashable {
    /// What happened to the ticket.
    public enum Kind: String, Sendable, Codable, Hashable, CaseIterable {
        case opened
        case updated
        case acknowledged
        case resolved
        case reopened
    }

    public var schema = "hostwatch.event/1"
    public var kind: Kind
    /// When the change happened (not when it is delivered).
    public var at: Date
    public var ticketID: String
    /// The ticket's revision this event belongs to: the ticket as the change left it.
    public var revision: Int
    /// The timeline entries the change added (all of them for `opened`).
    public var steps: [Ticket.Step]
    /// The attachments the change added or replaced (all of them for `opened`): evidence
    /// collected after the ticket was filed travels with the event that attached it.
    public var attachments: [Ticket.Attachment]
    /// The whole ticket as of this change.
    public var ticket: Ticket

    public init(kind: Kind, at: Date, ticket: Ticket, steps: [Ticket.Step], attachments: [Ticket.Attachment]? = nil) {
        self.kind = kind
        self.at = at
        ticketID = ticket.id
        revision = ticket.revision
        self.steps = steps
        self.attachments = attachments ?? (kind == .opened ? ticket.attachments : [])
        self.ticket = ticket
    }

    /// Stable and unique within one store: `HW-42/3` (ticket and revision). Sinks derive their
    /// idempotency keys from it, so a resent event is recognisably the same event.
    public var id: String { "\(ticketID)/\(revision)" }

    private enum CodingKeys: String, CodingKey {
        case schema, kind, at, revision, steps, attachments, ticket
        case ticketID = "ticket_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schema = try c.decode(String.self, forKey: .schema)
        kind = try c.decode(Kind.self, forKey: .kind)
        at = try c.decode(Date.self, forKey: .at)
        ticketID = try c.decode(String.self, forKey: .ticketID)
        revision = try c.decode(Int.self, forKey: .revision)
        steps = try c.decode([Ticket.Step].self, forKey: .steps)
        ticket = try c.decode(Ticket.self, forKey: .ticket)
        attachments = try c.decodeIfPresent([Ticket.Attachment].self, forKey: .attachments) ?? []
    }

    /// The event a change from `old` to `new` makes, or nil when it is no event (a change that
    /// only records a helpdesk's reference). `kind` overrides what the change looks like.
    public static func describe(from old: Ticket?, to new: Ticket, kind: Kind? = nil, at time: Date) -> TicketEvent? {
        let steps: [Ticket.Step]
        if let old, new.steps.count >= old.steps.count, Array(new.steps.prefix(old.steps.count)) == old.steps {
            steps = Array(new.steps.dropFirst(old.steps.count))
        } else if old == nil {
            steps = new.steps
        } else {
            steps = new.steps.suffix(1).map { $0 }
        }
        let derived: Kind
        if let kind {
            derived = kind
        } else if old == nil {
            derived = .opened
        } else if let old, old.status != new.status {
            switch new.status {
            case .resolved: derived = .resolved
            case .acknowledged: derived = .acknowledged
            case .open: derived = old.status == .resolved ? .reopened : .updated
            }
        } else if steps.isEmpty, let old, old.externalRefs != new.externalRefs {
            return nil
        } else {
            derived = .updated
        }
        let added = new.attachments.filter { !(old?.attachments.contains($0) ?? false) }
        return TicketEvent(kind: derived, at: time, ticket: new, steps: steps, attachments: added)
    }
}
