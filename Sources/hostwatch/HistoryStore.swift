import Dispatch
import FoundationEssentials
import HostwatchCore
import HostwatchIO
import Synchronization

/// What the agent remembers across restarts besides incidents: each check's uptime
/// (`uptime.bin`) and each disk's growth samples (`disk-growth.json`). Results are added under a
/// lock (cheap: a few integers per result); the files are written on a queue of their own every
/// minute (less often when the uptime file is big: `WritePace`) and when the agent stops, never
/// on the cooperative pool.
final class HistoryStore: Sendable {
    private let uptime: Mutex<UptimeHistory>
    private let disks: Mutex<[String: DiskCheck.History]>
    private let uptimeFile: UptimeFile
    private let diskFile: DiskGrowthFile
    private let logger: Logger
    private let health: StateFolderHealth?
    private let queue = DispatchQueue(label: "hostwatch.history")

    init(stateDir: String, logger: Logger, health: StateFolderHealth? = nil) {
        uptimeFile = UptimeFile(stateDir: stateDir)
        diskFile = DiskGrowthFile(stateDir: stateDir)
        self.logger = logger
        self.health = health
        var history = UptimeHistory()
        do { history = try uptimeFile.load() } catch {
            logger.error("uptime.unreadable", ["path": uptimeFile.path, "error": error.description])
        }
        uptime = Mutex(history)
        var samples: [String: [DiskGrowth.Sample]] = [:]
        do { samples = try diskFile.load() } catch {
            logger.error("disk_growth.unreadable", ["path": diskFile.path, "error": error.description])
        }
        disks = Mutex(samples.mapValues { DiskCheck.History(samples: $0) })
        saveEveryMinute()
    }

    /// Every minute, or at the pace of `WritePace` for a big uptime file (2.2 MB at 40,000
    /// checks: every 9 minutes; a crash then loses that much uptime accounting, which shows as
    /// unobserved time, not downtime); every 5 seconds while a save fails (the state folder
    /// degraded until it works).
    private func saveEveryMinute(after seconds: Double = 60) {
        queue.asyncAfter(deadline: .now() + seconds) { [weak self] in
            guard let self else { return }
            let written = saveNow()
            saveEveryMinute(after: written.map { WritePace.gap(base: 60, bytes: $0) } ?? 5)
        }
    }

    /// Adds one result of a check run on `timing`: a gap up to twice the interval plus the
    /// timeout since its result before is observed time.
    func record(_ observation: Observation, timing: CheckTiming) {
        let gap = timing.interval * 2 + timing.timeout
        uptime.withLock {
            $0.record(observation.check, ok: observation.failure == nil, at: observation.startedAt, maxGap: gap)
        }
    }

    /// A copy of the uptime history as it is now.
    var current: UptimeHistory { uptime.withLock { $0 } }

    /// The figures of every check at `now`, by check.
    func figures(at now: Date) -> [CheckID: UptimeHistory.Figures] {
        let history = current
        return Dictionary(uniqueKeysWithValues: history.records.keys.map { ($0, history.figures(of: $0, at: now)) })
    }

    /// The growth history of the disk check of `mount`, the same object across reloads.
    func diskHistory(for mount: String) -> DiskCheck.History {
        disks.withLock { histories in
            if let kept = histories[mount] { return kept }
            let made = DiskCheck.History()
            histories[mount] = made
            return made
        }
    }

    /// Writes both files now (the agent stopping); returns once they are written.
    func save() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                self.saveNow()
                done.resume()
            }
        }
    }

    /// Writes both files: the uptime file's size, or nil when one failed.
    @discardableResult
    private func saveNow() -> Int? {
        var history = current
        history.forgetStale(at: Date())
        var saved = true
        var bytes = 0
        do {
            bytes = try uptimeFile.save(history)
            health?.wrote(uptimeFile.path)
        } catch {
            let news = health?.failed(uptimeFile.path, error: error.description) ?? true
            logger.log(news ? .error : .debug, "uptime.save_failed", ["path": uptimeFile.path, "error": error.description])
            saved = false
        }
        let samples = disks.withLock { $0.mapValues(\.samples) }
        guard !samples.isEmpty else { return saved ? bytes : nil }
        do {
            try diskFile.save(samples)
            health?.wrote(diskFile.path)
        } catch {
            let news = health?.failed(diskFile.path, error: error.description) ?? true
            logger.log(news ? .error : .debug, "disk_growth.save_failed", ["path": diskFile.path, "error": error.description])
            saved = false
        }
        return saved ? bytes : nil
    }
}
