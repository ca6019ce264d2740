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
        while !Task.isCancelled {
            let asked = clock.now
            let verdict = await health()
            let waited = asked.duration(to: clock.now)
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
            try? await Task.sleep(for: every)
        }
    }
}
