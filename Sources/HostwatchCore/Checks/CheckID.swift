/// Stable identity of one configured check: the domain, the check kind and, for a kind listed
/// several times in a domain file, its index. Keys the incident tracker and titles tickets.
public struct CheckID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The domain (or, for server-wide checks such as disks, the server name).
    public var target: String
    /// The check kind as written in config: `web`, `smtp`, `disk`, …
    public var kind: String
    /// Position in the config list when the kind takes a list (`web[1]`); nil for a single object.
    public var index: Int?

    public init(target: String, kind: String, index: Int? = nil) {
        self.target = target
        self.kind = kind
        self.index = index
    }

    /// `example.org/web`, `example.org/smtp[1]`.
    public var description: String {
        if let index { return "\(target)/\(kind)[\(index)]" }
        return "\(target)/\(kind)"
    }

    /// The check a description names (`example.org/web`, `example.org/smtp[1]`): tickets carry
    /// checks by these names. Nil for anything else.
    public init?(description: String) {
        guard let slash = description.firstIndex(of: "/") else { return nil }
        let target = String(description[..<slash])
        var kind = description[description.index(after: slash)...]
        var index: Int?
        if kind.hasSuffix("]"), let open = kind.firstIndex(of: "[") {
            guard let number = Int(kind[kind.index(after: open)..<kind.index(before: kind.endIndex)]), number >= 0 else { return nil }
            index = number
            kind = kind[..<open]
        }
        guard !target.isEmpty, !kind.isEmpty, !kind.contains("/"), !kind.contains("[") else { return nil }
        self.init(target: target, kind: String(kind), index: index)
    }

    /// In the order of the descriptions, compared without building them (sorting ten thousand
    /// checks built two strings per comparison): byte by byte while both are ASCII, which is
    /// the strings' own order there, else by the descriptions themselves.
    public static func < (lhs: CheckID, rhs: CheckID) -> Bool {
        var left = lhs.descriptionBytes.makeIterator()
        var right = rhs.descriptionBytes.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (l?, r?):
                if l >= 0x80 || r >= 0x80 { return lhs.description < rhs.description }
                if l != r { return l < r }
            }
        }
    }

    /// The UTF-8 of `description`, one byte at a time.
    private var descriptionBytes: DescriptionBytes { DescriptionBytes(id: self) }

    /// `target`, "/", `kind`, then "[index]" when there is one; no array, so no allocation.
    private struct DescriptionBytes: Sequence, IteratorProtocol {
        let id: CheckID
        var stage = 0
        var bytes: String.UTF8View.Iterator

        init(id: CheckID) {
            self.id = id
            bytes = id.target.utf8.makeIterator()
        }

        mutating func next() -> UInt8? {
            while true {
                if stage != 1, let byte = bytes.next() { return byte }
                stage += 1
                switch stage {
                case 1: return UInt8(ascii: "/")
                case 2: bytes = id.kind.utf8.makeIterator()
                case 3:
                    guard let index = id.index else { return nil }
                    bytes = "[\(index)]".utf8.makeIterator()
                default: return nil
                }
            }
        }
    }
}
