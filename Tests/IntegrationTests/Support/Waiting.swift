import Foundation

/// Polls `condition` until it holds or `timeout` has passed: a wait with a deadline, for
/// integration tests that must not rely on fixed sleeps.
///
/// The condition is checked at once, then every `poll` and a last time at the deadline.
/// This blocks the calling thread; `async` code gets the overload below, which suspends instead.
/// - Returns: `true` as soon as the condition holds, `false` if it still did not at the deadline.
/// - Throws: whatever `condition` throws, at once.
func waitUntil(
    timeout: Duration,
    poll: Duration = .milliseconds(100),
    _ condition: () throws -> Bool
) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if try condition() { return true }
        let now = clock.now
        if now >= deadline { return false }
        Thread.sleep(forTimeInterval: timeInterval(min(poll, now.duration(to: deadline))))
    }
}

/// Polls `condition` until it holds or `timeout` has passed, suspending the task instead of
/// blocking a thread between polls. Same contract as the blocking `waitUntil`.
///
/// In `async` code this overload is the one chosen, so a test waiting here leaves the few
/// cooperative threads (two on a 2-core machine) free for the code it is waiting on.
/// `nonisolated(nonsending)` (Swift 6.2+) runs it on the caller's actor, so the condition may
/// touch the caller's state; with `#isolation` as a parameter instead, the sync overload wins
/// overload resolution in `async` code.
/// - Throws: whatever `condition` throws, or `CancellationError` if the task is cancelled.
nonisolated(nonsending) func waitUntil(
    timeout: Duration,
    poll: Duration = .milliseconds(100),
    _ condition: () throws -> Bool
) async throws -> Bool {
    try await pollUntil(timeout: timeout, poll: poll, condition)
}

/// Polls an `async` `condition` until it holds or `timeout` has passed, suspending between polls.
/// Same contract as the blocking `waitUntil`.
/// - Throws: whatever `condition` throws, or `CancellationError` if the task is cancelled.
nonisolated(nonsending) func waitUntil(
    timeout: Duration,
    poll: Duration = .milliseconds(100),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    try await pollUntil(timeout: timeout, poll: poll, condition)
}

/// The loop behind both `async` overloads; a separate name so neither overload can pick the other.
private nonisolated(nonsending) func pollUntil(
    timeout: Duration,
    poll: Duration,
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if try await condition() { return true }
        let now = clock.now
        if now >= deadline { return false }
        try await clock.sleep(until: min(now.advanced(by: poll), deadline))
    }
}

private func timeInterval(_ duration: Duration) -> TimeInterval {
    let (seconds, attoseconds) = duration.components
    return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
}
