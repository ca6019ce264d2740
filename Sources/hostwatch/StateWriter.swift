import Dispatch
import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// Writes the tracker's state and the status snapshot off the scheduler's actor, in the order
/// given: encoding the snapshot of 40,000 checks takes the better part of a second, and every
/// check's result waits for the actor while it runs (issue 16: results stalled for seconds).
/// Values are copied when handed over, so what is written is what the scheduler had then.
/// The work runs on a queue of its own, not on the two threads of the cooperative pool that
/// every check and the scheduler share (a second of encoding there stalls them all).
final class StateWriter: Sendable {
    enum Job: Sendable {
        case state(IncidentTracker.State)
        case status(StatusSnapshot)
    }

    private let queue = DispatchQueue(label: "hostwatch.state-writer")
    private let stateFile: JSONStateFile<IncidentTracker.State>
    private let statusFile: JSONStateFile<StatusSnapshot>
    private let logger: Logger

    init(stateFile: JSONStateFile<IncidentTracker.State>, statusFile: JSONStateFile<StatusSnapshot>, logger: Logger) {
        self.stateFile = stateFile
        self.statusFile = statusFile
        self.logger = logger
    }

    /// Queues one write.
    func write(_ job: Job) {
        queue.async { [stateFile, statusFile, logger] in
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

    /// Returns once everything queued so far is written.
    func finish() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { done.resume() }
        }
    }
}
