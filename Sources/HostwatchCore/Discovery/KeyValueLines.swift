/// `KEY=value` lines (cPanel's `/var/cpanel/users/USER`, DirectAdmin's `user.conf`), keys as
/// written; later lines win, as the panels' own readers do.
enum KeyValueLines {
    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            values[String(line[..<eq]).trimmed] = String(line[line.index(after: eq)...]).trimmed
        }
        return values
    }

    /// HestiaCP's `KEY='value' KEY2='value two'` lines: pairs read by key, in any order.
    static func quotedPairs(_ line: Substring) -> [String: String] {
        var values: [String: String] = [:]
        var i = line.startIndex
        while i < line.endIndex {
            while i < line.endIndex, line[i].isWhitespace { i = line.index(after: i) }
            guard let eq = line[i...].firstIndex(of: "=") else { break }
            let key = String(line[i..<eq])
            var j = line.index(after: eq)
            var value = ""
            if j < line.endIndex, line[j] == "'" || line[j] == "\"" {
                let quote = line[j]
                j = line.index(after: j)
                while j < line.endIndex, line[j] != quote { value.append(line[j]); j = line.index(after: j) }
                if j < line.endIndex { j = line.index(after: j) }
            } else {
                while j < line.endIndex, !line[j].isWhitespace { value.append(line[j]); j = line.index(after: j) }
            }
            values[key] = value
            i = j
        }
        return values
    }
}
