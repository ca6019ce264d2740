import HostwatchCore

/// An HTTP transport that replays prepared responses, recording the requests it was given.
public final class StubHTTPTransport: HTTPTransport {
    private let replay: Replay<HTTPRequest, HTTPResponse>

    /// Replays `responses` in order; the last one repeats.
    public init(_ responses: [HTTPResponse]) {
        replay = Replay(responses)
    }

    /// The requests performed so far.
    public var requests: [HTTPRequest] { replay.requests }

    public func perform(_ request: HTTPRequest) async -> HTTPResponse {
        replay.answer(request)
    }
}
