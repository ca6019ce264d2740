import HostwatchCore

/// Sends systemd's `WATCHDOG=1` every `every` while the scheduler is healthy. `health` is an
/// `await` on the scheduler actor itself: a scheduler stuck inside a call never answers, the
/// pings stop, and systemd restarts the agent after `WatchdogSec`. A scheduler that answers but
/// has recorded nothing for too long (`Liveness`) gets no ping either.
public struct WatchdogPinger: Sendable {
    public let notifier: SystemdNotifier
    public let every: Duration
    public let health: @Sendable () async -> Liveness.Verdict
    public let logger: Logger

    public init(notifier: SystemdNotifier, every: Duration, logger: Logger, health: @escaping @Sendable () async -> Liveness.Verdict) {
        self.notifier = notifier
        self.every = every
        self.health = health
        self.logger = logger
    }

    /// Pings until the task is cancelled.
    public func run() async {
        var withheld = false
        let clock = ContinuousClock()
        // When the next answer is due. Lateness counts from there, not from the question: a
        // scheduler stuck in a blocking call can hold up the pool's threads too, and then this
        // task wakes from its sleep only once they are free, and asks a scheduler that answers
        // at once (a log line missing one run in several of the stuck-store test).
        var due = clock.now
        while !Task.isCancelled {
            let verdict = await health()
            let waited = due.duration(to: clock.now)
            if waited > every {
                logger.warning("scheduler.unresponsive", ["waited_ms": "\(waited.milliseconds)"])
            }
            if Task.isCancelled { break }
            switch verdict {
            case .alive:
                if withheld {
                    logger.info("watchdog.resumed")
                    withheld = false
                }
                do { try notifier.watchdog() } catch { logger.warning("watchdog.notify_failed", ["error": error.description]) }
            case .stalled(let quiet):
                if !withheld {
                    logger.error("watchdog.withheld", ["reason": "no check result for \(quiet.wholeSeconds)s"])
                    withheld = true
                }
            }
            due = clock.now + every
            try? await Task.sleep(for: every)
        }
    }
}
