import FoundationEssentials

/// Sends a message with a unique token through SMTP to a probe mailbox, waits for it to appear
/// over IMAP within a deadline, and deletes it: the one check that sees mail accepted but never
/// arriving (a full disk, a broken delivery agent, an unwritable mailbox).
///
/// RFC 5321 (MAIL, RCPT, DATA; §4.5.2 dot-stuffing), RFC 5322 (the message), RFC 9051
/// (§6.4.4 UID SEARCH HEADER, §6.4.6 STORE, §6.4.3 EXPUNGE).
///
/// Three sessions, judged in order: SMTP (MAIL FROM 250, RCPT TO 250, DATA 354, end of data 250,
/// QUIT 221); IMAP, polling `UID SEARCH HEADER X-Hostwatch-Token <token>` until the message is
/// there or `within` has passed; IMAP again to delete what was found.
public struct MailRoundTripCheck: Check {
    /// The `mail_roundtrip` entry of a domain file.
    public struct Configuration: Sendable, Hashable {
        /// The probe mailbox's address.
        public var to: String
        /// The envelope and header sender; nil means `to`.
        public var from: String?
        /// The IMAP login of the probe mailbox.
        public var imapUser: String
        /// The file with its password, as configured.
        public var passwordFile: String
        /// How long delivery may take.
        public var within: Duration
        public var smtpPort: Int
        public var imapPort: Int
        /// Where to connect; nil means `server.address`.
        public var address: String?
        /// The server's name for SNI and certificates; nil means the domain.
        public var host: String?
        public var timing: CheckTiming

        public init(to: String, from: String? = nil, imapUser: String, passwordFile: String, within: Duration = .seconds(120),
                    smtpPort: Int = 25, imapPort: Int = 993, address: String? = nil, host: String? = nil,
                    timing: CheckTiming = CheckTiming()) {
            self.to = to
            self.from = from
            self.imapUser = imapUser
            self.passwordFile = passwordFile
            self.within = within
            self.smtpPort = smtpPort
            self.imapPort = imapPort
            self.address = address
            self.host = host
            self.timing = timing
        }
    }

    /// How often the IMAP session searches again while waiting.
    public static let pollEvery = Duration.milliseconds(500)
    /// The header that carries the token.
    public static let tokenHeader = "X-Hostwatch-Token"

    public let id: CheckID
    public let configuration: Configuration
    public let send: MailRequest
    public let search: MailRequest
    public let transport: any MailTransport
    /// A fresh unique token per run (`hostwatch-…`), made outside the core.
    public let makeToken: @Sendable () -> String

    public var timing: CheckTiming { configuration.timing }

    public init(id: CheckID, configuration: Configuration, domain: String, serverAddress: String, serverName: String,
                transport: any MailTransport, passwordFile: String? = nil, caFile: String? = nil,
                makeToken: @escaping @Sendable () -> String) {
        self.id = id
        self.configuration = configuration
        self.transport = transport
        self.makeToken = makeToken
        let host = configuration.host ?? domain
        let address = configuration.address ?? serverAddress
        send = MailRequest(proto: .smtp, host: host, address: address, port: configuration.smtpPort,
                           tls: .default(port: configuration.smtpPort), heloName: serverName,
                           timeout: configuration.timing.timeout, caFile: caFile)
        search = MailRequest(proto: .imap, host: host, address: address, port: configuration.imapPort,
                             tls: .default(port: configuration.imapPort), user: configuration.imapUser,
                             passwordFile: passwordFile ?? configuration.passwordFile,
                             timeout: configuration.timing.timeout + configuration.within, caFile: caFile)
    }

    /// The message sent: short, plain, and saying what it is to anyone who finds it.
    public static func message(from: String, to: String, token: String, date: Date) -> String {
        """
        From: <\(from)>
        To: <\(to)>
        Subject: hostwatch mail round trip \(token)
        Date: \(RFC5322Date.format(date))
        Message-ID: <\(token)@hostwatch.invalid>
        \(tokenHeader): \(token)

        This message tests that mail to this mailbox is delivered.
        hostwatch deletes it as soon as it has arrived.
        """
    }

