import FoundationEssentials

/// Performs one HTTP(S) exchange and reports what it saw. Implemented on libcurl in HostwatchIO;
/// faked by `StubHTTPTransport` in the test kit. A transport never throws: every problem is part
/// of the response value, so the check can judge it.
public protocol HTTPTransport: Sendable {
    func perform(_ request: HTTPRequest) async -> HTTPResponse
}

/// One request, with everything that bounds it.
public struct HTTPRequest: Sendable, Hashable {
    public var url: String
    /// The address to connect to instead of resolving the URL's host; the host name still goes
    /// in SNI and the Host header.
    public var connectAddress: String?
    public var timeout: Duration
    /// The CA bundle; nil uses libcurl's default bundle.
    public var caFile: String?
    /// Body bytes kept in the response for the ticket (`limits.body_bytes`).
    public var keepBodyBytes: Int
    /// Body bytes read for matching `contains`/`forbids`; past this the transfer stops and the
    /// response says the body was truncated.
    public var readBodyBytes: Int
    /// Header bytes accepted before the response counts as hostile.
    public var maxHeaderBytes: Int

    public init(url: String, connectAddress: String? = nil, timeout: Duration = .seconds(10), caFile: String? = nil,
                keepBodyBytes: Int = 1024, readBodyBytes: Int = 1 << 20, maxHeaderBytes: Int = 64 * 1024) {
        self.url = url
        self.connectAddress = connectAddress
        self.timeout = timeout
        self.caFile = caFile
        self.keepBodyBytes = keepBodyBytes
        self.readBodyBytes = readBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
    }
}

/// Why a transfer did not complete, as far as a check needs to know.
public struct TransferError: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case refused
        case unreachable
        case timeout
        case tlsHandshake
        /// Certificate verification failed: expired, wrong name, untrusted.
        case certificate
        /// The server answered with something that is not the protocol (garbage, nothing, reset).
        case protocolError
        /// The response headers exceeded the request's cap.
        case headersTooLarge
        case other
    }

    public var kind: Kind
    /// The library's own words (`SSL certificate problem: certificate has expired`).
    public var detail: String

    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }
}

/// Facts about the certificate the server presented (the leaf).
public struct CertificateFacts: Sendable, Hashable {
    public var subject: String?
    public var issuer: String?
    public var notAfter: Date?
    /// True when these facts come from a second look without verification, after verification failed.
    public var unverified: Bool

    public init(subject: String? = nil, issuer: String? = nil, notAfter: Date? = nil, unverified: Bool = false) {
        self.subject = subject
        self.issuer = issuer
        self.notAfter = notAfter
        self.unverified = unverified
    }
}

/// Time spent in each phase, from the start of the transfer (libcurl's cumulative timings).
public struct TransferTimings: Sendable, Hashable {
    public var nameLookup: Duration = .zero
    public var connect: Duration = .zero
    public var tls: Duration = .zero
    public var firstByte: Duration = .zero
    public var total: Duration = .zero
    public init() {}
}

/// What one HTTP exchange produced.
public struct HTTPResponse: Sendable {
    /// Nil when the transfer completed (an HTTP response was read, whatever its status).
    public var error: TransferError?
    /// `HTTP/1.1 200 OK`, as received.
    public var statusLine: String?
    public var status: Int?
    public var headers: [(name: String, value: String)] = []
    /// The first `keepBodyBytes` of the body.
    public var bodyPrefix: [UInt8] = []
    /// Up to `readBodyBytes` of the body, for matching.
    public var body: [UInt8] = []
    /// True when the body was longer than `readBodyBytes` and the rest was not read.
    public var bodyTruncated = false
    public var timings = TransferTimings()
    public var certificate: CertificateFacts?
    /// The address and port actually connected to, when known.
    public var remote: String?
    /// What was sent and received, written out when read (see `writeTranscriptLater`).
    public var transcript: Transcript {
        get { written ?? writeTranscript?() ?? Transcript() }
        set {
            written = newValue
            writeTranscript = nil
        }
    }
    private var written: Transcript?
    private var writeTranscript: (@Sendable () -> Transcript)?

    public init(error: TransferError? = nil, statusLine: String? = nil, status: Int? = nil,
                transcript: Transcript = Transcript()) {
        self.error = error
        self.statusLine = statusLine
        self.status = status
        written = transcript
    }

    /// The transcript is written out by `write` when it is read, each time: in the running agent
    /// a passing check never reads it (issue 16: writing it out, escaped and capped, was about a
    /// tenth of a plain HTTP check's CPU).
    public mutating func writeTranscriptLater(_ write: @escaping @Sendable () -> Transcript) {
        written = nil
        writeTranscript = write
    }

    /// The reason phrase from the status line (`Service Unavailable`), or "".
    public var reason: String {
        guard let line = statusLine else { return "" }
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        return parts.count == 3 ? String(parts[2]) : ""
    }
}
