import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// `hostwatch run`: the agent in the foreground until SIGTERM or SIGINT; SIGHUP reloads the
/// config (a bad config keeps the old one running and says why).
enum RunCommand {
    static func run(_ options: CommandLineOptions) async throws(UsageError) -> Int32 {
        try options.allow(["verbose"])
        guard options.positional.isEmpty else { throw UsageError("run takes no arguments") }
        let logger = Logger(label: "hostwatch", level: options.flags.contains("verbose") ? .debug : .info)
        guard let config = Commands.loadConfig(options) else { return 1 }
        let store: FileTicketStore
        do {
            store = try FileTicketStore(folder: config.agent.stateDir)
            try store.repair()
        } catch {
            logger.error("store.unavailable", ["state_dir": config.agent.stateDir, "error": error.description])
            return 1
        }
        // Signals first, so none is lost while the agent starts.
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let handling = SignalHandling([SIGTERM, SIGINT, SIGHUP]) { continuation.yield($0) }
        defer { handling.cancel() }

        var loop = CurlMultiLoop(maxInFlight: config.agent.limits.inFlight)
        var checks = CheckFactory(agent: config.agent, http: CurlHTTPTransport(loop: loop)).build(config.domains)
        let scheduler = Scheduler(config: config.agent, store: store, logger: logger)
        do {
            try await scheduler.prepare(checks, at: Date())
        } catch {
            logger.error("store.unreadable", ["state_dir": config.agent.stateDir, "error": error.description])
            return 1
        }
        logger.info("agent.started", ["config": config.path, "domains": "\(config.domains.count)", "checks": "\(checks.count)",
                                      "state_dir": config.agent.stateDir])
        var current = config
        var work = Task { [checks] in await scheduler.run(checks) }
        for await signal in signals {
            if signal != SIGHUP {
                logger.info("agent.stopping", ["signal": signal == SIGTERM ? "TERM" : "INT"])
                work.cancel()
                // Transfers in flight end at once instead of running to their timeouts.
                loop.shutdown()
                break
            }
            let reloaded: LoadedConfig
            do {
                reloaded = try ConfigFile.load(path: current.path)
            } catch {
                logger.error("reload.rejected", ["config": current.path, "errors": "\(error.errors.filter { !$0.isNotice }.count)",
                                                 "first": error.errors.first?.description ?? ""])
                continue
            }
            guard reloaded.agent.stateDir == current.agent.stateDir else {
                logger.error("reload.rejected", ["config": current.path, "reason": "state_dir changed; restart the agent to move it"])
                continue
            }
            work.cancel()
            loop.shutdown()
            await work.value
            loop = CurlMultiLoop(maxInFlight: reloaded.agent.limits.inFlight)
            checks = CheckFactory(agent: reloaded.agent, http: CurlHTTPTransport(loop: loop)).build(reloaded.domains)
            await scheduler.reconfigure(reloaded.agent, checks: checks, at: Date())
            current = reloaded
            work = Task { [checks] in await scheduler.run(checks) }
            logger.info("agent.reloaded", ["domains": "\(reloaded.domains.count)", "checks": "\(checks.count)"])
        }
        await work.value
        await scheduler.tick()
        logger.info("agent.stopped")
        return 0
    }
}
