import HostwatchCore

/// A mail transport that replays recorded sessions, recording the requests it was given.
public final class StubMailTransport: MailTransport {
    private let replay: Replay<MailRequest, MailSession>

    /// Replays `sessions` in order; the last one repeats.
    public init(_ sessions: [MailSession]) {
        replay = Replay(sessions)
    }

    /// The requests performed so far.
    public var requests: [MailRequest] { replay.requests }

    public func perform(_ request: MailRequest) async -> MailSession {
        replay.answer(request)
    }
}

extension MailSession {
    /// A session from a recorded dialogue in transcript form, one line each: `< ` for what the
    /// server sent, `> ` for what the client sent (`* ` notes are kept in the transcript only).
    public static func recorded(_ dialogue: String, error: TransferError? = nil, certificate: CertificateFacts? = nil,
                                total: Duration = .milliseconds(5)) -> MailSession {
        var lines: [DialogueLine] = []
        for line in dialogue.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("< ") { lines.append(DialogueLine(.received, String(line.dropFirst(2)))) }
            if line.hasPrefix("> ") { lines.append(DialogueLine(.sent, String(line.dropFirst(2)))) }
        }
        var timings = TransferTimings()
        timings.connect = .microseconds(200)
        timings.total = total
        return MailSession(error: error, lines: lines, certificate: certificate, timings: timings,
                           transcript: Transcript(recorded: dialogue.hasSuffix("\n") ? dialogue : dialogue + "\n"))
    }
}
