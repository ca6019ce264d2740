import FoundationEssentials
import HostwatchCore

/// Delivers each event as a JSON POST (`WebhookPayload`, `hostwatch.event/1`) with
/// `Authorization: Bearer TOKEN` (from `token_file`) and `Idempotency-Key: SERVER/EVENT_ID`.
/// Any 2xx is delivered; anything else, or no answer within `timeout`, is retried by the outbox.
/// A receiver may answer `{"id": …}`: that id becomes the ticket's reference for this sink and is
/// sent back in `external_refs` with every later event.
public struct WebhookTicketSink: TicketSink {
    let configuration: WebhookSinkConfiguration
    let client: SinkHTTPClient

    public init(_ configuration: WebhookSinkConfiguration, loop: CurlMultiLoop) {
        self.configuration = configuration
        client = SinkHTTPClient(loop: loop)
    }

    public func deliver(_ event: TicketEvent, known: ExternalReference?) async throws(TicketSinkError) -> ExternalReference {
        var headers = ["Content-Type: application/json",
                       "Idempotency-Key: \(event.ticket.server.name)/\(event.id)"]
        if let token = configuration.token {
            headers.append("Authorization: Bearer \(try SinkSecret.read(token))")
        }
        let body: Data
        do { body = try FileTicketStore.encoder.encode(WebhookPayload(event)) } catch {
            throw .misconfigured("cannot encode the event: \(error)")
        }
        let response = await client.send(.init(method: "POST", url: configuration.url, headers: headers, body: Array(body),
                                               timeout: configuration.timeout, caFile: configuration.caFile,
                                               connectAddress: configuration.address))
        if let error = response.error { throw .unreachable(error.description) }
        guard (200..<300).contains(response.status) else {
            throw .rejected("HTTP \(response.status)\(response.body.isEmpty ? "" : ": " + response.bodyExcerpt)")
        }
        return Self.reference(in: response.body) ?? known ?? ExternalReference("")
    }

    /// `{"id": "T-7"}` or `{"id": 7}` in a JSON answer.
    static func reference(in body: [UInt8]) -> ExternalReference? {
        struct Answer: Decodable {
            var id: String?
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: Key.self)
                if let text = try? c.decode(String.self, forKey: .id) { id = text } else if let number = try? c.decode(Int.self, forKey: .id) { id = String(number) }
            }
            enum Key: String, CodingKey { case id }
        }
        guard body.first(where: { !$0.isASCIIWhitespace }) == UInt8(ascii: "{"),
              let id = (try? JSONDecoder().decode(Answer.self, from: Data(body)))?.id, !id.isEmpty, id.count <= 200 else { return nil }
        return ExternalReference(id)
    }
}

private extension UInt8 {
    var isASCIIWhitespace: Bool { self == 32 || self == 9 || self == 10 || self == 13 }
}
