import Synchronization

/// A doorbell for one waiting loop: `wait(upTo:)` returns when `signal()` rings, when the time is
/// up, or when the waiting task is cancelled, and says which.
///
/// Each wait has its own number, and its timer can only end the wait with that number. The
/// outbox's earlier wait let a cancelled timer ring the bell for the *next* wait, whose cancelled
/// timer rang it for the one after, and so on: once the first ticket changed, the delivery loop
/// turned about a thousand times a second for the life of the agent (issue 16). A stale timer
/// here does nothing.
///
/// One waiter at a time (a loop); any number of ringers, from any thread. A ring while nobody
/// waits is kept (once, not counted) for the next wait.
public final class Wakeup: Sendable {
    /// Why a wait ended.
    public enum Reason: Sendable, Equatable {
        case signalled
        case timedOut
        case cancelled
    }

    private struct State {
        var waiter: CheckedContinuation<Reason, Never>?
        var waitNumber: UInt64 = 0
        var pending = false
        /// How the current wait ended before its waiter was in place.
        var endedEarly: Reason?
    }

    private let state = Mutex(State())

    public init() {}

    /// Rings: wakes the current wait, or the next one if nobody waits now.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Reason, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            // The wait is over: its timer, if it still fires, must find nothing to end.
            state.waitNumber &+= 1
            return waiter
        }
        waiter?.resume(returning: .signalled)
    }

    /// Waits for a ring, at most `timeout`. A ring kept from before returns at once.
    public func wait(upTo timeout: Duration) async -> Reason {
        let number: UInt64? = state.withLock { state in
            precondition(state.waiter == nil, "Wakeup has one waiter at a time")
            if state.pending {
                state.pending = false
                return nil
            }
            state.waitNumber &+= 1
            state.endedEarly = nil
            return state.waitNumber
        }
        guard let number else { return .signalled }
        let timer = Task { [weak self] in
            do { try await Task.sleep(for: timeout) } catch { return }
            self?.end(number, .timedOut)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready: Reason? = state.withLock { state in
                    // Timed out or cancelled between taking the number and here.
                    if state.waitNumber != number {
                        defer { state.endedEarly = nil }
                        return state.endedEarly ?? .cancelled
                    }
                    if state.pending {
                        state.pending = false
                        return .signalled
                    }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            end(number, .cancelled)
        }
    }

    /// Whether a wait is in progress now (for tests that ring only once somebody waits).
    var isWaiting: Bool {
        state.withLock { $0.waiter != nil }
    }

    /// Ends wait `number` with `reason`, if it is still the one waiting.
    private func end(_ number: UInt64, _ reason: Reason) {
        let waiter = state.withLock { state -> CheckedContinuation<Reason, Never>? in
            guard state.waitNumber == number else { return nil }
            // A later wait must not take this end for its own: the number moves on.
            state.waitNumber &+= 1
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.endedEarly = reason
            return nil
        }
        waiter?.resume(returning: reason)
    }
}
