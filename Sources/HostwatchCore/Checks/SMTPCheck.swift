import FoundationEssentials

/// Checks one SMTP port of a domain's mail server: 25 (MTA to MTA, STARTTLS if offered), 587
/// (submission, STARTTLS required, optional AUTH) or 465 (TLS from the first byte).
///
/// RFC 5321 (§3.1 greeting, §4.1.1 EHLO, MAIL, RCPT, RSET, QUIT; §4.2 reply codes), RFC 3207
/// (STARTTLS, and EHLO again after it), RFC 4954 (AUTH), RFC 8314 (implicit TLS on 465).
/// Certificate names per RFC 6125.
///
/// Judged in protocol order, on reply codes only (never banner wording): greeting 220, EHLO 250,
/// STARTTLS 220, EHLO 250, AUTH 235, and for the open-relay test MAIL FROM 250 then RCPT TO,
/// which must be refused; then QUIT 221. The relay test never sends DATA: after the RCPT it
/// resets and quits.
public struct SMTPCheck: Check {
    /// One `smtp` entry of a domain file.
    public struct Configuration: Sendable, Hashable {
        public var port: Int
        public var tls: MailTLS
        /// Where to connect; nil means `server.address`.
        public var address: String?
        /// The name the server's certificate must carry (and SNI); nil means the domain.
        public var host: String?
        /// The name announced in EHLO; nil means the server's name.
        public var helo: String?
        /// A probe account for AUTH (submission).
        public var user: String?
        /// The file with the probe account's password, as configured (resolved when the check is built).
        public var passwordFile: String?
        /// Opt-in open-relay test (RCPT TO an outside address without AUTH must be refused).
        public var relayTest: Bool
        public var certWarningDays: Int
        public var timing: CheckTiming

        public init(port: Int = 25, tls: MailTLS? = nil, address: String? = nil, host: String? = nil, helo: String? = nil,
                    user: String? = nil, passwordFile: String? = nil, relayTest: Bool = false, certWarningDays: Int = 14,
                    timing: CheckTiming = CheckTiming()) {
            self.port = port
            self.tls = tls ?? .default(port: port)
            self.address = address
            self.host = host
            self.helo = helo
            self.user = user
            self.passwordFile = passwordFile
            self.relayTest = relayTest
            self.certWarningDays = certWarningDays
            self.timing = timing
        }
    }

    /// The sender and recipient of the open-relay test: both outside every hosted domain.
    public struct RelayProbe: Sendable, Hashable {
        public var from: String
        public var to: String

        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }

