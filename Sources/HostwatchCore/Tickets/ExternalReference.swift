/// A helpdesk's own handle on a ticket, as a sink reports it: the RT ticket number, the first
/// e-mail's Message-ID, the id a webhook receiver answered with. Kept on the ticket
/// (`external_refs`, by sink name) so follow-ups update the same helpdesk ticket.
public struct ExternalReference: Sendable, Codable, Hashable, CustomStringConvertible {
    public var value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { value }
}
