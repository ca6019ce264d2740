import FoundationEssentials
import Synchronization
import Testing
@testable import HostwatchCore

@Suite struct SharedMailTransportTests {
    /// A transport that holds every session until the test opens it (then none is held, so a
    /// test that goes wrong fails instead of hanging), and counts them.
    final class HeldTransport: MailTransport {
        private struct State {
            var started: [MailRequest] = []
            var held: [CheckedContinuation<Void, Never>] = []
            var open = false
            /// Tests waiting for a number of sessions to have started.
            var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        }
        private let state = Mutex(State())

        func perform(_ request: MailRequest) async -> MailSession {
            await withCheckedContinuation { continuation in
                let (reached, open) = state.withLock { state in
                    state.started.append(request)
                    if !state.open { state.held.append(continuation) }
                    let count = state.started.count
                    defer { state.watchers.removeAll { $0.count <= count } }
                    return (state.watchers.filter { $0.count <= count }.map(\.continuation), state.open)
                }
                for watcher in reached { watcher.resume() }
                if open { continuation.resume() }
            }
            var transcript = Transcript()
            transcript.append(.received, "220 \(request.host) ESMTP")
            return MailSession(lines: [DialogueLine(.received, "220 \(request.host) ESMTP")], transcript: transcript)
        }

        var started: [MailRequest] { state.withLock { $0.started } }

        /// Returns once `count` sessions have started (awaited, not polled).
        func started(_ count: Int) async {
            await withCheckedContinuation { continuation in
                let already = state.withLock { state in
                    if state.started.count >= count { return true }
                    state.watchers.append((count, continuation))
                    return false
                }
                if already { continuation.resume() }
            }
        }

        /// Lets every held session finish, and every later one pass.
        func release() {
            let held = state.withLock { state in
                state.open = true
                defer { state.held = [] }
                return state.held
            }
            for continuation in held { continuation.resume() }
        }
    }

    static func request(port: Int = 25, user: String? = nil) -> MailRequest {
        MailRequest(proto: .smtp, host: "mail.provider.test", address: "127.0.0.1", port: port, tls: .ifOffered, heloName: "web01", user: user)
    }

    /// The two late requests join the held session in flight or, when they come after it ended,
    /// take it within the window: one session either way.
    @Test func equalRequestsMadeTogetherShareOneSessionAndSaySo() async {
        let base = HeldTransport()
        let shared = SharedMailTransport(base, within: .seconds(5))
        async let first = shared.perform(Self.request())
        await base.started(1)
        async let second = shared.perform(Self.request())
        async let third = shared.perform(Self.request())
        base.release()
        let sessions = await [first, second, third]
        #expect(base.started.count == 1)
        #expect(sessions.allSatisfy { $0.lines.first?.text == "220 mail.provider.test ESMTP" })
        let noted = sessions.filter { $0.transcript.rendered.contains("one session answers every check") }
        #expect(noted.count == 2, "the two checks that did not run the session are told so")
    }

    /// The window is long here (a minute) and next to nothing in the next test, so neither
    /// depends on how fast the machine runs the test.
    @Test func aFinishedSessionIsHandedOnWithinTheWindow() async {
        let base = HeldTransport()
        let shared = SharedMailTransport(base, within: .seconds(60))
        base.release()
        _ = await shared.perform(Self.request())
        _ = await shared.perform(Self.request())
        #expect(base.started.count == 1, "a session started just now answers the next equal request")
    }

    @Test func pastTheWindowAnEqualRequestRunsItsOwnSession() async {
        let base = HeldTransport()
        let shared = SharedMailTransport(base, within: .nanoseconds(1))
        base.release()
        _ = await shared.perform(Self.request())
        let later = await shared.perform(Self.request())
        #expect(base.started.count == 2, "past the window an equal request runs its own session")
        #expect(!later.transcript.rendered.contains("one session answers"))
    }

    @Test func requestsThatDifferInAnythingRunTheirOwn() async {
        let base = HeldTransport()
        let shared = SharedMailTransport(base, within: .seconds(5))
        async let plain = shared.perform(Self.request())
        async let submission = shared.perform(Self.request(port: 587))
        async let login = shared.perform(Self.request(port: 587, user: "probe@a.test"))
        await base.started(3)
        base.release()
        let sessions = await [plain, submission, login]
        #expect(base.started.count == 3)
        #expect(!sessions.contains { $0.transcript.rendered.contains("one session answers") })
    }

    @Test(arguments: [
        ([Duration.seconds(60), .seconds(15)], Duration.seconds(5)),
        ([.seconds(4), .seconds(60)], .seconds(2)),
        ([], .zero),
    ])
    func theWindowIsAtMostHalfTheShortestGapBetweenRuns(gaps: [Duration], window: Duration) {
        #expect(SharedMailTransport.window(forRunsEvery: gaps) == window)
    }

    @Test func aZeroWindowSharesNothing() async {
        let base = HeldTransport()
        let shared = SharedMailTransport(base, within: .zero)
        async let first = shared.perform(Self.request())
        async let second = shared.perform(Self.request())
        await base.started(2)
        base.release()
        _ = await [first, second]
        #expect(base.started.count == 2)
    }
}