        /// Addresses in reserved example domains (RFC 2606), skipping any this server hosts.
        public static func avoiding(_ hosted: Set<String>) -> RelayProbe {
            let outside = ["example.com", "example.net", "example.edu", "example.org", "relay-test.invalid", "relay-probe.invalid"]
                .filter { !hosted.contains($0) }
            return RelayProbe(from: "hostwatch-relay-test@\(outside[0])", to: "hostwatch-relay-test@\(outside[1])")
        }
    }

    public let id: CheckID
    public let configuration: Configuration
    public let request: MailRequest
    public let relayProbe: RelayProbe?
    public let transport: any MailTransport

    public var timing: CheckTiming { configuration.timing }
    /// `ADDRESS:PORT/smtp`.
    public var endpoint: String? { request.endpoint }

    /// - Parameters:
    ///   - passwordFile: the configured password file resolved to a path (the factory looks in
    ///     `$CREDENTIALS_DIRECTORY` and the config folder).
    ///   - hosted: every domain this agent watches, so the relay test's addresses avoid them.
    public init(id: CheckID, configuration: Configuration, domain: String, serverAddress: String, serverName: String,
                transport: any MailTransport, passwordFile: String? = nil, hosted: Set<String> = [], caFile: String? = nil) {
        self.id = id
        self.configuration = configuration
        self.transport = transport
        let relayProbe = configuration.relayTest ? RelayProbe.avoiding(hosted.union([domain.lowercased()])) : nil
        self.relayProbe = relayProbe
        var commands: [MailCommand] = []
        if let relayProbe {
            commands = [.line("MAIL FROM:<\(relayProbe.from)>"), .line("RCPT TO:<\(relayProbe.to)>"), .line("RSET")]
        }
        request = MailRequest(proto: .smtp, host: configuration.host ?? domain, address: configuration.address ?? serverAddress,
                              port: configuration.port, tls: configuration.tls, heloName: configuration.helo ?? serverName,
                              user: configuration.user, passwordFile: passwordFile, commands: commands,
                              timeout: configuration.timing.timeout, caFile: caFile)
    }

    public func run(now: Date) async -> Observation {
        let session = await transport.perform(request)
        return Self.judge(session, check: id, request: request, configuration: configuration, relayProbe: relayProbe, now: now)
    }

    /// The verdict on one session: a pure function of what the transport measured.
    public static func judge(_ session: MailSession, check: CheckID, request: MailRequest, configuration: Configuration,
                             relayProbe: RelayProbe?, now: Date) -> Observation {
        let failure = failure(of: session, request: request, relayProbe: relayProbe, now: now,
                              certWarningDays: configuration.certWarningDays)
        var summary = "220 greeting, EHLO 250"
        let dialogue = MailDialogue(session.lines, proto: .smtp)
        if dialogue.steps.contains(where: { $0.command?.uppercased() == "STARTTLS" }) { summary += ", STARTTLS 220" }
        if request.tls == .implicit { summary = "TLS, " + summary }
        if request.user != nil { summary += ", AUTH 235" }
        if relayProbe != nil { summary += ", relay refused" }
        summary += ", QUIT 221 \(session.elapsedText)"
        return session.observation(check: check, endpoint: request.endpoint, now: now, failure: failure, summary: summary)
    }

    /// The failure in one session, judged in protocol order, or nil when it passed.
    public static func failure(of session: MailSession, request: MailRequest, relayProbe: RelayProbe?, now: Date,
                        certWarningDays: Int) -> CheckFailure? {
        if let problem = session.credentialProblem {
            return CheckFailure(kind: .misconfigured, category: .emailDown, message: "SMTP: \(problem)")
        }
        let target = String(request.endpoint.split(separator: "/")[0])
        if let error = session.error, error.kind == .certificate { return session.certificateRejected(error, proto: .smtp) }
        let dialogue = MailDialogue(session.lines, proto: .smtp)

        // The greeting: 220, or the server turns us away (RFC 5321 §3.1: 554) — an endpoint failure.
        guard let greeting = dialogue.greeting, greeting.isAnswered else {
            let error = session.error ?? TransferError(kind: .protocolError, detail: "no greeting")
            return session.failure(error, at: dialogue.greeting, proto: .smtp, target: target, timeout: request.timeout)
        }
        guard let greetingCode = MailDialogue.smtpCode(greeting.status ?? ""), greetingCode == 220 else {
            return CheckFailure(kind: .unreachable, category: .emailDown,
                                message: "SMTP: the greeting was \(MailDialogue.quote(greeting.status ?? ""))")
        }

        for step in dialogue.commands {
            guard step.isAnswered else {
                let error = session.error ?? TransferError(kind: .protocolError, detail: "no reply")
                return session.failure(error, at: step, proto: .smtp, target: target, timeout: request.timeout)
            }
            let status = MailDialogue.quote(step.status ?? "")
            let verb = step.command?.split(separator: " ").first?.uppercased() ?? ""
            if verb == "RCPT", let relayProbe {
                if dialogue.accepted(step) {
                    return CheckFailure(kind: .protocolViolation, category: .security, severity: .critical,
                                        message: "SMTP: open relay: RCPT TO:<\(relayProbe.to)> from MAIL FROM:<\(relayProbe.from)> "
                                            + "without AUTH answered \(status)")
                }
                // Refused (5xx, or 4xx) is what a closed relay says; the dialogue stops here.
                continue
            }
            guard dialogue.accepted(step) else {
                if verb == "MAIL", relayProbe != nil {
                    // A server refusing the outside sender cannot relay for it: the relay test passes.
                    continue
                }
                return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "SMTP: \(step.name) answered \(status)")
            }
        }

        // What must have happened, in order: STARTTLS when required, AUTH when a user is set, QUIT.
        let capabilities = dialogue.ehloCapabilities
        let sent = dialogue.commands.compactMap { $0.command?.split(separator: " ").first?.uppercased() }
        if request.tls == .starttls, !sent.contains("STARTTLS") {
            return CheckFailure(kind: .protocolViolation, category: .emailDown,
                                message: "SMTP: EHLO does not offer STARTTLS, which this port requires")
        }
        if let error = session.error {
            return session.failure(error, at: dialogue.steps.last, proto: .smtp, target: target, timeout: request.timeout)
        }
        if request.tls == .ifOffered, capabilities.contains("STARTTLS"), !sent.contains("STARTTLS") {
            return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "SMTP: STARTTLS offered but not used")
        }
        if let user = request.user, !sent.contains("AUTH") {
            let offered = capabilities.first { $0.hasPrefix("AUTH") }
            return CheckFailure(kind: .protocolViolation, category: .emailDown,
                                message: "SMTP: cannot log in as \(user): EHLO offers "
                                    + (offered.map { "\"\(MailDialogue.quote($0))\"" } ?? "no AUTH"))
        }
        if sent.last != "QUIT" {
            return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "SMTP: the session ended before QUIT")
        }
        return session.certificateExpiry(proto: .smtp, now: now, warningDays: certWarningDays)
    }
}
