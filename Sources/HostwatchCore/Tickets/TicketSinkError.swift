/// Why a sink did not deliver an event. The text goes into `hostwatch outbox` and into the
/// warning ticket, so it says what the helpdesk answered, never a secret. Every case is retried:
/// an event waits in the outbox until its sink takes it.
public enum TicketSinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No answer: refused, unreachable, timed out, TLS failed.
    case unreachable(String)
    /// It answered, but no: an HTTP status, an SMTP reply.
    case rejected(String)
    /// The helpdesk ticket exists (`reference`), but the change did not fully take: RT answers
    /// 2xx and ignores an unknown custom field or status. The reference is kept, so the retry
    /// repairs that ticket instead of creating another.
    case incomplete(ExternalReference, String)
    /// The sink cannot work as configured: an unreadable token file, an unusable URL.
    case misconfigured(String)

    public var description: String {
        switch self {
        case .unreachable(let text): "unreachable: \(text)"
        case .rejected(let text): "rejected: \(text)"
        case .incomplete(let reference, let text): "incomplete (helpdesk ticket \(reference.value)): \(text)"
        case .misconfigured(let text): "misconfigured: \(text)"
        }
    }

    /// The helpdesk reference that exists despite the failure, if any.
    public var reference: ExternalReference? {
        if case .incomplete(let reference, _) = self { return reference }
        return nil
    }
}
