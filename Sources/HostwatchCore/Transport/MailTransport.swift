/// Holds one SMTP, IMAP or POP3 session with a mail server and reports what it saw.
/// Implemented on libcurl in HostwatchIO (`CurlMailTransport`); faked by `StubMailTransport` in
/// the test kit. A transport never throws: every problem is part of the session value, so the
/// check can judge it.
///
/// A session runs in three parts: the opening (connect, greeting, EHLO or CAPABILITY, STARTTLS
/// when asked for, and login when a user is given), then the request's `commands` in order,
/// stopping at the first refusal, then the closing command (`QUIT` or `LOGOUT`). Every wait is
/// bounded by the request's timeout.
public protocol MailTransport: Sendable {
    func perform(_ request: MailRequest) async -> MailSession
}

/// The three mail protocols a check speaks.
public enum MailProtocol: String, Sendable, Hashable, Codable {
    case smtp, imap, pop3

    /// `SMTP`, `IMAP`, `POP3`: how failure messages name the protocol.
    public var label: String { rawValue.uppercased() }

    /// The command that ends a session politely.
    public var closingCommand: String { self == .imap ? "LOGOUT" : "QUIT" }
}

/// How a mail connection uses TLS (DESIGN.md §8 `tls`).
public enum MailTLS: String, Sendable, Hashable, Codable, CaseIterable {
    /// TLS from the first byte (465, 993, 995).
    case implicit
    /// STARTTLS (or STLS) is required: a server that does not offer it fails the check.
    case starttls
    /// STARTTLS when the server offers it, plain text otherwise (port 25 between MTAs).
    case ifOffered = "if-offered"
    /// Plain text only.
    case off

    /// The default for a port: implicit on 465, 993 and 995, if-offered on 25, STARTTLS elsewhere.
    public static func `default`(port: Int) -> MailTLS {
        switch port {
        case 465, 993, 995: .implicit
        case 25: .ifOffered
        default: .starttls
        }
    }
}

/// One command the transport sends after the opening.
public struct MailCommand: Sendable, Hashable {
    /// What to send.
    public enum Kind: Sendable, Hashable {
        /// One command line, without the line break (and, for IMAP, without the tag: the
        /// transport tags it).
        case line(String)
        /// A message after SMTP `DATA` was answered 354: the transport ends lines with CRLF,
        /// dot-stuffs them and sends the final `.`. The transcript shows its size, not its text.
        case message(String)
    }

    public var kind: Kind
    /// When set, the command is sent again every `every` until a received line starts with
    /// `prefix` followed by more text (IMAP `* SEARCH 12`), or until `within` from the start of
    /// the session has passed; then the dialogue goes on with the next command.
    public var poll: Poll?

    /// A repeated command's stop condition.
    public struct Poll: Sendable, Hashable {
        public var prefix: String
        public var every: Duration
        public var within: Duration

        public init(prefix: String, every: Duration, within: Duration) {
            self.prefix = prefix
            self.every = every
            self.within = within
        }
    }

    public init(_ kind: Kind, poll: Poll? = nil) {
        self.kind = kind
        self.poll = poll
    }

    /// A command line.
    public static func line(_ text: String) -> MailCommand { MailCommand(.line(text)) }
}

/// One mail session to run.
public struct MailRequest: Sendable, Hashable {
    public var proto: MailProtocol
    /// The server's name: it goes in SNI, and the certificate must carry it. Never resolved.
    public var host: String
    /// The address to connect to instead of resolving `host`.
    public var address: String
    public var port: Int
    public var tls: MailTLS
    /// The name SMTP's EHLO announces.
    public var heloName: String
    /// The probe account; with it the opening logs in (SMTP AUTH, IMAP AUTHENTICATE or LOGIN,
    /// POP3 AUTH or USER/PASS).
    public var user: String?
    /// Where the password is. The transport reads it when the session starts, so the password
    /// never enters a value the checks hold, judge or record.
    public var passwordFile: String?
    public var commands: [MailCommand]
    /// Bounds the whole session, and every single wait in it.
    public var timeout: Duration
    /// The CA bundle; nil uses libcurl's default bundle.
    public var caFile: String?

    public init(proto: MailProtocol, host: String, address: String, port: Int, tls: MailTLS, heloName: String = "localhost",
                user: String? = nil, passwordFile: String? = nil, commands: [MailCommand] = [], timeout: Duration = .seconds(10),
                caFile: String? = nil) {
        self.proto = proto
        self.host = host
        self.address = address
        self.port = port
        self.tls = tls
        self.heloName = heloName
        self.user = user
        self.passwordFile = passwordFile
        self.commands = commands
        self.timeout = timeout
        self.caFile = caFile
    }

    /// `ADDRESS:PORT/smtp`: the endpoint connection-level failures belong to.
    public var endpoint: String {
        let host = address.contains(":") ? "[\(address)]" : address
        return "\(host):\(port)/\(proto.rawValue)"
    }
}

/// One line of a mail dialogue, as sent or received, with secrets already redacted.
public struct DialogueLine: Sendable, Hashable {
    public enum Direction: Sendable, Hashable {
        case sent
        case received
    }

    public var direction: Direction
    /// The line without its line break. Invalid UTF-8 from the server is shown as U+FFFD.
    public var text: String

    public init(_ direction: Direction, _ text: String) {
        self.direction = direction
        self.text = text
    }
}

/// What one mail session saw: the dialogue line by line, how it ended, and the certificate.
public struct MailSession: Sendable {
    /// Why the session ended before its closing reply, or nil when every step was answered
    /// (answers that refuse are judged by the check, not reported here).
    public var error: TransferError?
    /// The password file could not be read, so nothing was sent: `cannot read /etc/…: no such file`.
    public var credentialProblem: String?
    /// The protocol lines in order: greeting, commands, replies. Secrets are redacted.
    public var lines: [DialogueLine]
    public var certificate: CertificateFacts?
    public var timings: TransferTimings
    public var transcript: Transcript

    public init(error: TransferError? = nil, credentialProblem: String? = nil, lines: [DialogueLine] = [],
                certificate: CertificateFacts? = nil, timings: TransferTimings = TransferTimings(),
                transcript: Transcript = Transcript()) {
        self.error = error
        self.credentialProblem = credentialProblem
        self.lines = lines
        self.certificate = certificate
        self.timings = timings
        self.transcript = transcript
    }
}
