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

    /// Parses one line (without its line break); nil for a line that does not parse (a torn
    /// last line). The id is set for tombstones too (summary nil), so they remove an entry.
    /// Works on bytes: Character-based splitting of non-ASCII text is what made a 100,000-line
    /// index take seconds.
    static func parse(_ line: Substring) -> (id: String, summary: TicketSummary?)? {
        var line = line
        return line.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) -> (id: String, summary: TicketSummary?)? {
        var fields: [Range<Int>] = []
        fields.reserveCapacity(12)
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 9 {
            fields.append(start..<i)
            start = i + 1
        }
        fields.append(start..<bytes.count)
        func text(_ k: Int) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[fields[k]]), as: UTF8.self) }
        func number(_ k: Int) -> Int64? {
            let r = fields[k]
            guard !r.isEmpty else { return nil }
            var value: Int64 = 0
            for i in r {
                let b = bytes[i]
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int64(b - 48)
            }
            return value
        }
        guard !fields[0].isEmpty else { return nil }
        let id = text(0)
        if fields.count == 2, text(1) == tombstone { return (id, nil) }
        guard fields.count == 12,
              let status = Ticket.Status(rawValue: text(1)),
              let severity = Severity(rawValue: text(2)),
              let category = Category(rawValue: text(3)),
              let opened = number(4) else { return nil }
        let resolved = number(5)
        /// Splits a field on a byte separator without Character processing.
        func list(_ k: Int, _ separator: UInt8) -> [String] {
            var items: [String] = []
            var from = fields[k].lowerBound
            for i in fields[k] where bytes[i] == separator {
                items.append(unescape(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[from..<i]), as: UTF8.self)))
                from = i + 1
            }
            items.append(unescape(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[from..<fields[k].upperBound]), as: UTF8.self)))
            return items
        }
        let domains = fields[8].isEmpty ? [] : list(8, 44)
        let accounts = fields[9].isEmpty ? [] : list(9, 0x1f)
        let solution = fields[11].isEmpty ? nil : unescape(text(11))
        let summary = TicketSummary(id: id, key: unescape(text(7)), status: status, severity: severity, category: category,
                                    subject: unescape(text(10)), domains: domains, accounts: accounts,
                                    openedAt: Date(timeIntervalSince1970: Double(opened)),
                                    resolvedAt: resolved.map { Date(timeIntervalSince1970: Double($0)) },
                                    solution: solution, archived: fields[6].count == 1 && bytes[fields[6].lowerBound] == 49)
        return (id, summary)
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

    static func unescape(_ text: String) -> String {
        guard text.utf8.contains(92) else { return text }
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
