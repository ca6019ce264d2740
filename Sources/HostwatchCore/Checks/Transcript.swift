/// The record of one exchange with a server, as the check saw it, kept as ticket evidence.
///
/// Each line starts with a direction marker like curl's verbose output: `*` for notes, `>` for
/// what was sent, `<` for what was received. The transcript is capped at `limit` bytes; what
/// does not fit is counted, not kept. Callers redact secrets before appending.
///
/// Control characters other than tab and the line break (a server's NUL, a bare CR, an escape
/// sequence meant for the operator's terminal, C1 controls) are kept as `\xNN`: the transcript
/// reaches tickets, e-mails and `hostwatch tickets show`, and must show what was sent without
/// letting it act.
public struct Transcript: Sendable, Hashable, Codable {
    /// Who produced a line.
    public enum Direction: String, Sendable, Hashable, Codable {
        case note = "*"
        case sent = ">"
        case received = "<"
    }

    /// The kept lines, each ending in a line break.
    public private(set) var text: String
    public private(set) var droppedBytes = 0
    public let limit: Int

    public init(limit: Int = 64 * 1024) {
        self.limit = limit
        text = ""
    }

    /// A transcript from text already in line form (recorded by a transport), capped.
    public init(recorded: String, droppedBytes: Int = 0, limit: Int = 64 * 1024) {
        self.limit = limit
        let recorded = Self.escapingControls(recorded, keepingLineBreaks: true)
        if recorded.utf8.count <= limit {
            text = recorded
            self.droppedBytes = droppedBytes
        } else {
            let kept = recorded.utf8.prefix(limit)
            let cut = kept.lastIndex(of: UInt8(ascii: "\n")).map { recorded.utf8.index(after: $0) } ?? kept.endIndex
            text = String(recorded.utf8[..<cut]) ?? ""
            self.droppedBytes = droppedBytes + recorded.utf8.count - text.utf8.count
        }
    }

    /// Appends one line unless the cap is reached, in which case it is only counted.
    public mutating func append(_ direction: Direction, _ line: String) {
        let line = Self.escapingControls(line, keepingLineBreaks: false)
        let size = line.utf8.count + 3
        guard text.utf8.count + size <= limit else {
            droppedBytes += size
            return
        }
        text += direction.rawValue
        text += " "
        text += line
        text += "\n"
    }

    /// The transcript for a ticket, with a closing note when bytes were dropped.
    public var rendered: String {
        droppedBytes == 0 ? text : text + "* [\(droppedBytes) more bytes not kept: transcript capped at \(limit) bytes]\n"
    }

    /// `text` with every control character but tab (and LF, and CR before LF, when
    /// `keepingLineBreaks`) as `\xNN`.
    static func escapingControls(_ text: String, keepingLineBreaks: Bool) -> String {
        func isControl(_ value: UInt32) -> Bool {
            switch value {
            case 0x09: false
            case 0x00..<0x20, 0x7F, 0x80..<0xA0: true
            default: false
            }
        }
        // Almost every transcript is clean: look at the bytes before copying anything. (C1
        // controls are encoded C2 80…C2 9F.)
        var previous: UInt8 = 0
        let suspicious = text.utf8.contains { byte in
            defer { previous = byte }
            return (byte < 0x20 && byte != 0x09 && (byte != 0x0A || !keepingLineBreaks)) || byte == 0x7F || (previous == 0xC2 && byte < 0xA0 && byte >= 0x80)
        }
        guard suspicious else { return text }
        let scalars = Array(text.unicodeScalars)
        func keeps(_ index: Int) -> Bool {
            let value = scalars[index].value
            guard keepingLineBreaks else { return !isControl(value) }
            if value == 0x0A { return true }
            if value == 0x0D { return index + 1 < scalars.count && scalars[index + 1].value == 0x0A }
            return !isControl(value)
        }
        guard let first = scalars.indices.first(where: { !keeps($0) }) else { return text }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[..<first])
        for index in first..<scalars.count {
            if keeps(index) {
                out.append(scalars[index])
            } else {
                let hex = String(scalars[index].value, radix: 16)
                out.append(contentsOf: "\\x\(hex.count == 1 ? "0" : "")\(hex)".unicodeScalars)
            }
        }
        return String(out)
    }
}
