import FoundationEssentials

/// The plain-text renderings of tickets, for the terminal and (later) e-mail bodies. Reads
/// top-down for a person woken at night: what, since when, whom it hits, what was seen.
public enum TicketFormat {
    /// One line per ticket for `tickets list`.
    public static func line(_ s: TicketSummary) -> String {
        let since = RFC3339.format(s.openedAt)
        return "\(s.id)\t\(s.status.rawValue)\t\(s.severity.rawValue)\t\(since)\t\(s.subject)"
    }

    /// The whole ticket for `tickets show` (and, without the attachments' text, the body of a
    /// helpdesk's first message).
    public static func full(_ t: Ticket, attachments: Bool = true) -> String {
        var out = "\(t.id) [\(t.severity.rawValue)\(t.isAroundTheClock ? ", 24/7" : "")] \(t.subject)\n"
        out += "status:    \(t.status.rawValue)\n"
        out += "category:  \(t.category.rawValue) (cause: \(t.cause.rawValue))\n"
        out += "down since: \(RFC3339.format(t.since))\n"
        out += "opened:    \(RFC3339.format(t.openedAt))\n"
        if let resolved = t.resolvedAt {
            out += "resolved:  \(RFC3339.format(resolved))"
            if let seconds = t.downtimeSeconds { out += " (down \(DurationText.format(.seconds(seconds))))" }
            out += "\n"
        }
        out += "server:    \(t.server.name) (\(t.server.address))\n"
        out += "accounts:  \(t.accounts.map { "\($0.name) [\($0.plan.rawValue)]" }.joined(separator: ", "))\n"
        out += "domains:   \(t.domains.joined(separator: ", "))\n"
        out += "checks:    \(t.checks.joined(separator: ", "))\n"
        out += "key:       \(t.key)\n"
        if let solution = t.solution { out += "solution:  \(solution)\n" }
        if !t.externalRefs.isEmpty {
            out += "external:  \(t.externalRefs.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))\n"
        }
        out += "\nsteps:\n"
        for step in t.steps {
            out += "  \(RFC3339.format(step.at))  \(step.actor): \(step.text)\n"
        }
        for attachment in t.attachments where attachments {
            out += "\n--- attachment \(attachment.name) (\(attachment.content.utf8.count) bytes) ---\n"
            out += attachment.content
            if !attachment.content.hasSuffix("\n") { out += "\n" }
        }
        if !attachments, !t.attachments.isEmpty {
            out += "\nattached: \(t.attachments.map(\.name).joined(separator: ", "))\n"
        }
        return out
    }
}
