import FoundationEssentials

/// Checks one web site over HTTP or HTTPS (RFC 9110 semantics, RFC 9112 framing; certificate
/// names per RFC 6125).
///
/// The site is reached at the configured address with the domain's name in SNI and Host, so the
/// result says what *this* server serves. Judged in order: the transfer, the certificate, the
/// status, the forbidden text, the expected text. A certificate problem is the domain's own
/// failure (category security or certificate), never the endpoint's.
public struct HTTPCheck: Check {
    /// One `web` entry of a domain file.
    public struct Configuration: Sendable, Hashable {
        public var url: String
        /// Where to connect; nil means `server.address`.
        public var address: String?
        /// Accepted status codes; empty accepts any 2xx or 3xx, as Monit does.
        public var expectStatus: [Int]
        public var contains: String?
        public var forbids: [String]
        public var certWarningDays: Int
        public var timing: CheckTiming
        /// What the web server passes the site to (`unix:/run/php/php8.2-fpm.sock`,
        /// `127.0.0.1:9000`), as discovery read it from `fastcgi_pass`, `proxy_pass` or Apache's
        /// `proxy:`: most sites of one upstream answering 502/503/504 is one incident.
        public var upstream: String?

        public init(url: String, address: String? = nil, expectStatus: [Int] = [], contains: String? = nil,
                    forbids: [String] = [], certWarningDays: Int = 14, timing: CheckTiming = CheckTiming(),
                    upstream: String? = nil) {
            self.upstream = upstream
            self.url = url
            self.address = address
            self.expectStatus = expectStatus
            self.contains = contains
            self.forbids = forbids
            self.certWarningDays = certWarningDays
            self.timing = timing
        }
    }

    public let id: CheckID
    public let configuration: Configuration
    /// The address to connect to (the check's own `address`, else the server's).
    public let address: String
    public let transport: any HTTPTransport
    public let caFile: String?
    public let keepBodyBytes: Int
    /// Whether a passing run's observation carries its transcript (`hostwatch check` shows it;
    /// the running agent keeps only a failing run's).
    public let transcribesPassingRuns: Bool

    public var timing: CheckTiming { configuration.timing }

    public init(id: CheckID, configuration: Configuration, serverAddress: String, transport: any HTTPTransport,
                caFile: String? = nil, keepBodyBytes: Int = 1024, transcribesPassingRuns: Bool = true) {
        self.id = id
        self.transcribesPassingRuns = transcribesPassingRuns
        self.configuration = configuration
        self.address = configuration.address ?? serverAddress
        self.transport = transport
        self.caFile = caFile
        self.keepBodyBytes = keepBodyBytes
        let target = URLParts(configuration.url)
        let host = address.contains(":") ? "[\(address)]" : address
        endpointText = SharedText.one("\(host):\(target.port)/\(target.scheme)")
    }

    /// `ADDRESS:PORT/http` or `/https`, from the URL's scheme and port.
    public var endpoint: String? { endpointText }
    /// How much of the body is read when text is looked for in it.
    public static let textSearchBytes = 1 << 20
    private let endpointText: String

    public func run(now: Date) async -> Observation {
        // The body is read as far as the check needs it: up to 1 MiB when text must be found in
        // it (or must not be), else only the part the ticket keeps. A check of the status alone
        // does not pull a 2 MB page through every minute, nor hold a megabyte for each hostile
        // server that streams forever.
        let needsText = configuration.contains != nil || !configuration.forbids.isEmpty
        let request = HTTPRequest(url: configuration.url, connectAddress: address, timeout: timing.timeout,
                                  caFile: caFile, keepBodyBytes: keepBodyBytes,
                                  readBodyBytes: needsText ? Self.textSearchBytes : keepBodyBytes)
        let response = await transport.perform(request)
        return Self.judge(response, check: id, configuration: configuration, endpoint: endpointText, now: now,
                          transcribe: transcribesPassingRuns)
    }

    /// The verdict on one response: a pure function of what the transport measured. Without
    /// `transcribe` a passing run's transcript is empty (a failing run's is always written out).
    public static func judge(_ response: HTTPResponse, check: CheckID, configuration: Configuration,
                             endpoint: String, now: Date, transcribe: Bool = true) -> Observation {
        let timings: [(name: String, milliseconds: Double)] = [
            ("dns", response.timings.nameLookup), ("connect", response.timings.connect), ("tls", response.timings.tls),
            ("first_byte", response.timings.firstByte), ("total", response.timings.total),
        ].filter { $0.0 != "tls" || endpoint.hasSuffix("/https") }
            .map { (name: $0.0, milliseconds: $0.1.timeInterval * 1000) }
        var observation = Observation(check: check, endpoint: endpoint, startedAt: now, duration: response.timings.total,
                                      outcome: .ok, summary: "", timings: timings,
                                      certificateExpiry: response.certificate?.notAfter)
        if let failure = failure(of: response, configuration: configuration, endpoint: endpoint, now: now) {
            observation.outcome = .failed(failure)
            observation.summary = failure.message
            observation.transcript = response.transcript
        } else {
            if transcribe { observation.transcript = response.transcript }
            let ms = Observation.formatMilliseconds(response.timings.total.timeInterval * 1000)
            observation.summary = "\(response.status.map(String.init) ?? "?") \(MailDialogue.quote(response.reason, limit: 120)) in \(ms) ms"
        }
        return observation
    }

