/// What one discovery source yielded: its sites, the server's own names it mentions, mail
/// service facts, and warnings about text it could not read (never a crash: a reader skips what
/// it does not understand and says so).
public struct SourceReading: Sendable, Hashable {
    /// The source's name in `sources` and warnings (`nginx`, `postfix`, `cpanel` …).
    public var source: String
    public var sites: [DiscoveredSite] = []
    /// The server's own host names (`myhostname`): never domains of a customer.
    public var hostNames: [String] = []
    /// Where mail is served, for postfix and dovecot.
    public var mail = MailService()
    /// The local authoritative DNS server's addresses, for nsd and bind.
    public var nameservers: [NameserverAddress] = []
    /// Problems with the text, each naming the source and the place.
    public var warnings: [String] = []

    public init(source: String) { self.source = source }

    mutating func warn(_ message: String) { warnings.append("\(source): \(message)") }
}

/// An address (and port) a local authoritative DNS server answers on.
public struct NameserverAddress: Sendable, Hashable {
    public var address: String
    public var port: Int
    public init(address: String, port: Int = 53) {
        self.address = address
        self.port = port
    }
}

/// The mail service facts postfix and dovecot give: where they listen, with which TLS, and
/// the name the host presents.
public struct MailService: Sendable, Hashable {
    /// One listener of smtpd or a dovecot login service.
    public struct Endpoint: Sendable, Hashable, Comparable {
        /// `smtp`, `imap` or `pop3` (the check kind).
        public var kind: String
        public var address: String?
        public var port: Int
        public var tls: MailTLS

        public init(kind: String, address: String?, port: Int, tls: MailTLS) {
            self.kind = kind
            self.address = address
            self.port = port
            self.tls = tls
        }

        public static func < (a: Endpoint, b: Endpoint) -> Bool { (a.kind, a.port, a.address ?? "") < (b.kind, b.port, b.address ?? "") }
    }

    public var endpoints: [Endpoint] = []
    /// The host's mail name (postfix `myhostname`), the default for `server.mail_host`.
    public var hostName: String?
    /// The certificate file it presents (`smtpd_tls_cert_file`, `ssl_cert`).
    public var certificateFile: String?

    public init() {}
}
