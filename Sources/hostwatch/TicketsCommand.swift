import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// `hostwatch tickets`: the responder's view of the store.
enum TicketsCommand {
    static func run(_ options: CommandLineOptions) throws(UsageError) -> Int32 {
        var positional = options.positional
        let sub = positional.isEmpty ? "list" : positional.removeFirst()
        guard let config = Commands.loadConfig(options) else { return 1 }
        let store: FileTicketStore
        do { store = try FileTicketStore(folder: config.agent.stateDir) } catch {
            Commands.printError("hostwatch: \(error.description)")
            return 1
        }
        switch sub {
        case "list":
            try options.allow(["all", "json", "status", "severity", "domain", "account", "since"])
            guard positional.isEmpty else { throw UsageError("tickets list takes no arguments") }
            return try list(store, options)
        case "show":
            try options.allow(["json"])
            guard positional.count == 1 else { throw UsageError("tickets show takes one ticket id") }
            return show(store, id: positional[0].uppercased(), json: options.json)
        case "ack":
            try options.allow(["by"])
            guard positional.count == 1 else { throw UsageError("tickets ack takes one ticket id") }
            return acknowledge(store, id: positional[0].uppercased(), by: options.values["by"] ?? Commands.loginName())
        case "note":
            try options.allow(["by"])
            guard positional.count >= 2 else { throw UsageError("tickets note takes a ticket id and the text") }
            let text = positional.dropFirst().joined(separator: " ")
            let actor = options.values["by"] ?? Commands.loginName()
            return change(store, id: positional[0].uppercased(), done: "note added") { ticket throws(TicketStoreError) in
                ticket.addStep(Ticket.Step(at: Date(), actor: actor, text: "note: \(text)"))
            }
        case "resolve":
            try options.allow(["by", "solution"])
            guard positional.count == 1 else { throw UsageError("tickets resolve takes one ticket id") }
            guard let solution = options.values["solution"], !solution.trimmingSpaces.isEmpty else {
                throw UsageError("a resolution by hand needs --solution TEXT: what was done, for the next person")
            }
            let actor = options.values["by"] ?? Commands.loginName()
            return change(store, id: positional[0].uppercased(), done: "resolved") { ticket throws(TicketStoreError) in
                ticket.resolveByHand(at: Date(), by: actor, solution: solution)
            }
        case "related":
            try options.allow(["account", "json"])
            return try related(store, domain: positional.first, account: options.values["account"], json: options.json, extra: positional.count)
        default:
            throw UsageError("unknown tickets command \"\(sub)\"")
        }
    }

    /// Applies one responder action under the store's lock and says what happened.
    static func change(_ store: FileTicketStore, id: String, done: String,
                       _ body: @escaping @Sendable (inout Ticket) throws(TicketStoreError) -> Void) -> Int32 {
        do {
            let ticket = try store.update(id: id, body)
            print("\(ticket.id) \(done) (\(ticket.status.rawValue))")
            return 0
        } catch {
            Commands.printError("hostwatch: \(error.description)")
            return 1
        }
    }

    /// Earlier tickets for a domain (exact, any case) or an account (substring, any case),
    /// including archived ones.
    static func related(_ store: FileTicketStore, domain: String?, account: String?, json: Bool, extra: Int) throws(UsageError) -> Int32 {
        guard (domain == nil) != (account == nil), extra <= 1 else {
            throw UsageError("tickets related takes one DOMAIN, or --account TEXT")
        }
        var filter = TicketFilter(includeResolved: true)
        filter.domain = domain
        filter.account = account
        do {
            let found = try store.list(includingArchive: true, where: filter.matches)
            if json {
                print(Commands.jsonText(TicketList(tickets: found)))
            } else if found.isEmpty {
                print("no tickets for \(domain ?? "account matching \"\(account ?? "")\"")")
            } else {
                for summary in found {
                    var line = TicketFormat.line(summary)
                    if let solution = summary.solution { line += "\tsolution: \(solution)" }
                    print(line)
                }
            }
            return 0
        } catch {
            Commands.printError("hostwatch: \(error.description)")
            return 1
        }
    }

    static func list(_ store: FileTicketStore, _ options: CommandLineOptions) throws(UsageError) -> Int32 {
        var filter = TicketFilter(includeResolved: options.flags.contains("all"))
        if let text = options.values["status"] {
            guard let status = Ticket.Status(rawValue: text) else { throw UsageError("--status is open, acknowledged or resolved") }
            filter.status = status
        }
        if let text = options.values["severity"] {
            guard let severity = Severity(rawValue: text) else { throw UsageError("--severity is warning or critical") }
            filter.severity = severity
        }
        filter.domain = options.values["domain"]
        filter.account = options.values["account"]
        if let text = options.values["since"] {
            if let duration = DurationText.parse(text) {
                filter.since = Date().addingTimeInterval(-duration.timeInterval)
            } else if let date = RFC3339.parse(text) {
                filter.since = date
            } else {
                throw UsageError("--since takes a duration (24h) or an RFC 3339 time")
            }
        }
        let summaries: [TicketSummary]
        do { summaries = try store.list(includingArchive: false, where: filter.matches) } catch {
            Commands.printError("hostwatch: \(error.description)")
            return 1
        }
        if options.json {
            print(Commands.jsonText(TicketList(tickets: summaries)))
        } else if summaries.isEmpty {
            print(filter.includeResolved || filter.status != nil ? "no tickets" : "no open tickets")
        } else {
            // One write for the whole listing: ten thousand print calls cost more than the index.
            var text = ""
            for summary in summaries { text += TicketFormat.line(summary) + "\n" }
            print(text, terminator: "")
        }
        return 0
    }

    static func show(_ store: FileTicketStore, id: String, json: Bool) -> Int32 {
        do {
            guard let ticket = try store.ticket(id: id) else {
                Commands.printError("hostwatch: no ticket \(id)")
                return 1
            }
            print(json ? Commands.jsonText(ticket) : TicketFormat.full(ticket, now: Date()), terminator: json ? "\n" : "")
            return 0
        } catch {
            Commands.printError("hostwatch: \(error.description)")
            return 1
        }
    }

    static func acknowledge(_ store: FileTicketStore, id: String, by actor: String) -> Int32 {
        do {
            let ticket = try store.update(id: id) { ticket throws(TicketStoreError) in
                guard ticket.status == .open else {
                    throw .invalidChange("\(ticket.id) is \(ticket.status.rawValue); only an open ticket can be acknowledged")
                }
                ticket.status = .acknowledged
                ticket.addStep(Ticket.Step(at: Date(), actor: actor, text: "acknowledged"))
            }
            print("\(ticket.id) acknowledged by \(actor)")
            return 0
        } catch {
            Commands.printError("hostwatch: \(error.description)")
            return 1
        }
    }

    struct TicketList: Encodable {
        var schema = "hostwatch.ticket-list/1"
        var tickets: [TicketSummary]
    }
}
