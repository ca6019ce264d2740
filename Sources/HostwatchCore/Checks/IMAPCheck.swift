import FoundationEssentials

/// Checks one IMAP port of a domain's mail server: 143 with STARTTLS or 993 with TLS from the
/// first byte, logging in with a probe account and opening the inbox read-only.
///
/// RFC 9051 (IMAP4rev2: §7.1 greeting, §6.2.1 STARTTLS, §6.2.2 AUTHENTICATE, §6.2.3 LOGIN,
/// §6.3.3 EXAMINE, §6.1.3 LOGOUT), RFC 4959 (SASL-IR), RFC 8314 (implicit TLS on 993).
///
/// Judged in protocol order on status words only: greeting `* OK`, CAPABILITY `OK`, STARTTLS
/// `OK`, AUTHENTICATE or LOGIN `OK`, `EXAMINE INBOX` `OK` (read-only: the check never changes the
/// mailbox), LOGOUT `OK`.
public struct IMAPCheck: Check {
    /// One `imap` entry of a domain file.
    public typealias Configuration = MailboxConfiguration

    public let id: CheckID
    public let configuration: Configuration
    public let request: MailRequest
    public let transport: any MailTransport

    public var timing: CheckTiming { configuration.timing }
    /// `ADDRESS:PORT/imap`.
    public var endpoint: String? { request.endpoint }

    public init(id: CheckID, configuration: Configuration, domain: String, serverAddress: String, transport: any MailTransport,
                passwordFile: String? = nil, caFile: String? = nil) {
        self.id = id
        self.configuration = configuration
        self.transport = transport
        request = MailRequest(proto: .imap, host: configuration.host ?? domain, address: configuration.address ?? serverAddress,
                              port: configuration.port, tls: configuration.tls, user: configuration.user,
                              passwordFile: passwordFile, commands: configuration.user == nil ? [] : [.line("EXAMINE INBOX")],
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
        let dialogue = MailDialogue(session.lines, proto: .imap)
        var parts = [request.tls == .implicit ? "TLS, greeting OK" : "greeting OK"]
        if dialogue.steps.contains(where: { $0.command?.uppercased() == "STARTTLS" }) { parts.append("STARTTLS OK") }
        if let user = request.user {
            parts.append("logged in as \(user)")
            let exists = dialogue.steps.first { $0.command?.uppercased() == "EXAMINE INBOX" }?.replies
                .first { $0.hasPrefix("* ") && $0.hasSuffix(" EXISTS") }
            parts.append("INBOX has \(exists.map { String($0.dropFirst(2).dropLast(7)) } ?? "?") messages")
        }
        parts.append("LOGOUT OK \(session.elapsedText)")
        return session.observation(check: check, endpoint: request.endpoint, now: now, failure: failure,
                                   summary: parts.joined(separator: ", "))
    }

    /// The failure in one session, judged in protocol order, or nil when it passed.
    public static func failure(of session: MailSession, request: MailRequest, now: Date, certWarningDays: Int) -> CheckFailure? {
        if let problem = session.credentialProblem {
            return CheckFailure(kind: .misconfigured, category: .emailDown, message: "IMAP: \(problem)")
        }
        let target = String(request.endpoint.split(separator: "/")[0])
        if let error = session.error, error.kind == .certificate { return session.certificateRejected(error, proto: .imap) }
        let dialogue = MailDialogue(session.lines, proto: .imap)

        // The greeting: `* OK` or `* PREAUTH`; `* BYE` turns us away (RFC 9051 §7.1.5).
        guard let greeting = dialogue.greeting, greeting.isAnswered else {
            let error = session.error ?? TransferError(kind: .protocolError, detail: "no greeting")
            return session.failure(error, at: dialogue.greeting, proto: .imap, target: target, timeout: request.timeout)
        }
        guard dialogue.accepted(greeting) else {
            return CheckFailure(kind: .unreachable, category: .emailDown,
                                message: "IMAP: the greeting was \"* \(MailDialogue.quote(greeting.status ?? ""))\"")
        }
        for step in dialogue.commands {
            guard step.isAnswered else {
                let error = session.error ?? TransferError(kind: .protocolError, detail: "no tagged reply")
                return session.failure(error, at: step, proto: .imap, target: target, timeout: request.timeout)
            }
            guard dialogue.accepted(step) else {
                return CheckFailure(kind: .protocolViolation, category: .emailDown,
                                    message: "IMAP: \(step.name) answered \"\(MailDialogue.quote(step.status ?? ""))\"")
            }
        }
        let sent = dialogue.commands.compactMap { $0.command?.split(separator: " ").first?.uppercased() }
        if request.tls == .starttls, !sent.contains("STARTTLS") {
            return CheckFailure(kind: .protocolViolation, category: .emailDown,
                                message: "IMAP: CAPABILITY does not offer STARTTLS, which this port requires")
        }
        if let error = session.error {
            return session.failure(error, at: dialogue.steps.last, proto: .imap, target: target, timeout: request.timeout)
        }
        if let user = request.user, !sent.contains("AUTHENTICATE"), !sent.contains("LOGIN") {
            return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "IMAP: cannot log in as \(user): no login was offered")
        }
        for case .line(let text) in request.commands.map(\.kind) {
            let verb = text.split(separator: " ").first?.uppercased() ?? text
            if !sent.contains(verb) {
                return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "IMAP: the session ended before \(text)")
            }
        }
        if sent.last != "LOGOUT" {
            return CheckFailure(kind: .protocolViolation, category: .emailDown, message: "IMAP: the session ended before LOGOUT")
        }
        return session.certificateExpiry(proto: .imap, now: now, warningDays: certWarningDays)
    }
}
