import HostwatchCore
import HostwatchIO

/// Builds the outbox's sinks from `tickets.deliver`: the one switch over `SinkSpec`.
struct SinkFactory {
    /// The loop every sink's transfers run on (not the checks' loop: a reload that replaces
    /// that one must not abort a delivery in flight).
    let loop: CurlMultiLoop

    func build(_ specs: [SinkSpec]) -> [OutboxDelivery.Destination] {
        specs.map { spec in
            let sink: any TicketSink = switch spec {
            case .email(let c): EmailTicketSink(c, loop: loop)
            case .rt(let c): RTTicketSink(c, loop: loop)
            case .webhook(let c): WebhookTicketSink(c, loop: loop)
            }
            // RT's REST API is slow work for a few server processes (Perl, a database write and
            // a read-back per request): four at a time. It has no idempotency keys: after a
            // restart, what was waiting goes 5 s later, once the killed agent's last requests
            // are through RT's queue (the sink then finds what they made instead of repeating it).
            let isRT = if case .rt = spec { true } else { false }
            return OutboxDelivery.Destination(name: spec.name, sink: sink, maxInFlight: isRT ? 4 : nil,
                                              restartPause: isRT ? .seconds(5) : nil)
        }
    }
}
