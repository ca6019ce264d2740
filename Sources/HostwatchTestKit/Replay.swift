import Synchronization

/// Prepared answers handed out in order (the last one repeats), and the requests that asked for
/// them: the shared core of the replaying transport stubs.
public final class Replay<Request: Sendable, Answer: Sendable>: Sendable {
    private struct State {
        var answers: [Answer]
        var requests: [Request] = []
    }

    private let state: Mutex<State>

    public init(_ answers: [Answer]) {
        precondition(!answers.isEmpty, "a stub needs at least one answer")
        state = Mutex(State(answers: answers))
    }

    /// The requests answered so far.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// Records `request` and returns the next answer.
    public func answer(_ request: Request) -> Answer {
        state.withLock { state in
            state.requests.append(request)
            return state.answers.count > 1 ? state.answers.removeFirst() : state.answers[0]
        }
    }
}
