import FoundationEssentials
import Synchronization
import Testing
@testable import HostwatchCore

@Suite struct SharedMailTransportTests {
    /// A transport that holds every session until the test lets them finish, and counts them.
    final class HeldTransport: MailTransport {
        private let state = Mutex<(started: [MailRequest], held: [CheckedContinuation<Void, Never>])>(([], []))

        func perform(_ request: MailRequest) async -> MailSession {
            await withCheckedContinuation { continuation in
                state.withLock { $0.started.append(request); $0.held.append(continuation) }
            }
            var transcript = Transcript()
            transcript.append(.received, "220 \(request.host) ESMTP")
            return MailSession(lines: [DialogueLine(.received, "220 \(request.host) ESMTP")], transcript: transcript)
        }

        var started: [MailRequest] { state.withLock { $0.started } }

        /// Lets every held session finish.
        func release() {
            let held = state.withLock { state in
                defer { state.held = [] }
                return state.held
            }
            for continuation in held { continuation.resume() }
        }
    }

    static func request(port: Int = 25, user: String? = nil) -> MailRequest {
        MailRequest(proto: .smtp, host: "mail.provider.test", address: "127.0.0.1", port: port, tls: .ifOffered, heloName: "web01", user: user)
    }

    /// Waits until `count` sessions have started on `base`.
    static func started(_ base: HeldTransport, _ count: Int) async {
        while base.started.count < count { await Task.yield() }
    }

    /// The two late requests join the held session in flight or, when they come after it ended,
    /// take it within the window: one session either way.
    @Test func equalRequestsMadeTogetherShareOneSessionAndSaySo() async {
        let base = HeldTransport()
        let shared = SharedMailTransport(base, within: .seconds(5))
        async let first = shared.perform(Self.request())
        await Self.started(base, 1)
        async let second = shared.perform(Self.request())
        async let third = shared.perform(Self.request())
        base.release()
        let sessions = await [first, second, third]
        #expect(base.started.count == 1)
        #expect(sessions.allSatisfy { $0.lines.first?.text == "220 mail.provider.test ESMTP" })
        let noted = sessions.filter { $0.transcript.rendered.contains("one session answers every check") }
        #expect(noted.count == 2, "the two checks that did not run the session are told so")
    }

    @Test func aFinishedSessionIsHandedOnOnlyWithinTheWindow() async throws {
        let base = HeldTransport()
        let shared = SharedMailTransport(base, within: .milliseconds(300))
        async let first = shared.perform(Self.request())
        await Self.started(base, 1)
        base.release()
        _ = await first
        _ = await shared.perform(Self.request())
        #expect(base.started.count == 1, "a session started just now answers the next equal request")

        try await Task.sleep(for: .milliseconds(300))
        async let later = shared.perform(Self.request())
        await Self.started(base, 2)
        base.release()
        _ = await later
        #expect(base.started.count == 2, "past the window an equal request runs its own session")
    }

    @Test func requestsThatDifferInAnythingRunTheirOwn() async {
        let base = HeldTransport()
        let shared = SharedMailTransport(base, within: .seconds(5))
        async let plain = shared.perform(Self.request())
        async let submission = shared.perform(Self.request(port: 587))
        async let login = shared.perform(Self.request(port: 587, user: "probe@a.test"))
        await Self.started(base, 3)
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
        await Self.started(base, 2)
        base.release()
        _ = await [first, second]
        #expect(base.started.count == 2)
    }
}
