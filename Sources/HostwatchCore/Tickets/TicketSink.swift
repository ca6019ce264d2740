/// Where ticket events leave the agent (a helpdesk, a mailbox, a webhook). The embedded store
/// is the system of record; a sink only delivers.
///
/// `deliver` must be safe to retry with the same event: the outbox calls it again after any
/// failure and after a crash between a delivery and its recording. `known` is the reference this
/// sink returned for the ticket before (nil the first time, or when it was never recorded): a
/// conformer that creates helpdesk tickets looks for the one it may already have made before
/// creating another. Returning means the helpdesk has the change; the returned reference is
/// stored on the ticket. Throwing keeps the event in the outbox for another attempt.
public protocol TicketSink: Sendable {
    func deliver(_ event: TicketEvent, known: ExternalReference?) async throws(TicketSinkError) -> ExternalReference
}
