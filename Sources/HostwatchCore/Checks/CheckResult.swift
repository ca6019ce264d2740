import FoundationEssentials

/// One check's result as `hostwatch check --json` prints it (schema `hostwatch.check-result/1`).
public struct CheckResult: Sendable, Codable, Hashable {
    public var schema = "hostwatch.check-result/1"
    public var check: String
    /// `ok` or `failed`.
    public var status: String
    public var severity: String?
    public var category: String?
    public var summary: String
    public var endpoint: String?
    public var timingsMs: [String: Double]
    public var certificateExpiry: Date?
    public var transcript: String

    enum CodingKeys: String, CodingKey {
        case schema, check, status, severity, category, summary, endpoint, transcript
        case timingsMs = "timings_ms", certificateExpiry = "certificate_expiry"
    }

    /// The result of `observation`, with the severity the policy gives its failure.
    public init(_ observation: Observation, severity: Severity?) {
        check = observation.check.description
        status = observation.failure == nil ? "ok" : "failed"
        self.severity = observation.failure == nil ? nil : severity?.rawValue
        category = observation.failure?.category.rawValue
        summary = observation.summary
        endpoint = observation.endpoint
        timingsMs = Dictionary(observation.timings.map { ($0.name, $0.milliseconds) }, uniquingKeysWith: { a, _ in a })
        certificateExpiry = observation.certificateExpiry
        transcript = observation.transcript.rendered
    }
}
