/// What went wrong in one run of a check: the kind, the step, and the server's own words.
///
/// The text is fit to paste into a ticket: it names the protocol and the step first
/// (`HTTP: expected status 200, got 503 Service Unavailable`).
public struct CheckFailure: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A closed set of failure kinds (STYLE.md §2): connection-level kinds belong to the endpoint,
    /// the others to the check's own domain.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Name lookup, connect, or a TLS handshake failing for a reason other than the certificate.
        case unreachable
        /// No answer within the check's timeout.
        case timeout
        /// Expired, wrong name, untrusted or expiring soon: judged on the check, never the endpoint.
        case certificate
        /// It answered, but wrongly (status, text, reply code).
        case protocolViolation = "protocol_violation"
        /// A measured value crossed a configured limit (disk 93% > 90%).
        case thresholdBreached = "threshold_breached"
        /// The check cannot run as configured (a missing password file).
        case misconfigured
    }

    public var kind: Kind
    /// The policy row this failure falls under (DESIGN.md §1).
    public var category: Category
    /// Whether the fault lies in the hosting infrastructure or in the customer's application.
    public var cause: Cause
    /// The severity when the check itself knows it (disk thresholds); nil lets the policy table decide.
    public var severity: Severity?
    /// The whole message, protocol and step first.
    public var message: String
    /// The HTTP status that made it, when a web server answered wrongly: 502/503/504 on most
    /// sites of one upstream is the upstream's incident, not each site's.
    public var httpStatus: Int?
    /// Days until a certificate expires, for "expires soon" warnings (they are gathered into one
    /// ticket per server).
    public var daysLeft: Int?

    public init(kind: Kind, category: Category, cause: Cause = .infrastructure, severity: Severity? = nil, message: String) {
        self.kind = kind
        self.category = category
        self.cause = cause
        self.severity = severity
        self.message = message
    }

    /// A web server's answer that its upstream (PHP-FPM, an application server) is down or
    /// stuck: 502 Bad Gateway, 503 Service Unavailable, 504 Gateway Timeout.
    public var isGatewayStatus: Bool { httpStatus.map { (502...504).contains($0) } ?? false }

    /// A certificate that still works but expires soon (not expired, not wrong).
    public var isExpiringCertificate: Bool { kind == .certificate && category == .certificate }

    /// True for failures that belong to the endpoint rather than to the domain.
    public var isConnectionLevel: Bool { kind == .unreachable || kind == .timeout }

    public var description: String { message }
}
