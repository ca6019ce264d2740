import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// `hostwatch outbox`: the ticket events not yet delivered to every configured sink, with each
/// sink's attempts, last error and next attempt. Events of changes that never happened (a crash
/// between writing the event and the ticket) are removed first, under the store's lock.
enum OutboxCommand {
    struct Listing: Encodable {
        var schema = "hostwatch.outbox/1"
        var sinks: [String]
        var events: [Pending]
    }

    struct Pending: Encodable {
        var eventID: String
        var ticketID: String
        var revision: Int
        var kind: TicketEvent.Kind
        var at: Date
        var subject: String
        var sinks: [String: SinkState]

        enum CodingKeys: String, CodingKey {
            case revision, kind, at, subject, sinks
            case eventID = "event_id", ticketID = "ticket_id"
        }
    }

    struct SinkState: Encodable {
        /// `pending`, `delivered` or `skipped`.
        var state: String
        var attempts: Int
        var lastError: String?
        var firstFailureAt: Date?
        var lastAttemptAt: Date?
        var nextAttemptAt: Date?
        var deliveredAt: Date?

        enum CodingKeys: String, CodingKey {
            case state, attempts
            case lastError = "last_error", firstFailureAt = "first_failure_at", lastAttemptAt = "last_attempt_at"
            case nextAttemptAt = "next_attempt_at", deliveredAt = "delivered_at"
        }
    }

    static func run(_ options: CommandLineOptions) throws(UsageError) -> Int32 {
        try options.allow(["json"])
        guard options.positional.isEmpty else { throw UsageError("outbox takes no arguments") }
        guard let config = Commands.loadConfig(options) else { return 1 }
        let sinks = config.agent.delivery.sinks.map(\.name)
        var events: [Pending] = []
        do {
            let store = try FileTicketStore(folder: config.agent.stateDir)
            try store.discardOrphanEvents()
            for entry in try store.outbox.entries() {
                guard let event = try store.outbox.event(entry) else { continue }
                let progress = try store.outbox.progress(entry)
                var states: [String: SinkState] = [:]
                for name in sinks {
                    let p = progress.sinks[name] ?? OutboxFolder.SinkProgress()
                    states[name] = SinkState(state: p.deliveredAt != nil ? "delivered" : (p.skipped != nil ? "skipped" : "pending"),
                                             attempts: p.attempts, lastError: p.lastError, firstFailureAt: p.firstFailureAt,
                                             lastAttemptAt: p.lastAttemptAt, nextAttemptAt: p.nextAttemptAt, deliveredAt: p.deliveredAt)
                }
                events.append(Pending(eventID: event.id, ticketID: event.ticketID, revision: event.revision, kind: event.kind,
                                      at: event.at, subject: event.ticket.subject, sinks: states))
            }
        } catch {
            Commands.printError("hostwatch: \(error.description)")
            return 1
        }
        if options.json {
            print(Commands.jsonText(Listing(sinks: sinks, events: events)))
            return 0
        }
        if sinks.isEmpty { print("no sinks configured (tickets.deliver): events stay in the store only") }
        if events.isEmpty {
            print("outbox empty: every event delivered")
            return 0
        }
        for event in events {
            print("\(event.eventID)\t\(event.kind.rawValue)\t\(RFC3339.format(event.at))\t\(event.subject)")
            for name in sinks {
                guard let s = event.sinks[name] else { continue }
                var line = "  \(name)\t\(s.state)"
                if s.state == "pending" {
                    line += "\tattempts \(s.attempts)"
                    if let next = s.nextAttemptAt { line += "\tnext \(RFC3339.format(next))" }
                    if let since = s.firstFailureAt { line += "\tfailing since \(RFC3339.format(since))" }
                    if let error = s.lastError { line += "\tlast error: \(error)" }
                }
                print(line)
            }
        }
        return 0
    }
}
