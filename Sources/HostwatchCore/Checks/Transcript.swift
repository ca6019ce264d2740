/// The record of one exchange with a server, as the check saw it, kept as ticket evidence.
///
/// Each line starts with a direction marker like curl's verbose output: `*` for notes, `>` for
/// what was sent, `<` for what was received. The transcript is capped at `limit` bytes; what
/// does not fit is counted, not kept. Callers redact secrets before appending.
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
}
