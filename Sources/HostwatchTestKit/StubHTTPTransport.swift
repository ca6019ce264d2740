import HostwatchCore
import Synchronization

/// An HTTP transport that replays prepared responses, recording the requests it was given.
public final class StubHTTPTransport: HTTPTransport {
    private struct State {
        var responses: [HTTPResponse]
        var requests: [HTTPRequest] = []
    }

    private let state: Mutex<State>

    /// Replays `responses` in order; the last one repeats.
    public init(_ responses: [HTTPResponse]) {
        precondition(!responses.isEmpty, "a stub needs at least one response")
        state = Mutex(State(responses: responses))
    }

    /// The requests performed so far.
    public var requests: [HTTPRequest] { state.withLock { $0.requests } }

    public func perform(_ request: HTTPRequest) async -> HTTPResponse {
        state.withLock { state in
            state.requests.append(request)
            return state.responses.count > 1 ? state.responses.removeFirst() : state.responses[0]
        }
    }
}
