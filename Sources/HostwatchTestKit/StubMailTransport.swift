import HostwatchCore
import Synchronization

/// A mail transport that replays recorded sessions, recording the requests it was given.
public final class StubMailTransport: MailTransport {
    private struct State {
        var sessions: [MailSession]
        var requests: [MailRequest] = []
    }

    private let state: Mutex<State>

    /// Replays `sessions` in order; the last one repeats.
    public init(_ sessions: [MailSession]) {
        precondition(!sessions.isEmpty, "a stub needs at least one session")
        state = Mutex(State(sessions: sessions))
    }

    /// The requests performed so far.
    public var requests: [MailRequest] { state.withLock { $0.requests } }

    public func perform(_ request: MailRequest) async -> MailSession {
        state.withLock { state in
            state.requests.append(request)
            return state.sessions.count > 1 ? state.sessions.removeFirst() : state.sessions[0]
        }
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
