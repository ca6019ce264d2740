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
