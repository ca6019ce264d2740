import Dispatch
import FoundationEssentials
import HostwatchCore
import HostwatchIO
import Synchronization

/// Writes the tracker's state and the status snapshot off the scheduler's actor, in the order
/// given: encoding the snapshot of 40,000 checks takes the better part of a second, and every
/// check's result waits for the actor while it runs (issue 16: results stalled for seconds).
/// Values are copied when handed over, so what is written is what the scheduler had then.
/// The work runs on a queue of its own, not on the two threads of the cooperative pool that
/// every check and the scheduler share (a second of encoding there stalls them all).
///
/// A write that fails (a full or read-only state folder) is kept and tried again every second
/// until it works or a newer value of the same file replaces it; the failure and the recovery
/// go to `health` (logged once, and to systemd), not to the log every second.
final class StateWriter: Sendable {
    enum Job: Sendable {
        case state(IncidentTracker.State)
        case status(StatusSnapshot)
    }

    private let queue = DispatchQueue(label: "hostwatch.state-writer")
    private let stateFile: JSONStateFile<IncidentTracker.State>
    private let statusFile: JSONStateFile<StatusSnapshot>
    private let logger: Logger
    private let health: StateFolderHealth
    /// Failed writes waiting for their retry, by file (only touched on `queue`).
    private let unwritten = Mutex<(state: IncidentTracker.State?, status: StatusSnapshot?, retrying: Bool)>((nil, nil, false))
    private let retryEvery: Double = 1

    init(stateFile: JSONStateFile<IncidentTracker.State>, statusFile: JSONStateFile<StatusSnapshot>, logger: Logger,
         health: StateFolderHealth) {
        self.stateFile = stateFile
        self.statusFile = statusFile
        self.logger = logger
        self.health = health
    }

    /// Queues one write.
    func write(_ job: Job) {
        queue.async { self.perform(job) }
    }

    private func perform(_ job: Job) {
        let path = if case .state = job { stateFile.path } else { statusFile.path }
        do throws(TicketStoreError) {
            switch job {
            case .state(let state): try stateFile.save(state)
            case .status(let snapshot): try statusFile.save(snapshot)
            }
            unwritten.withLock { if case .state = job { $0.state = nil } else { $0.status = nil } }
            health.wrote(path)
        } catch {
            if health.failed(path, error: error.description) {
                logger.error("state.save_failed", ["path": path, "error": error.description, "retry": "every second until it works"])
            } else {
                logger.debug("state.save_failed", ["path": path, "error": error.description])
            }
            let retry = unwritten.withLock { waiting in
                switch job {
                case .state(let state): waiting.state = state
                case .status(let snapshot): waiting.status = snapshot
                }
                defer { waiting.retrying = true }
                return !waiting.retrying
            }
            if retry { scheduleRetry() }
        }
    }

    /// Tries the failed writes again in a second (a newer write of the same file in between
    /// replaces its value); again after that while any still fails.
    private func scheduleRetry() {
        queue.asyncAfter(deadline: .now() + retryEvery) {
            let (state, status) = self.unwritten.withLock { waiting in
                defer { waiting = (nil, nil, false) }
                return (waiting.state, waiting.status)
            }
            if let state { self.perform(.state(state)) }
            if let status { self.perform(.status(status)) }
        }
    }

    /// Returns once everything queued so far is written.
    func finish() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { done.resume() }
        }
    }
}
