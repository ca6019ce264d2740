import FoundationEssentials

/// Checks one POP3 port of a domain's mail server: 110 with STLS or 995 with TLS from the first
/// byte, logging in with a probe account and asking for the mailbox size.
///
/// RFC 1939 (POP3: §4 greeting, §5 STAT, §6 QUIT; USER/PASS), RFC 2595 §4 (STLS), RFC 2449
/// (CAPA), RFC 5034 (AUTH), RFC 8314 (implicit TLS on 995).
///
/// Judged in protocol order on status indicators only: greeting `+OK`, CAPA, STLS, AUTH or
/// USER/PASS, STAT and QUIT each `+OK`; `-ERR` at any step fails the check with the server's words.
public struct POP3Check: Check {
    /// One `pop3` entry of a domain file.
    public typealias Configuration = MailboxConfiguration

    public let id: CheckID
    public let configuration: Configuration
    public let request: MailRequest
    public let transport: any MailTransport

    public var timing: CheckTiming { configuration.timing }
    /// `ADDRESS:PORT/pop3`.
    public var endpoint: String? { request.endpoint }

    public init(id: CheckID, configuration: Configuration, domain: String, serverAddress: String, transport: any MailTransport,
                passwordFile: String? = nil, caFile: String? = nil) {
        self.id = id
        self.configuration = configuration
        self.transport = transport
        request = MailRequest(proto: .pop3, host: configuration.host ?? domain, address: configuration.address ?? serverAddress,
                              port: configuration.port, tls: configuration.tls, user: configuration.user,
                              passwordFile: passwordFile, commands: configuration.user == nil ? [] : [.line("STAT")],
                              timeout: configuration.timing.timeout, caFile: caFile)
    }

    public func run(now: Date) async -> Observation {
        let session = await transport.perform(request)
        return Self.judge(session, check: id, request: request, certWarningDays: configuration.certWarningDays, now: now)
    }

    /// The verdict on one session: a pure function of what the transport measured.
    public static func judge(_ session: MailSession, check: CheckID, request: MailRequest, certWarningDays: Int,
                             now: Date) -> Observation {
        let failure = failure(of: session, request: request, now: now, certWarningDays: certWarningDays)
        let dialogue = MailDialogue(session.lines, proto: .pop3)
        var parts = [request.tls == .implicit ? "TLS, greeting +OK" : "greeting +OK"]
        if dialogue.steps.contains(where: { $0.command?.uppercased() == "STLS" }) { parts.append("STLS +OK") }
        if let user = request.user {
            parts.append("logged in as \(user)")
            if let stat = dialogue.steps.first(where: { $0.command?.uppercased() == "STAT" })?.status {
                parts.append("STAT \(MailDialogue.quote(stat, limit: 60))")
            }
        }
        parts.append("QUIT +OK \(session.elapsedText)")
        return session.observation(check: check, endpoint: request.endpoint, now: now, failure: failure,
                                   summary: parts.joined(separator: ", "))
    }

    /// The failure in one session, judged in protocol order, or nil when it passed.
    public static func failure(of session: MailSession, request: MailRequest, now: Date, certWarningDays: Int) -> CheckFailure? {
        if let problem = session.credentialProblem {
            return CheckFailure(kind: .misconfigured, category: .emailDown, message: "POP3: \(problem)")
        }
        let target = String(request.endpoint.split(separator: "/")[0])
        if let error = session.error, error.kind == .certificate { return session.certificateRejected(error, proto: .pop3) }
        let dialogue = MailDialogue(session.lines, proto: .pop3)

        guard let greeting = dialogue.greeting, greeting.isAnswered else {
            let error = session.error ?? TransferError(kind: .protocolError, detail: "no greeting")
            return session.failure(error, at: dialogue.greeting, proto: .pop3, target: target, timeout: request.timeout)
        }
        guard dialogue.accepted(greeting) else {
            return CheckFailure(kind: .unreachable, category: .emailDown,
                                message: "POP3: the greeting was \"\(MailDialogue.quote(greeting.status ?? ""))\"")
        }
        for step in dialogue.commands {
            guard step.isAnswered else {
                let error = session.error ?? TransferError(kind: .protocolError, detail: "no status line")
                return session.failure(error, at: step, proto: .pop3, target: target, timeout: request.timeout)
            }
            guard dialogue.accepted(step) else {
                return CheckFailure(kind: .protocolViolation, category: .emailDown,
                                    message: "POP3: \(step.name) answered \"\(MailDialogue.quote(step.status ?? ""))\"")
            }
        }
        let sent = dialogue.commands.compactMap { $0.command?.split(separator: " ").first?.uppercased() }
        if request.tls == .starttls, !sent.contains("STLS") {
            return CheckFailure(kind: .protocolViolation, category: .emailDown,
                                message: "POP3: CAPA does not offer STLS, which this port requires")
        }
        if let error = session.error {
            return session.failure(error, at: dialogue.steps.last, proto: .pop3, target: target, timeout: request.timeout)
        }
        if let user = request.user, !sent.contains("AUTH"), !sent.contains("PASS"), !sent.contains("APOP") {
            return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "POP3: cannot log in as \(user): no login was offered")
        }
        for case .line(let text) in request.commands.map(\.kind) {
            let verb = text.split(separator: " ").first?.uppercased() ?? text
            if !sent.contains(verb) {
                return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "POP3: the session ended before \(text)")
            }
        }
        if sent.last != "QUIT" {
            return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "POP3: the session ended before QUIT")
        }
        return session.certificateExpiry(proto: .pop3, now: now, warningDays: certWarningDays)
    }
}
