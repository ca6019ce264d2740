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

    public static func < (lhs: CheckID, rhs: CheckID) -> Bool { lhs.description < rhs.description }
}
