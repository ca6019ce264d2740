import CCurl
import FoundationEssentials
import HostwatchCore

/// Ticket events as e-mail through an SMTP relay (libcurl: STARTTLS or implicit TLS and AUTH as
/// configured), to the helpdesk's intake address; critical tickets also to `oncall.email` (Cc).
///
/// Every event has its own Message-ID, derived from server, ticket and revision, so a resend
/// carries the same one (osTicket and Zammad drop the repeat; RT does not, hence the rt sink).
/// Follow-ups carry `In-Reply-To`/`References` to the first message, and the helpdesk's subject
/// tag (`helpdesk_tag`, e.g. `[example #123]`) once a ticket step shows it: RT threads replies
/// by that tag alone. Evidence goes as attachments of the message of the change that added it
/// (the first message, or the update when it was collected after filing). The reference
/// stored on the ticket is the first message's Message-ID.
public struct EmailTicketSink: TicketSink {
    let configuration: EmailSinkConfiguration
    let loop: CurlMultiLoop

    public init(_ configuration: EmailSinkConfiguration, loop: CurlMultiLoop) {
        self.configuration = configuration
        self.loop = loop
    }

    public func deliver(_ event: TicketEvent, known: ExternalReference?) async throws(TicketSinkError) -> ExternalReference {
        let message = self.message(for: event, known: known)
        let password = try configuration.password.map { reference throws(TicketSinkError) in try SinkSecret.read(reference) }
        let recipients = message.to + message.cc
        let bytes = message.rendered()
        let c = configuration
        let domain = EmailAddressText.domain(of: c.from)
        let (transfer, code) = await loop.perform {
            let transfer = CurlTransfer()
            transfer.set(CURLOPT_URL, c.smtp.hasSuffix("/") ? c.smtp + domain : c.smtp + "/" + domain)
            transfer.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
            let ms = Int(max(1, c.timeout.milliseconds))
            transfer.set(CURLOPT_TIMEOUT_MS, ms)
            transfer.set(CURLOPT_CONNECTTIMEOUT_MS, ms)
            switch c.tls {
            case .starttls: transfer.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
            case .ifOffered: transfer.set(CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
            case .implicit, .off: break
            }
            if let ca = c.caFile { transfer.set(CURLOPT_CAINFO, ca) }
            if let address = c.address {
                transfer.set(CURLOPT_CONNECT_TO, list: ["::\(address.contains(":") ? "[\(address)]" : address):"])
            }
            if let user = c.user, let password {
                transfer.set(CURLOPT_USERNAME, user)
                transfer.set(CURLOPT_PASSWORD, password)
            }
            transfer.set(CURLOPT_MAIL_FROM, "<\(c.from)>")
            transfer.set(CURLOPT_MAIL_RCPT, list: recipients.map { "<\($0)>" })
            transfer.setUpload(bytes)
            return transfer
        }
        guard code == CURLE_OK else { throw Self.failure(code, transfer: transfer) }
        return ExternalReference(firstMessageID(event, known: known))
    }

    /// The message for one event (public for tests and the README's example).
    public func message(for event: TicketEvent, known: ExternalReference?) -> EmailMessage {
        let t = event.ticket
        let domain = EmailAddressText.domain(of: configuration.from)
        var subject = TicketFormat.subject(event)
        if let tag = helpdeskTag(in: t) { subject = "\(tag) \(subject)" }
        if !configuration.subjectPrefix.isEmpty { subject = "\(configuration.subjectPrefix) \(subject)" }
        var message = EmailMessage(from: configuration.from, to: configuration.to, subject: subject, date: event.at,
                                   messageID: EmailMessage.messageID(server: t.server.name, ticketID: t.id, revision: event.revision, domain: domain),
                                   text: TicketFormat.body(event))
        message.replyTo = configuration.replyTo
        if t.severity == .critical { message.cc = configuration.oncall.filter { !configuration.to.contains($0) } }
        message.attachments = event.attachments
        if event.kind != .opened {
            let first = firstMessageID(event, known: known)
            message.inReplyTo = first
            message.references = [first]
        }
        message.extraHeaders = [("X-Hostwatch-Ticket", t.id), ("X-Hostwatch-Event", event.kind.rawValue),
                                ("X-Hostwatch-Severity", t.severity.rawValue)]
        return message
    }

    func firstMessageID(_ event: TicketEvent, known: ExternalReference?) -> String {
        if let known, !known.value.isEmpty { return known.value }
        let domain = EmailAddressText.domain(of: configuration.from)
        // The opened event is revision 1 of every ticket made since revisions exist.
        let first = event.kind == .opened ? event.revision : 1
        return EmailMessage.messageID(server: event.ticket.server.name, ticketID: event.ticketID, revision: first, domain: domain)
    }

    /// The helpdesk's tag, when a step of the ticket shows it (a responder's note, a reply).
    func helpdeskTag(in ticket: Ticket) -> String? {
        guard let pattern = configuration.helpdeskTag, let regex = try? Regex(pattern) else { return nil }
        for step in ticket.steps {
            if let match = step.text.firstMatch(of: regex) { return String(step.text[match.range]) }
        }
        return nil
    }

    static func failure(_ code: CURLcode, transfer: CurlTransfer) -> TicketSinkError {
        var text = transfer.errorText(code)
        // The relay's words, from the (redacted) transcript: its last refusal ("554 5.7.1 …
        // Relay access denied") rather than the "221 Bye" that follows it.
        let replies = String(decoding: transfer.transcript, as: UTF8.self).split(separator: "\n")
            .filter { $0.hasPrefix("< ") && $0.dropFirst(2).first?.isNumber == true }.map { $0.dropFirst(2) }
        let refusal = replies.last { $0.first == "4" || $0.first == "5" }
        if let said = refusal ?? replies.last { text += " (the relay said: \(said))" }
        if refusal != nil || transfer.info(CURLINFO_RESPONSE_CODE) >= 400 {
            return code == CURLE_LOGIN_DENIED ? .rejected("the relay refused the login: \(text)") : .rejected(text)
        }
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT, CURLE_SSL_CONNECT_ERROR,
             CURLE_PEER_FAILED_VERIFICATION, CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_USE_SSL_FAILED:
            return .unreachable(text)
        case CURLE_LOGIN_DENIED:
            return .rejected("the relay refused the login: \(text)")
        default:
            return .rejected(text)
        }
    }
}
