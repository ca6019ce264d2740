import CCurl
import FoundationEssentials
import HostwatchCore

/// SMTP, IMAP and POP3 through libcurl on the shared multi loop.
///
/// libcurl runs the opening with `CURLOPT_CONNECT_ONLY`: connect, greeting, EHLO or CAPABILITY
/// or CAPA, STARTTLS (`CURLOPT_USE_SSL`) and, with a user, the login (SASL when offered, else IMAP
/// LOGIN or POP3 USER/PASS). The rest of the session (`MailRequest.commands`, then QUIT or
/// LOGOUT) is a `CurlDialogue` the loop drives without blocking. As for HTTP, the server's name
/// is in the URL (SNI, certificate check) and the connection is pinned to the request's address
/// with `CURLOPT_CONNECT_TO`, so no name is ever resolved; SMTP's EHLO name is the URL's path.
///
/// With TLS, a server's certificate is examined on a full handshake when `certificates` has no
/// standing examination of it, and sessions are resumed in between, as for HTTPS.
public struct CurlMailTransport: MailTransport {
    public let loop: CurlMultiLoop
    /// Standing certificate examinations; nil examines every TLS session in full.
    public let certificates: CertificateMemory?

    public init(loop: CurlMultiLoop, certificates: CertificateMemory? = nil) {
        self.loop = loop
        self.certificates = certificates
    }

    public func perform(_ request: MailRequest) async -> MailSession {
        var password: String?
        if let file = request.passwordFile {
            do {
                // The factory already resolved the `*_file` value to a path.
                password = try SecretFile.read(file, configFolder: "/")
            } catch {
                return MailSession(credentialProblem: "cannot read the password file \(error.description)")
            }
        }
        let secret = password
        let plan = request.tls != .off ? certificates?.plan("\(Self.url(of: request)) via \(request.address)") : nil
        let (transfer, code) = await loop.perform { prepare(request, password: secret, verify: true, plan: plan) }
        var session = session(from: transfer, code: code)
        if let plan, let certificates {
            let settled = certificates.settle(plan, failed: session.error != nil, seen: session.certificate,
                                              resumption: transfer.tlsResumption)
            session.certificate = settled.facts
            if let note = settled.note { session.transcript.append(.note, note) }
        }
        if code == CURLE_PEER_FAILED_VERIFICATION {
            // A failed verification leaves no certificate info: look again without verifying and
            // without logging in, to report the dates and names in the ticket.
            var look = request
            look.user = nil
            look.commands = []
            let plain = look
            let (second, _) = await loop.perform { prepare(plain, password: nil, verify: false) }
            if let facts = CurlHTTPTransport.certificateFacts(second.certificateChain()) {
                session.certificate = facts
                session.certificate?.unverified = true
            }
        }
        return session
    }

    /// The session's URL: the scheme by protocol and TLS, the server's name, and for SMTP the
    /// EHLO name as the path.
    static func url(of request: MailRequest) -> String {
        let scheme = request.proto.rawValue + (request.tls == .implicit ? "s" : "")
        let path = request.proto == .smtp ? "/" + request.heloName : "/"
        return "\(scheme)://\(request.host):\(request.port)\(path)"
    }

    private func prepare(_ request: MailRequest, password: String?, verify: Bool, plan: CertificateMemory.Plan? = nil) -> CurlTransfer {
        let transfer = CurlTransfer()
        transfer.recordsDialogue = true
        transfer.set(CURLOPT_URL, Self.url(of: request))
        transfer.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps,imap,imaps,pop3,pop3s")
        let host = request.address.contains(":") ? "[\(request.address)]" : request.address
        transfer.set(CURLOPT_CONNECT_TO, list: ["::\(host):"])
        let ms = Int(max(1, request.timeout.milliseconds))
        transfer.set(CURLOPT_TIMEOUT_MS, ms)
        transfer.set(CURLOPT_CONNECTTIMEOUT_MS, ms)
        // In whole seconds in this libcurl; the transfer timeout above is the tighter bound.
        transfer.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, max(1, (ms + 999) / 1000))
        transfer.set(CURLOPT_FRESH_CONNECT, 1)
        transfer.set(CURLOPT_CONNECT_ONLY, 1)
        switch request.tls {
        case .starttls: transfer.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
        case .ifOffered: transfer.set(CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
        case .implicit, .off: transfer.set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
        }
        if request.tls != .off {
            transfer.useTLS(plan)
            if let ca = request.caFile { transfer.set(CURLOPT_CAINFO, ca) }
            transfer.set(CURLOPT_SSL_VERIFYPEER, verify ? 1 : 0)
            transfer.set(CURLOPT_SSL_VERIFYHOST, verify ? 2 : 0)
        }
        if let user = request.user, let password {
            transfer.set(CURLOPT_USERNAME, user)
            transfer.set(CURLOPT_PASSWORD, password)
            // The initial response on the AUTH line saves a round trip (RFC 4954 §4, RFC 4959).
            transfer.set(CURLOPT_SASL_IR, 1)
        }
        transfer.dialogue = CurlDialogue(proto: request.proto, commands: request.commands,
                                         deadline: transfer.madeAt + request.timeout)
        return transfer
    }

    private func session(from transfer: CurlTransfer, code: CURLcode) -> MailSession {
        var session = MailSession()
        if code != CURLE_OK { session.error = Self.transferError(code, transfer: transfer) }
        var timings = TransferTimings()
        timings.connect = .microseconds(transfer.info(offset: CURLINFO_CONNECT_TIME_T))
        timings.tls = .microseconds(transfer.info(offset: CURLINFO_APPCONNECT_TIME_T))
        timings.total = (transfer.finishedAt ?? transfer.madeAt) - transfer.madeAt
        session.timings = timings
        session.lines = transfer.dialogueLines
        session.certificate = CurlHTTPTransport.certificateFacts(transfer.certificateChain())
        var text = String(decoding: transfer.transcript, as: UTF8.self)
        if let error = session.error { text += "* hostwatch: session failed: \(error.detail)\n" }
        session.transcript = Transcript(recorded: text, droppedBytes: transfer.transcriptDropped, limit: transfer.transcriptLimit)
        return session
    }

    static func transferError(_ code: CURLcode, transfer: CurlTransfer) -> TransferError {
        let detail = transfer.errorText(code)
        switch code {
        case CURLE_LOGIN_DENIED, CURLE_USE_SSL_FAILED, CURLE_REMOTE_ACCESS_DENIED, CURLE_QUOTE_ERROR,
             CURLE_SEND_FAIL_REWIND, CURLE_UPLOAD_FAILED:
            // Refusals libcurl stopped at: the reply is in the dialogue and judged there.
            return TransferError(kind: .protocolError, detail: detail)
        default:
            return CurlHTTPTransport.transferError(code, transfer: transfer)
        }
    }
}