    static func failure(of response: HTTPResponse, configuration: Configuration, endpoint: String, now: Date) -> CheckFailure? {
        let target = endpoint.split(separator: "/").first.map(String.init) ?? endpoint
        if let error = response.error {
            return transferFailure(error, certificate: response.certificate, target: target, timeout: configuration.timing.timeout)
        }
        if let expiry = response.certificate?.notAfter {
            if expiry <= now {
                return CheckFailure(kind: .certificate, category: .security,
                                    message: "HTTPS: certificate expired on \(RFC3339.format(expiry))")
            }
            let days = Int(expiry.timeIntervalSince(now) / 86_400)
            if days < configuration.certWarningDays {
                var failure = CheckFailure(kind: .certificate, category: .certificate,
                                           message: "HTTPS: certificate expires in \(days) days, on \(RFC3339.format(expiry))")
                failure.daysLeft = days
                return failure
            }
        }
        guard let status = response.status else {
            return CheckFailure(kind: .protocolViolation, category: .siteOffline, message: "HTTP: no status line in the response")
        }
        let accepted = configuration.expectStatus.isEmpty ? (200..<400).contains(status) : configuration.expectStatus.contains(status)
        if !accepted {
            let expected = configuration.expectStatus.isEmpty ? "2xx or 3xx"
                : configuration.expectStatus.map(String.init).joined(separator: " or ")
            // The reason phrase is the server's own words: quoted, as a hostile server may send anything.
            let got = response.reason.isEmpty ? "\(status)" : "\(status) \(MailDialogue.quote(response.reason, limit: 120))"
            // A 5xx from a site whose endpoint otherwise answers is the application's fault
            // (a PHP error, a dead upstream of that one site); the tracker makes one upstream
            // incident when most sites of one upstream answer 502/503/504 (`httpStatus`).
            var failure = CheckFailure(kind: .protocolViolation, category: .siteOffline, cause: .application,
                                       message: "HTTP: expected status \(expected), got \(got)")
            failure.httpStatus = status
            return failure
        }
        let bodyNote = response.bodyTruncated ? " (first \(response.body.count) bytes read)" : ""
        for forbidden in configuration.forbids where ByteSearch.contains(response.body, forbidden) {
            return CheckFailure(kind: .protocolViolation, category: .security, cause: .application,
                                message: "HTTP: forbidden text \"\(forbidden)\" found in the body\(bodyNote)")
        }
        if let wanted = configuration.contains, !ByteSearch.contains(response.body, wanted) {
            return CheckFailure(kind: .protocolViolation, category: .siteOffline, cause: .application,
                                message: "HTTP: expected text \"\(wanted)\" not found in the body\(bodyNote)")
        }
        return nil
    }

    static func transferFailure(_ error: TransferError, certificate: CertificateFacts?, target: String,
                                timeout: Duration) -> CheckFailure {
        switch error.kind {
        case .refused:
            return CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: connect to \(target) refused")
        case .unreachable:
            return CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: cannot reach \(target): \(error.detail)")
        case .timeout:
            return CheckFailure(kind: .timeout, category: .siteOffline,
                                message: "HTTP: no answer from \(target) within \(DurationText.format(timeout)) (\(error.detail))")
        case .tlsHandshake:
            return CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTPS: TLS handshake with \(target) failed: \(error.detail)")
        case .certificate:
            var message = "HTTPS: certificate rejected: \(error.detail)"
            if let notAfter = certificate?.notAfter { message += "; valid until \(RFC3339.format(notAfter))" }
            if let subject = certificate?.subject { message += "; subject \(MailDialogue.quote(subject))" }
            return CheckFailure(kind: .certificate, category: .security, message: message)
        case .protocolError:
            return CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: \(target) answered no valid HTTP: \(error.detail)")
        case .headersTooLarge:
            return CheckFailure(kind: .protocolViolation, category: .siteOffline, message: "HTTP: \(error.detail)")
        case .other:
            return CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: \(target): \(error.detail)")
        }
    }
}

/// Scheme, host and port of a URL, read without Foundation's URL parser (which would accept
/// and normalise more than a config should).
public struct URLParts: Sendable, Hashable {
    public var scheme: String
    public var host: String
    public var port: Int

    public init(_ url: String) {
        // Plain scans over UTF-8: Foundation's `range(of:)` goes through UTF-16 and ICU-style
        // machinery, and this runs for every transfer.
        let bytes = Array(url.utf8)
        var schemeEnd: Int?
        if bytes.count >= 3 {
            for i in 0..<(bytes.count - 2) where bytes[i] == 58 && bytes[i + 1] == 47 && bytes[i + 2] == 47 {
                schemeEnd = i
                break
            }
        }
        scheme = schemeEnd.map { String(decoding: bytes[..<$0], as: UTF8.self).lowercased() } ?? ""
        var rest = schemeEnd.map { String(decoding: bytes[($0 + 3)...], as: UTF8.self) } ?? url
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = String(rest[..<slash]) }
        if let at = rest.lastIndex(of: "@") { rest = String(rest[rest.index(after: at)...]) }
        var defaultPort = scheme == "https" ? 443 : 80
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":"), let p = Int(after.dropFirst()) { defaultPort = p }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            if let p = Int(rest[rest.index(after: colon)...]) { defaultPort = p }
        } else {
            host = rest
        }
        port = defaultPort
    }
}
