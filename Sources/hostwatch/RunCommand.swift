import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// `hostwatch run`: the agent in the foreground until SIGTERM or SIGINT.
enum RunCommand {
    static func run(_ options: CommandLineOptions) async throws(UsageError) -> Int32 {
        try options.allow([])
        guard options.positional.isEmpty else { throw UsageError("run takes no arguments") }
        let logger = Logger(label: "hostwatch", level: options.flags.contains("verbose") ? .debug : .info)
        guard let config = Commands.loadConfig(options) else { return 1 }
        let store: FileTicketStore
        do {
            store = try FileTicketStore(folder: config.agent.stateDir)
            try store.rebuildIndex()
        } catch {
            logger.error("store.unavailable", ["state_dir": config.agent.stateDir, "error": error.description])
            return 1
        }
        let loop = CurlMultiLoop(maxInFlight: config.agent.limits.inFlight)
        let dnsLoop = DNSSocketLoop(maxInFlight: config.agent.limits.inFlight)
        let checks = CheckFactory(agent: config.agent, http: CurlHTTPTransport(loop: loop), dns: SocketDNSTransport(loop: dnsLoop),
                                  disk: LocalDiskTransport()).build(config.domains, disks: true)
        let server = Ticket.Server(name: config.agent.server.name, address: config.agent.server.address)
        let scheduler = Scheduler(server: server, store: store, logger: logger)
        do {
            try await scheduler.prepare(checks)
        } catch {
            logger.error("store.unreadable", ["state_dir": config.agent.stateDir, "error": error.description])
            return 1
        }
        logger.info("agent.started", ["config": config.path, "domains": "\(config.domains.count)", "checks": "\(checks.count)",
                                      "state_dir": config.agent.stateDir])
        let work = Task { await scheduler.run(checks) }
        let signals = SignalHandling([SIGTERM, SIGINT, SIGHUP]) { signal in
            if signal == SIGHUP {
                logger.warning("reload.unsupported", ["detail": "this build reloads on restart only"])
                return
            }
            logger.info("agent.stopping", ["signal": signal == SIGTERM ? "TERM" : "INT"])
            work.cancel()
            // Transfers in flight end at once instead of running to their timeouts.
            loop.shutdown()
            dnsLoop.shutdown()
        }
        await work.value
        signals.cancel()
        logger.info("agent.stopped")
        return 0
    }
}
