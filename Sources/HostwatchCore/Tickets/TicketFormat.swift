import FoundationEssentials

/// The plain-text renderings of tickets, for the terminal and (later) e-mail bodies. Reads
/// top-down for a person woken at night: what, since when, whom it hits, what was seen.
public enum TicketFormat {
    /// One line per ticket for `tickets list`.
    public static func line(_ s: TicketSummary) -> String {
        let since = RFC3339.format(s.openedAt)
        return "\(s.id)\t\(s.status.rawValue)\t\(s.severity.rawValue)\t\(since)\t\(s.subject)"
    }

    /// The whole ticket for `tickets show`, top-down for a person woken at 3 a.m.: what is down
    /// and since when; whom it hits; where to look first; what hostwatch saw and did; the
    /// solution; related earlier tickets; the attachments. `now` says how long it has been.
    /// Without `attachments` (a helpdesk's first message, where they travel as files) only
    /// their names are listed.
    public static func full(_ t: Ticket, now: Date, attachments: Bool = true) -> String {
        var out = "\(t.id)  \(t.severity.rawValue.uppercased())\(t.isAroundTheClock ? " · 24/7" : " · office hours")  \(t.subject)\n"

        out += "\nWHAT IS DOWN\n"
        out += "  \(t.category.rawValue) (cause: \(t.cause.rawValue)) on \(t.server.name) (\(t.server.address))\n"
        let end = t.resolvedAt ?? now
        let length = DurationText.format(.seconds(Int64(max(0, end.timeIntervalSince(t.since)))))
        switch t.status {
        case .resolved:
            out += "  down from \(RFC3339.format(t.since)) to \(t.resolvedAt.map(RFC3339.format) ?? "?") (\(length)); resolved\n"
        case .open, .acknowledged:
            out += "  down since \(RFC3339.format(t.since)) (\(length), still \(t.status == .acknowledged ? "down, acknowledged" : "down"))\n"
        }
        out += "  ticket opened \(RFC3339.format(t.openedAt)), last change \(RFC3339.format(t.updatedAt))\n"

        out += "\nWHOM IT HITS\n"
        for account in t.accounts {
            out += "  \(account.name)  [\(account.plan == .plus ? "+Plus" : "free")]\n"
        }
        out += "  domains: \(t.domains.joined(separator: ", "))\n"
        out += "  checks:  \(t.checks.joined(separator: ", "))\n"

        out += "\nWHERE TO LOOK FIRST\n"
        if let failed = t.steps.last(where: { $0.actor == "hostwatch" && $0.text.contains(" failed: ") }) {
            out += "  last failure (\(RFC3339.format(failed.at))): \(failed.text)\n"
        } else if let words = t.subject.components(separatedBy: " — ").last {
            out += "  \(words)\n"
        }
        if let timings = t.steps.last(where: { $0.text.contains("timings: ") }) {
            out += "  \(timings.text)\n"
        }
        let evidence = t.attachments.map(\.name)
        if !evidence.isEmpty { out += "  evidence \(attachments ? "below" : "attached"): \(evidence.joined(separator: ", "))\n" }

        out += "\nWHAT HOSTWATCH SAW AND DID\n"
        for step in t.steps {
            out += "  \(RFC3339.format(step.at))  \(step.actor): \(step.text)\n"
        }

        out += "\nSOLUTION\n"
        if let solution = t.solution {
            out += "  \(solution)\n"
        } else if t.status == .resolved {
            out += "  none written yet; add what was done: hostwatch tickets resolve \(t.id) --solution TEXT\n"
        } else {
            out += "  open: hostwatch tickets ack \(t.id) · note \(t.id) TEXT · resolve \(t.id) --solution TEXT\n"
        }

        out += "\nRELATED EARLIER TICKETS\n"
        if t.related.isEmpty { out += "  none in the last 90 days for these domains and accounts\n" }
        for r in t.related {
            out += "  \(r.id)  \(RFC3339.format(r.openedAt)) → \(r.resolvedAt.map(RFC3339.format) ?? "open")  \(r.subject)"
            out += r.solution.map { "; solution: \($0)\n" } ?? "\n"
        }

        if !t.externalRefs.isEmpty {
            out += "\nHELPDESK\n"
            for (sink, reference) in t.externalRefs.sorted(by: { $0.key < $1.key }) { out += "  \(sink): \(reference)\n" }
        }
        out += "\nkey: \(t.key)\n"
        for attachment in t.attachments where attachments {
            out += "\n--- attachment \(attachment.name) (\(attachment.content.utf8.count) bytes) ---\n"
            out += attachment.content
            if !attachment.content.hasSuffix("\n") { out += "\n" }
        }
        return out
    }
}
