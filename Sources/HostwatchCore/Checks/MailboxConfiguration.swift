/// One `imap` or `pop3` entry of a domain file: a mailbox reached over its protocol, with an
/// optional probe account (DESIGN.md §8). The two checks differ in their dialogue, not in what
/// they are told.
public struct MailboxConfiguration: Sendable, Hashable {
    public var port: Int
    public var tls: MailTLS
    /// Where to connect; nil means `server.address`.
    public var address: String?
    /// The name the server's certificate must carry (and SNI); nil means the domain.
    public var host: String?
    /// The probe account; without it the check stops before login.
    public var user: String?
    /// The file with the probe account's password, as configured.
    public var passwordFile: String?
    public var certWarningDays: Int
    public var timing: CheckTiming

    /// `tls` defaults by port (993 and 995 implicit, 143 and 110 STARTTLS).
    public init(port: Int, tls: MailTLS? = nil, address: String? = nil, host: String? = nil, user: String? = nil,
                passwordFile: String? = nil, certWarningDays: Int = 14, timing: CheckTiming = CheckTiming()) {
        self.port = port
        self.tls = tls ?? .default(port: port)
        self.address = address
        self.host = host
        self.user = user
        self.passwordFile = passwordFile
        self.certWarningDays = certWarningDays
        self.timing = timing
    }
}
