import Foundation
import HostwatchCore
import HostwatchTestKit
import Testing
@testable import HostwatchIO

@Suite struct WatchdogPingerTests {
    /// A health probe the test holds: `answer` lets one waiting call return.
    final class Gate: @unchecked Sendable {
        private let lock = NSLock()
        private var waiters: [CheckedContinuation<Void, Never>] = []
        private var open = true

        func close() { lock.withLock { open = false } }

        func reopen() {
            let released = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
                open = true
                defer { waiters = [] }
                return waiters
            }
            for waiter in released { waiter.resume() }
        }

        func pass() async {
            await withCheckedContinuation { continuation in
                let proceed = lock.withLock { () -> Bool in
                    if open { return true }
                    waiters.append(continuation)
                    return false
                }
                if proceed { continuation.resume() }
            }
        }
    }

    @Test func pingsWhileHealthyStopsWhileTheProbeHangsAndResumesAfter() async throws {
        let listener = try NotifySocketListener(SystemdNotifierTests.socketPath())
        let gate = Gate()
        let pinger = WatchdogPinger(notifier: try SystemdNotifier(socket: listener.name), every: .milliseconds(50),
                                    logger: Logger(label: "test", level: .error)) {
            await gate.pass()
            return .alive
        }
        let task = Task { await pinger.run() }
        defer { task.cancel(); gate.reopen() }
        // A ping that must come is awaited generously: beside the parallel suite's CPU-bound tests
        // the pinger's task can wait seconds for a cooperative thread (CI saw more than 5 s).
        #expect(await listener.next(timeout: Self.arrival) == "WATCHDOG=1")
        #expect(await listener.next(timeout: Self.arrival) == "WATCHDOG=1")

        // A hung scheduler: at most the ping already on its way, then silence.
        gate.close()
        var silent = false
        for _ in 0..<20 where !silent { silent = await listener.next(timeout: .milliseconds(500)) == nil }
        #expect(silent, "pings went on while the health probe hung")

        gate.reopen()
        #expect(await listener.next(timeout: Self.arrival) == "WATCHDOG=1")
    }

    /// How long a ping that must come may take; passing runs never wait it out.
    static let arrival = Duration.seconds(60)

    @Test func aStalledSchedulerGetsNoPing() async throws {
        let listener = try NotifySocketListener(SystemdNotifierTests.socketPath())
        let asked = LockedCounter()
        let pinger = WatchdogPinger(notifier: try SystemdNotifier(socket: listener.name), every: .milliseconds(20),
                                    logger: Logger(label: "test", level: .error)) {
            asked.increment()
            return .stalled(for: .seconds(600))
        }
        let task = Task { await pinger.run() }
        defer { task.cancel() }
        #expect(try await waitFor { asked.value >= 10 })
        #expect(await listener.next(timeout: .milliseconds(100)) == nil)
    }
}

/// A counter safe to bump from any task.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Polls `condition` every 10 ms for up to 60 s (generous: beside the parallel suite a task can
/// wait seconds for a thread, and a passing run never waits it out).
func waitFor(_ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
