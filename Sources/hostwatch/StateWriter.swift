import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// Writes the tracker's state and the status snapshot off the scheduler's actor, in the order
/// given: encoding the snapshot of 40,000 checks takes the better part of a second, and every
/// check's result waits for the actor while it runs (issue 16: results stalled for seconds).
/// Values are copied when handed over, so what is written is what the scheduler had then.
final class StateWriter: Sendable {
    enum Job: Sendable {
        case state(IncidentTracker.State)
        case status(StatusSnapshot)
    }

    private let continuation: AsyncStream<Job>.Continuation
    private let writing: Task<Void, Never>

    init(stateFile: JSONStateFile<IncidentTracker.State>, statusFile: JSONStateFile<StatusSnapshot>, logger: Logger) {
        let (jobs, continuation) = AsyncStream<Job>.makeStream()
        self.continuation = continuation
        writing = Task.detached {
            for await job in jobs {
                do throws(TicketStoreError) {
                    switch job {
                    case .state(let state): try stateFile.save(state)
                    case .status(let snapshot): try statusFile.save(snapshot)
                    }
                } catch {
                    let path = if case .state = job { stateFile.path } else { statusFile.path }
                    logger.error("state.save_failed", ["path": path, "error": error.description])
                }
            }
        }
    }

    /// Queues one write.
    func write(_ job: Job) {
        continuation.yield(job)
    }

    /// Returns once everything queued so far is written; nothing may be queued afterwards.
    func finish() async {
        continuation.finish()
        await writing.value
    }
}
