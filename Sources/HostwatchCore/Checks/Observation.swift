import FoundationEssentials

/// What one run of one check saw: success or a failure, with timings and the transcript.
/// Plain data: measured by a transport, judged by a check, recorded by the incident tracker.
public struct Observation: Sendable {
    /// How the run went.
    public enum Outcome: Sendable, Hashable {
        case ok
        case failed(CheckFailure)
    }

    public var check: CheckID
    /// The connection target, `ADDRESS:PORT/PROTOCOL`: failures at connection level belong to it.
    public var endpoint: String?
    /// When the run started (wall clock, for tickets).
    public var startedAt: Date
    /// How long the run took.
    public var duration: Duration
    public var outcome: Outcome
    /// One line on what was seen when it worked (`200 OK in 12 ms`), or the failure's message.
    public var summary: String
    /// Named timings in milliseconds, in protocol order (`connect`, `tls`, `first_byte`, `total`).
    public var timings: [(name: String, milliseconds: Double)]
    /// The expiry date of the certificate the server presented, when there was one.
    public var certificateExpiry: Date?
    public var transcript: Transcript

    public init(check: CheckID, endpoint: String?, startedAt: Date, duration: Duration, outcome: Outcome,
                summary: String, timings: [(name: String, milliseconds: Double)] = [],
                certificateExpiry: Date? = nil, transcript: Transcript = Transcript()) {
        self.check = check
        self.endpoint = endpoint
        self.startedAt = startedAt
        self.duration = duration
        self.outcome = outcome
        self.summary = summary
        self.timings = timings
        self.certificateExpiry = certificateExpiry
        self.transcript = transcript
    }

    /// Takes the summary and the failure's message from `SharedText`: what is kept of a run is
    /// then the one copy many checks keep alike (`200 OK in 12.0 ms`, a hung server's timeout).
    public mutating func shareText() {
        summary = SharedText.one(summary)
        if case .failed(var failure) = outcome {
            // Often the summary itself: then the same copy.
            failure.message = failure.message == summary ? summary : SharedText.one(failure.message)
            outcome = .failed(failure)
        }
    }

    /// The failure, when the run failed.
    public var failure: CheckFailure? {
        if case .failed(let failure) = outcome { return failure }
        return nil
    }

    /// `connect=0.3ms tls=2.1ms first_byte=3.0ms total=3.2ms`.
    public var timingText: String {
        timings.map { "\($0.name)=\(Self.formatMilliseconds($0.milliseconds))ms" }.joined(separator: " ")
    }

    static func formatMilliseconds(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
