/// What one source says about one domain: its names, where it is served and by whom. Every
/// reader of `Discovery/` turns its source's own words into a list of these; the merge joins
/// the lists per domain.
public struct DiscoveredSite: Sendable, Hashable {
    /// The kind of service a source vouches for.
    public enum Service: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case web, mail, dns
        public static func < (a: Service, b: Service) -> Bool { a.rawValue < b.rawValue }
    }

    /// The name the source gives first (lower case, no trailing dot).
    public var name: String
    /// Further names of the same site (`www.`, `server_name` extras, `ServerAlias`).
    public var aliases: [String] = []
    /// What the source serves for it; nil for a panel entry that only says who owns it.
    public var service: Service?
    /// Where the web server listens for this site (empty: the default ports on `server.address`).
    public var listens: [ListenAddress] = []
    /// The certificate file the vhost presents, when it has one.
    public var certificateFile: String?
    /// Where its locations pass requests (`unix:/run/php/php8.2-fpm.sock`, `http://127.0.0.1:8080`).
    public var upstreams: [String] = []
    /// The panel's user that owns it.
    public var account: String?
    /// The owner's contact name or e-mail, where the panel keeps one.
    public var contact: String?
    /// The panel's plan or package name, before the `plans` map.
    public var plan: String?
    /// Marked suspended by the panel: served a placeholder on purpose.
    public var suspended = false

    public init(name: String, aliases: [String] = [], service: Service?, listens: [ListenAddress] = [],
                certificateFile: String? = nil, upstreams: [String] = [], account: String? = nil,
                contact: String? = nil, plan: String? = nil, suspended: Bool = false) {
        self.name = name
        self.aliases = aliases
        self.service = service
        self.listens = listens
        self.certificateFile = certificateFile
        self.upstreams = upstreams
        self.account = account
        self.contact = contact
        self.plan = plan
        self.suspended = suspended
    }
}
