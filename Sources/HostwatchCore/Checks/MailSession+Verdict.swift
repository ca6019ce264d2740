import FoundationEssentials

/// The verdicts every mail check shares: how a session that stopped early, a rejected
/// certificate or one expiring soon becomes a `CheckFailure`. Protocol rules stay in each check.
extension MailSession {
    /// The failure for a session the transport ended early with `error`, while waiting in `step`
    /// (nil or the greeting: before the server said anything useful). Refusals, timeouts, TLS
    /// handshakes and a silent greeting are connection-level: they belong to the endpoint.
    func failure(_ error: TransferError, at step: MailDialogue.Step?, proto: MailProtocol, target: String,
                 timeout: Duration) -> CheckFailure {
        let label = proto.label
        let detail = MailDialogue.quote(error.detail)
        // No step yet, or only the greeting's: the server has not said anything useful.
        let waitingFor = step.flatMap { $0.command == nil ? nil : $0.name } ?? "the greeting"
        switch error.kind {
        case .refused:
            return CheckFailure(kind: .unreachable, category: .emailDown, message: "\(label): connect to \(target) refused")
        case .unreachable:
            return CheckFailure(kind: .unreachable, category: .emailDown, message: "\(label): cannot reach \(target): \(detail)")
        case .timeout:
            let what = waitingFor == "the greeting" ? "no greeting from \(target)" : "no answer to \(waitingFor) from \(target)"
            return CheckFailure(kind: .timeout, category: .emailDown,
                                message: "\(label): \(what) within \(DurationText.format(timeout)) (\(detail))")
        case .tlsHandshake:
            return CheckFailure(kind: .unreachable, category: .emailDown, message: "\(label): TLS handshake with \(target) failed: \(detail)")
        case .certificate:
            return certificateRejected(error, proto: proto)
        case .protocolError, .headersTooLarge, .other:
            // Nothing usable came back (a closed connection, bytes that are not the protocol):
            // at the greeting that is the endpoint's failure, later the step's.
            let atGreeting = waitingFor == "the greeting"
            return CheckFailure(kind: atGreeting ? .unreachable : .protocolViolation, category: .emailDown,
                                message: atGreeting ? "\(label): \(target) sent no valid greeting: \(detail)"
                                    : "\(label): \(waitingFor) failed: \(detail)")
        }
    }

    /// A certificate that failed verification: a security failure of the domain, with the dates
    /// and subject from the second, unverified look when there was one.
    func certificateRejected(_ error: TransferError, proto: MailProtocol) -> CheckFailure {
        var message = "\(proto.label): certificate rejected: \(MailDialogue.quote(error.detail))"
        if let notAfter = certificate?.notAfter { message += "; valid until \(RFC3339.format(notAfter))" }
        if let subject = certificate?.subject { message += "; subject \(MailDialogue.quote(subject))" }
        return CheckFailure(kind: .certificate, category: .security, message: message)
    }

    /// Expired (a security failure) or expiring within `warningDays` (a certificate warning), or nil.
    func certificateExpiry(proto: MailProtocol, now: Date, warningDays: Int) -> CheckFailure? {
        guard let expiry = certificate?.notAfter, certificate?.unverified != true else { return nil }
        if expiry <= now {
            return CheckFailure(kind: .certificate, category: .security,
                                message: "\(proto.label): certificate expired on \(RFC3339.format(expiry))")
        }
        let days = Int(expiry.timeIntervalSince(now) / 86_400)
        guard days < warningDays else { return nil }
        var failure = CheckFailure(kind: .certificate, category: .certificate,
                                   message: "\(proto.label): certificate expires in \(days) days, on \(RFC3339.format(expiry))")
        failure.daysLeft = days
        return failure
    }

    /// An observation of this session with its timings, certificate and transcript.
    func observation(check: CheckID, endpoint: String, now: Date, failure: CheckFailure?, summary: String) -> Observation {
        var timings: [(name: String, milliseconds: Double)] = [("connect", self.timings.connect.timeInterval * 1000)]
        if self.timings.tls > .zero { timings.append(("tls", self.timings.tls.timeInterval * 1000)) }
        timings.append(("total", self.timings.total.timeInterval * 1000))
        let outcome: Observation.Outcome = failure.map { .failed($0) } ?? .ok
        return Observation(check: check, endpoint: endpoint, startedAt: now, duration: self.timings.total, outcome: outcome,
                           summary: failure?.message ?? summary, timings: timings,
                           certificateExpiry: certificate?.notAfter, transcript: transcript)
    }

    /// `in 4.2 ms`.
    var elapsedText: String {
        "in \(Observation.formatMilliseconds(timings.total.timeInterval * 1000)) ms"
    }
}
