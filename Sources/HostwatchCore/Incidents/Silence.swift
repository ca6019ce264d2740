import FoundationEssentials

/// A window in which new tickets are not opened for a target: a silence set from the command
/// line, or a scheduled maintenance window from config. Suppresses creation only: recoveries
/// still resolve what was open, and what is still down when the window ends opens then.
public struct Silence: Sendable, Hashable, Codable {
    /// What a silence covers.
    public enum Target: Sendable, Hashable, Codable, CustomStringConvertible {
        case domain(String)
        /// `ADDRESS:PORT`, every protocol on it.
        case endpoint(String)
        case server
        case all

        /// Reads `example.org`, `endpoint:203.0.113.10:443`, `server` or `all`.
        public init?(_ text: String) {
            switch text {
            case "server": self = .server
            case "all": self = .all
            default:
                if text.hasPrefix("endpoint:") {
                    let rest = String(text.dropFirst("endpoint:".count))
                    guard rest.contains(":"), let port = Int(rest.split(separator: ":").last ?? ""), (1...65535).contains(port) else { return nil }
                    self = .endpoint(rest)
                } else if DomainName.isValid(text) {
                    self = .domain(text.lowercased())
                } else {
                    return nil
                }
            }
        }

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let target = Target(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a silence target: \(text)"))
            }
            self = target
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }

        public var description: String {
            switch self {
            case .domain(let d): d
            case .endpoint(let e): "endpoint:\(e)"
            case .server: "server"
            case .all: "all"
            }
        }
    }

    public var id: String
    public var target: Target
    public var start: Date
    public var end: Date
    public var reason: String
    public var by: String

    public init(id: String, target: Target, start: Date, end: Date, reason: String, by: String) {
        self.id = id
        self.target = target
        self.start = start
        self.end = end
        self.reason = reason
        self.by = by
    }

    public func isActive(at time: Date) -> Bool { start <= time && time < end }

    /// Whether this silence covers a check of `domain` reached at `endpoint`
    /// (`ADDRESS:PORT/PROTOCOL`) on this server (`isLocal`).
    public func covers(domain: String, endpoint: String?, isLocal: Bool) -> Bool {
        switch target {
        case .all: return true
        case .server: return isLocal
        case .domain(let d): return d == domain.lowercased()
        case .endpoint(let e): return endpoint.map { $0.split(separator: "/").first.map(String.init) == e } ?? false
        }
    }
}
