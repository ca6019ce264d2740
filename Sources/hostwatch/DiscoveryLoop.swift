import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// The agent's own rediscovery (`discovery.every`, DESIGN.md §9): every `every` it reads the
/// sources, brings `checks/discovered/` up to date and asks for a reload, which applies the
/// change like SIGHUP (no restart; checks that remain keep their state). The diff is logged a
/// line per domain. A result that would stop watching more than 20 % of the watched domains
/// is held back until the same result has been seen three times in a row.
enum DiscoveryLoop {
    /// How many identical held-back results in a row apply it.
    static let confirmations = 3

    /// Runs until cancelled; `reload` is called after files changed.
    static func run(config: LoadedConfig, every: Duration, logger: Logger, reload: @escaping @Sendable () -> Void) async {
        var held: [String]?
        var seen = 0
        while !Task.isCancelled {
            do { try await Task.sleep(for: every) } catch { return }
            // The commands block a thread each: keep them off the cooperative pool.
            let (sources, outcome) = await Task.detached { DiscoverCommand.discover(config) }.value
            if Task.isCancelled { return }
            for warning in sources.warnings { logger.warning("discovery.source_failed", ["warning": warning]) }
            for domain in outcome.keptForFailedSources {
                logger.warning("discovery.kept", ["domain": domain, "reason": "a source failed: \(sources.failed.joined(separator: ","))"])
            }
            if outcome.holdsBack {
                seen = held == outcome.gone ? seen + 1 : 1
                held = outcome.gone
                guard seen >= confirmations else {
                    logger.warning("discovery.held_back", ["gone": "\(outcome.gone.count)", "watched": "\(outcome.diff.watchedCount)",
                                                           "seen": "\(seen)/\(confirmations)"])
                    continue
                }
            }
            held = nil
            seen = 0
            let changes = outcome.entries.filter(\.writes)
            guard !changes.isEmpty || !outcome.gone.isEmpty else { continue }
            for entry in changes { logger.info("discovery.domain", ["domain": entry.domain.domain, "diff": entry.change.rawValue]) }
            for domain in outcome.gone { logger.info("discovery.domain", ["domain": domain, "diff": "gone"]) }
            let (written, removed, errors) = DiscoveredFolder(checksDir: config.agent.checksDir).apply(outcome)
            for error in errors { logger.error("discovery.write_failed", ["error": error.description]) }
            logger.info("discovery.applied", ["written": "\(written)", "removed": "\(removed)"])
            reload()
        }
    }

    /// Watches `checks/discovered/` for `hostwatch discover --write` run by hand: a change of
    /// the folder (a file renamed in or removed) reloads, so the running agent picks it up
    /// without a restart. Polls its modification time every `every`.
    static func watchFolder(_ path: String, every: Duration = .seconds(2), reload: @escaping @Sendable () -> Void) async {
        func stamp() -> timespec? {
            var info = stat()
            return stat(path, &info) == 0 ? info.st_mtim : nil
        }
        var last = stamp()
        while !Task.isCancelled {
            do { try await Task.sleep(for: every) } catch { return }
            let now = stamp()
            if now?.tv_sec != last?.tv_sec || now?.tv_nsec != last?.tv_nsec {
                last = now
                reload()
            }
        }
    }
}
