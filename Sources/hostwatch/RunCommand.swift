import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// `hostwatch run`: the agent in the foreground until SIGTERM or SIGINT. Under systemd
/// (`Type=notify`) it reports READY, RELOADING, STOPPING and the watchdog keep-alive itself.
enum RunCommand {
    static func run(_ options: CommandLineOptions) async throws(UsageError) -> Int32 {
        try options.allow(["verbose"])
        guard options.positional.isEmpty else { throw UsageError("run takes no arguments") }
        let logger = Logger(label: "hostwatch", level: options.flags.contains("verbose") ? .debug : .info)
        let environment = ProcessInfo.processInfo.environment
        let notifier: SystemdNotifier?
        do { notifier = try SystemdNotifier.fromEnvironment(environment) } catch {
            logger.error("systemd.notify_unusable", ["error": error.description])
            notifier = nil
        }
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
        let http = CurlHTTPTransport(loop: loop)
        let checks = CheckFactory(agent: config.agent, http: http).build(config.domains)
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
        let status = "watching \(checks.count) checks of \(config.domains.count) domains"
        notify(notifier, logger) { try $0.ready(status: status) }
        let selfWatch = Task {
            await watchItself(config: config.agent, scheduler: scheduler, store: store, http: http, notifier: notifier,
                              environment: environment, logger: logger)
        }
        let signals = SignalHandling([SIGTERM, SIGINT, SIGHUP]) { signal in
            if signal == SIGHUP {
                // The manager waits for READY after RELOADING: say both, so `systemctl reload`
                // returns, until reloading the config in place exists.
                notify(notifier, logger) { try $0.reloading() }
                logger.warning("reload.unsupported", ["detail": "this build reloads on restart only"])
                notify(notifier, logger) { try $0.ready(status: status) }
                return
            }
            notify(notifier, logger) { try $0.stopping() }
            logger.info("agent.stopping", ["signal": signal == SIGTERM ? "TERM" : "INT"])
            work.cancel()
            selfWatch.cancel()
            // Transfers in flight end at once instead of running to their timeouts.
            loop.shutdown()
        }
        await work.value
        await selfWatch.value
        signals.cancel()
        logger.info("agent.stopped")
        return 0
    }

    /// The agent watching itself: the systemd watchdog, the heartbeat and the metrics
    /// textfile, each only when configured, until cancelled.
    static func watchItself(config: AgentConfig, scheduler: Scheduler, store: FileTicketStore, http: CurlHTTPTransport,
                            notifier: SystemdNotifier?, environment: [String: String], logger: Logger) async {
        let health: @Sendable () async -> Liveness.Verdict = { await scheduler.heartbeat() }
        await withTaskGroup(of: Void.self) { group in
            if let notifier, let every = SystemdNotifier.watchdogPingInterval(environment) {
                logger.info("watchdog.enabled", ["ping_every_ms": "\(every.milliseconds)"])
                group.addTask { await WatchdogPinger(notifier: notifier, every: every, logger: logger, health: health).run() }
            }
            if let heartbeat = config.heartbeat {
                logger.info("heartbeat.enabled", ["target": heartbeat.target, "every": DurationText.format(heartbeat.every)])
                group.addTask {
                    await HeartbeatSender(configuration: heartbeat, transport: http, caFile: config.caFile, logger: logger, health: health).run()
                }
            }
            if let metrics = config.metrics {
                logger.info("metrics.enabled", ["textfile": metrics.textfile, "every": DurationText.format(metrics.every)])
                group.addTask {
                    await MetricsExporter(configuration: metrics, logger: logger) {
                        let samples = await scheduler.latestSamples()
                        var open: [Severity: Int]?
                        do {
                            let unresolved = try store.list().filter { $0.status != .resolved }
                            open = Dictionary(grouping: unresolved, by: \.severity).mapValues(\.count)
                        } catch {
                            logger.warning("metrics.store_unreadable", ["error": "\(error)"])
                        }
                        // The outbox does not exist yet: nothing is ever pending.
                        return MetricsSnapshot(checks: samples, openIncidents: open, outboxPending: 0, takenAt: Date())
                    }.run()
                }
            }
        }
    }

    /// Sends one notification when running under systemd; a failure is logged, never fatal.
    static func notify(_ notifier: SystemdNotifier?, _ logger: Logger, _ send: (SystemdNotifier) throws -> Void) {
        guard let notifier else { return }
        do { try send(notifier) } catch { logger.warning("systemd.notify_failed", ["error": "\(error)"]) }
    }
}