    public func run(now: Date) async -> Observation {
        let token = makeToken()
        let from = configuration.from ?? configuration.to
        var send = self.send
        send.commands = [.line("MAIL FROM:<\(from)>"), .line("RCPT TO:<\(configuration.to)>"), .line("DATA"),
                         MailCommand(.message(Self.message(from: from, to: configuration.to, token: token, date: now)))]
        let sent = Exchange(request: send, session: await transport.perform(send))
        guard SMTPCheck.failure(of: sent.session, request: send, relayProbe: nil, now: now, certWarningDays: 0) == nil else {
            return Self.judge(sent: sent, found: nil, deleted: nil, check: id, configuration: configuration, token: token, now: now)
        }
        var search = self.search
        search.commands = [.line("EXAMINE INBOX"),
                           MailCommand(.line("UID SEARCH HEADER \(Self.tokenHeader) \(token)"),
                                       poll: .init(prefix: "* SEARCH ", every: Self.pollEvery, within: configuration.within))]
        let found = Exchange(request: search, session: await transport.perform(search))
        let uids = Self.uids(in: found.session)
        var deleted: Exchange?
        if !uids.isEmpty {
            var delete = self.search
            delete.timeout = configuration.timing.timeout
            delete.commands = [.line("SELECT INBOX"), .line("UID STORE \(uids.joined(separator: ",")) +FLAGS.SILENT (\\Deleted)"),
                               .line("EXPUNGE")]
            deleted = Exchange(request: delete, session: await transport.perform(delete))
        }
        return Self.judge(sent: sent, found: found, deleted: deleted, check: id, configuration: configuration, token: token, now: now)
    }

    /// One session with the request that produced it.
    public struct Exchange: Sendable {
        public var request: MailRequest
        public var session: MailSession

        public init(request: MailRequest, session: MailSession) {
            self.request = request
            self.session = session
        }
    }

    /// The UIDs in the last `* SEARCH` reply.
    static func uids(in session: MailSession) -> [String] {
        guard let line = MailDialogue(session.lines, proto: .imap).lastReply(startingWith: "* SEARCH ") else { return [] }
        return line.dropFirst("* SEARCH ".count).split(separator: " ").filter { $0.allSatisfy(\.isNumber) }.map(String.init)
    }

    /// The verdict on the three sessions (the later ones nil when they did not run): pure.
    public static func judge(sent: Exchange, found: Exchange?, deleted: Exchange?, check: CheckID,
                             configuration: Configuration, token: String, now: Date) -> Observation {
        let all = [sent] + [found, deleted].compactMap { $0 }
        var observation = sent.session.observation(check: check, endpoint: sent.request.endpoint, now: now, failure: nil, summary: "")
        observation.transcript = Transcript(recorded: all.map(\.session.transcript.rendered).joined())
        observation.duration = all.reduce(.zero) { $0 + $1.session.timings.total }

        func fail(_ failure: CheckFailure, prefix: String, at exchange: Exchange) -> Observation {
            var failure = failure
            failure.message = prefix + failure.message
            var failed = observation
            failed.outcome = .failed(failure)
            failed.summary = failure.message
            failed.endpoint = exchange.request.endpoint
            return failed
        }
        if let failure = SMTPCheck.failure(of: sent.session, request: sent.request, relayProbe: nil, now: now, certWarningDays: 0) {
            return fail(failure, prefix: "Round trip: ", at: sent)
        }
        let acceptedAt = now.addingTimeInterval(sent.session.timings.total.timeInterval)
        guard let found else {
            return fail(CheckFailure(kind: .protocolViolation, category: .emailDown, message: "the IMAP search did not run"),
                        prefix: "Round trip: ", at: sent)
        }
        if let failure = IMAPCheck.failure(of: found.session, request: found.request, now: now, certWarningDays: 0) {
            return fail(failure, prefix: "Round trip: accepted at \(clockTime(acceptedAt)), then ", at: found)
        }
        if uids(in: found.session).isEmpty {
            let failure = CheckFailure(kind: .protocolViolation, category: .emailDown,
                                       message: "accepted at \(clockTime(acceptedAt)), not delivered to \(configuration.to) within "
                                           + "\(DurationText.format(configuration.within)) (token \(token))")
            return fail(failure, prefix: "Round trip: ", at: found)
        }
        if let deleted, let failure = IMAPCheck.failure(of: deleted.session, request: deleted.request, now: now, certWarningDays: 0) {
            return fail(failure, prefix: "Round trip: delivered, but deleting the test message failed: ", at: deleted)
        }
        let took = (sent.session.timings.total + found.session.timings.total).timeInterval
        observation.summary = "accepted at \(clockTime(acceptedAt)), delivered to \(configuration.to) and found within "
            + "\(Observation.formatMilliseconds(took * 1000)) ms, deleted"
        return observation
    }

    /// `10:02:11 UTC`.
    static func clockTime(_ date: Date) -> String {
        let text = RFC3339.format(date)
        let start = text.index(text.startIndex, offsetBy: 11)
        return String(text[start..<text.index(start, offsetBy: 8)]) + " UTC"
    }
}
