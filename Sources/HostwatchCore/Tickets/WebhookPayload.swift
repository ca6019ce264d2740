import FoundationEssentials

/// The body of a webhook delivery (`hostwatch.event/1`, README "Webhook body"): what happened,
/// when, the timeline entries the change added, the names of attachments it added, the helpdesk
/// references known at delivery, and
/// the whole ticket (`hostwatch.ticket/1`). `server` plus `event_id` is unique and stays the same
/// when an event is sent again, so a receiver can drop repeats.
public struct WebhookPayload: Sendable, Encodable {
    public var schema = "hostwatch.event/1"
    public var eventID: String
    public var kind: TicketEvent.Kind
    public var at: Date
    public var server: String
    public var ticketID: String
    public var revision: Int
    public var steps: [Ticket.Step]
    /// Names of the attachments this change added (their content is in `ticket.attachments`).
    public var attachmentsAdded: [String]
    public var externalRefs: [String: String]
    public var ticket: Ticket

    public init(_ event: TicketEvent) {
        eventID = event.id
        kind = event.kind
        at = event.at
        server = event.ticket.server.name
        ticketID = event.ticketID
        revision = event.revision
        steps = event.steps
        attachmentsAdded = event.attachments.map(\.name)
        externalRefs = event.ticket.externalRefs
        ticket = event.ticket
    }

    private enum CodingKeys: String, CodingKey {
        case schema, kind, at, server, revision, steps, ticket
        case eventID = "event_id", ticketID = "ticket_id", externalRefs = "external_refs", attachmentsAdded = "attachments_added"
    }
}
