import FoundationEssentials

/// Renderings of ticket events for helpdesks: one subject line and one plain-text body per
/// event, the same for every sink (sinks deliver; they do not format).
extension TicketFormat {
    /// `HW-42 resolved: web01: nginx on … — 3 sites offline`.
    public static func subject(_ event: TicketEvent) -> String {
        let verb = event.kind == .opened ? "" : " \(event.kind.rawValue)"
        return "\(event.ticketID)\(verb): \(event.ticket.subject)"
    }

    /// The body: for `opened` the whole ticket without its attachments (they travel as
    /// attachments); for every later event what changed, then a short summary.
    public static func body(_ event: TicketEvent) -> String {
        let t = event.ticket
        if event.kind == .opened { return full(t, now: event.at, attachments: false) }
        var out = "\(t.id) \(event.kind.rawValue) at \(RFC3339.format(event.at)) [\(t.severity.rawValue)] \(t.subject)\n\n"
        for step in event.steps {
            out += "\(RFC3339.format(step.at))  \(step.actor): \(step.text)\n"
        }
        if event.kind == .resolved {
            if let seconds = t.downtimeSeconds { out += "\ndown for \(DurationText.format(.seconds(seconds)))\n" }
            if let solution = t.solution { out += "solution: \(solution)\n" }
        }
        out += "\nstatus:    \(t.status.rawValue)\n"
        out += "server:    \(t.server.name) (\(t.server.address))\n"
        out += "domains:   \(t.domains.joined(separator: ", "))\n"
        out += "accounts:  \(t.accounts.map { "\($0.name) [\($0.plan.rawValue)]" }.joined(separator: ", "))\n"
        out += "key:       \(t.key)\n"
        return out
    }
}
