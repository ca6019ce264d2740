import Synchronization

/// Stable identity of one configured check: the domain, the check kind and, for a kind listed
/// several times in a domain file, its index. Keys the incident tracker and titles tickets.
///
/// Stored in 24 bytes: the kind as a number (`CheckKinds`) and the index in 32 bits. As two
/// strings and an optional Int it took 48, in every table keyed by check (issue 16: at 40,000
/// checks each such table has 65,536 slots) and in every check.
public struct CheckID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    /// The domain (or, for server-wide checks such as disks, the server name).
    public var target: String
    private var kindCode: UInt16
    /// The index plus one; 0 for none.
    private var indexPlusOne: UInt32

    /// The check kind as written in config: `web`, `smtp`, `disk`, …
    public var kind: String {
        get { CheckKinds.name(of: kindCode) }
        set { kindCode = CheckKinds.code(for: newValue) }
    }

    /// Position in the config list when the kind takes a list (`web[1]`); nil for a single
    /// object. Kept up to 4,294,967,294 (a config list is never near that long).
    public var index: Int? {
        get { indexPlusOne == 0 ? nil : Int(indexPlusOne - 1) }
        set { indexPlusOne = newValue.map { UInt32(clamping: min(max(0, $0), Int(UInt32.max) - 1)) + 1 } ?? 0 }
    }

    public init(target: String, kind: String, index: Int? = nil) {
        self.target = target
        kindCode = CheckKinds.code(for: kind)
        indexPlusOne = 0
        self.index = index
    }

    private enum CodingKeys: String, CodingKey {
        case target, kind, index
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(target: try container.decode(String.self, forKey: .target), kind: try container.decode(String.self, forKey: .kind),
                  index: try container.decodeIfPresent(Int.self, forKey: .index))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(index, forKey: .index)
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

/// The check kinds as numbers, for `CheckID`: the kinds of a domain file and of disks are fixed;
/// any other (tests, a future kind) is numbered on first sight, for the life of the process.
enum CheckKinds {
    static let fixed = ["web", "smtp", "imap", "pop3", "dns", "disk", "mail_roundtrip"]
    private static let others = Mutex<[String]>([])

    static func code(for kind: String) -> UInt16 {
        if let fixedCode = fixed.firstIndex(of: kind) { return UInt16(fixedCode) }
        return others.withLock { others in
            if let known = others.firstIndex(of: kind) { return UInt16(fixed.count + known) }
            precondition(fixed.count + others.count < Int(UInt16.max), "more than 65,535 check kinds")
            others.append(kind)
            return UInt16(fixed.count + others.count - 1)
        }
    }

    static func name(of code: UInt16) -> String {
        let number = Int(code)
        if number < fixed.count { return fixed[number] }
        return others.withLock { $0[number - fixed.count] }
    }
}
