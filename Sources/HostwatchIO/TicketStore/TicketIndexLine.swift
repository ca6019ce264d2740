import FoundationEssentials
import HostwatchCore

/// One line of the store's append-only index (`state_dir/index.log`): a ticket summary as
/// tab-separated fields, parsed by hand so listing 100,000 tickets takes milliseconds, not the
/// seconds a JSON decoder would. The last line for an id wins; a line whose status is `-` says
/// the ticket was never written (a crash between the index line and the ticket file).
///
/// Fields: id, status, severity, category, opened (unix s), resolved (unix s or empty),
/// archived (0/1), key, domains (comma-separated), accounts (`\u{1f}`-separated), subject,
/// solution. Tabs, line breaks and backslashes in text are escaped as `\t`, `\n`, `\\`.
enum TicketIndexLine {
    static let tombstone = "-"

    static func format(_ s: TicketSummary) -> String {
        var fields: [String] = []
        fields.reserveCapacity(12)
        fields.append(s.id)
        fields.append(s.status.rawValue)
        fields.append(s.severity.rawValue)
        fields.append(s.category.rawValue)
        fields.append(String(Int64(s.openedAt.timeIntervalSince1970)))
        fields.append(s.resolvedAt.map { String(Int64($0.timeIntervalSince1970)) } ?? "")
        fields.append(s.archived ? "1" : "0")
        fields.append(escape(s.key))
        fields.append(escape(s.domains.joined(separator: ",")))
        fields.append(escape(s.accounts.joined(separator: "\u{1f}")))
        fields.append(escape(s.subject))
        fields.append(escape(s.solution ?? ""))
        return fields.joined(separator: "\t") + "\n"
    }

    static func tombstoneLine(id: String) -> String {
        "\(id)\t\(tombstone)\n"
    }

    /// Parses one line; nil for a tombstone or a line that does not parse (a torn last line).
    /// `id` is set for tombstones too, so they can remove an earlier entry.
    static func parse(_ line: Substring) -> (id: String, summary: TicketSummary?)? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard let id = fields.first, !id.isEmpty else { return nil }
        if fields.count == 2, fields[1] == Substring(tombstone) { return (String(id), nil) }
        guard fields.count == 12,
              let status = Ticket.Status(rawValue: String(fields[1])),
              let severity = Severity(rawValue: String(fields[2])),
              let category = Category(rawValue: String(fields[3])),
              let opened = Int64(fields[4]) else { return nil }
        let resolved = fields[5].isEmpty ? nil : Int64(fields[5])
        let domains = fields[8].isEmpty ? [] : unescape(fields[8]).split(separator: ",").map(String.init)
        let accounts = fields[9].isEmpty ? [] : unescape(fields[9]).split(separator: "\u{1f}").map(String.init)
        let solution = fields[11].isEmpty ? nil : unescape(fields[11])
        let summary = TicketSummary(id: String(id), key: unescape(fields[7]), status: status, severity: severity, category: category,
                                    subject: unescape(fields[10]), domains: domains, accounts: accounts,
                                    openedAt: Date(timeIntervalSince1970: Double(opened)),
                                    resolvedAt: resolved.map { Date(timeIntervalSince1970: Double($0)) },
                                    solution: solution, archived: fields[6] == "1")
        return (String(id), summary)
    }

    static func escape(_ text: String) -> String {
        guard text.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\\" || $0 == "\r" }) else { return text }
        var out = ""
        for ch in text {
            switch ch {
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\\": out += "\\\\"
            default: out.append(ch)
            }
        }
        return out
    }

    static func unescape(_ text: Substring) -> String {
        guard text.contains("\\") else { return String(text) }
        var out = ""
        var escaped = false
        for ch in text {
            if escaped {
                switch ch {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(ch)
                }
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
