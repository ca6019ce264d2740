import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// `hostwatch run`: the agent in the foreground until SIGTERM or SIGINT; SIGHUP reloads the
/// config (a bad config keeps the old one running and says why). Under systemd
/// (`Type=notify`) it reports READY, RELOADING, STOPPING and the watchdog keep-alive itself.
enum RunCommand {
    static func run(_ options: CommandLineOptions) async throws(UsageError) -> Int32 {
        try options.allow(["verbose"])
        guard options.positional.isEmpty else { throw UsageError("run takes no arguments") }
        let logger = Logger(label: "hostwatch", level: options.flags.contains("verbose") ? .debug : .info)
        let environment = ProcessInfo.processInfo.environment
        FreedMemory.mapLargeBlocksApart(environment: environment)
        let notifier: SystemdNotifier?
        do { notifier = try SystemdNotifier.fromEnvironment(environment) } catch {
            logger.error("systemd.notify_unusable", ["error": error.description])
            notifier = nil
        }
        guard var config = Commands.loadConfig(options) else { return 1 }
        let store: FileTicketStore
        do {
            store = try FileTicketStore(folder: config.agent.stateDir)
            try store.repair()
        } catch {
            logger.error("store.unavailable", ["state_dir": config.agent.stateDir, "error": error.description])
            return 1
        }
        let openFiles = OpenFileLimit.raise()
        // Signals first, so none is lost while the agent starts.
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        let handling = SignalHandling([SIGTERM, SIGINT, SIGHUP]) { continuation.yield($0) }
        defer { handling.cancel() }

        // A state folder that cannot be written (full, read-only) is logged once and shown in
        // `systemctl status` until every write works again.
        let health = StateFolderHealth(folder: config.agent.stateDir, logger: logger) { [notifier] line in
            notify(notifier, logger) { try $0.status(line) }
        }
        var loop = CurlMultiLoop(maxInFlight: config.agent.limits.inFlight, keptConnections: CheckFactory.keptConnections(config, openFiles: openFiles))
        var dnsLoop = DNSSocketLoop(maxInFlight: config.agent.limits.inFlight)
        // Uptime and disk growth, kept across restarts; the status page, when configured.
        let history = HistoryStore(stateDir: config.agent.stateDir, logger: logger, health: health)
        let firstFactory = factory(config, loop, dnsLoop, history)
        var certificates = firstFactory.certificates
        var checks = firstFactory.build(config.domains, disks: true)
        var pages: StatusPagePublisher?
        if let settings = config.agent.statusPage {
            pages = StatusPagePublisher(settings: settings, history: history, store: store, logger: logger)
            pages?.configure(settings, checks: checks)
        }
        let scheduler = Scheduler(config: config.agent, store: store, logger: logger, health: health)
        await scheduler.observe(results: { history.record($0, timing: $1) }, status: { [pages] in pages?.update($0) })
        do {
            try await scheduler.prepare(checks, at: Date())
        } catch {
            logger.error("store.unreadable", ["state_dir": config.agent.stateDir, "error": error.description])
            return 1
        }
        // Delivery: its own libcurl loop and task, beside the checks, never in their way.
        let deliveryLoop = CurlMultiLoop(maxInFlight: 64)
        let delivery = OutboxDelivery(store: store, server: Ticket.Server(name: config.agent.server.name, address: config.agent.server.address),
                                      destinations: SinkFactory(loop: deliveryLoop).build(config.agent.delivery.sinks),
                                      policy: config.agent.delivery.retry, logger: logger, health: health)
        await scheduler.onTicketChange { delivery.nudge() }
        let delivering = Task { await delivery.run() }
        logger.info("agent.started", ["config": config.path, "domains": "\(config.domains.count)", "checks": "\(checks.count)",
                                      "state_dir": config.agent.stateDir])
        health.setNormal("watching \(checks.count) checks of \(config.domains.count) domains")
        // The parsed domain files and the subjects beside the checks are let go: the tracker
        // keeps the subjects, the run loop needs only the checks (issue 16: at 10,000 domains
        // the two were 20 MB the agent carried for nothing).
        config = config.releasingDomains()
        var work = Task { [running = checks.map(\.check)] in await scheduler.run(running) }
        checks = []
        var current = config
        notify(notifier, logger) { try $0.ready(status: health.status) }
        // The heartbeat has a loop of its own: a reload replaces the checks' loop.
        let selfWatchLoop = CurlMultiLoop(maxInFlight: 4)
        var selfWatch = Task { [current] in
            await watchItself(config: current.agent, scheduler: scheduler, store: store, history: history,
                              http: CurlHTTPTransport(loop: selfWatchLoop), notifier: notifier, environment: environment, logger: logger)
        }
        // Rediscovery (`discovery.every`) changes checks/discovered/ and reloads like SIGHUP.
        var rediscovery = startDiscovery(current, logger: logger) { continuation.yield(SIGHUP) }
        for await signal in signals {
            if signal != SIGHUP {
                notify(notifier, logger) { try $0.stopping() }
                logger.info("agent.stopping", ["signal": signal == SIGTERM ? "TERM" : "INT"])
                work.cancel()
                selfWatch.cancel()
                rediscovery?.cancel()
                // Transfers in flight end at once instead of running to their timeouts.
                loop.shutdown()
                dnsLoop.shutdown()
                selfWatchLoop.shutdown()
                break
            }
            notify(notifier, logger) { try $0.reloading() }
            defer { notify(notifier, logger) { try $0.ready(status: health.status) } }
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
            selfWatch.cancel()
            loop.shutdown()
            dnsLoop.shutdown()
            await work.value
            await selfWatch.value
            loop = CurlMultiLoop(maxInFlight: reloaded.agent.limits.inFlight, keptConnections: CheckFactory.keptConnections(reloaded, openFiles: openFiles))
            dnsLoop = DNSSocketLoop(maxInFlight: reloaded.agent.limits.inFlight)
            // The sites' certificate examinations and TLS sessions carry over (swept of the
            // ones that no longer stand): a new memory would examine every site again at once.
            // Not when the CA file changed: then examining every site again is the point.
            let reloadedFactory = factory(reloaded, loop, dnsLoop, history, keeping: certificates)
            certificates = reloadedFactory.certificates
            checks = reloadedFactory.build(reloaded.domains, disks: true)
            if let settings = reloaded.agent.statusPage {
                if pages == nil { pages = StatusPagePublisher(settings: settings, history: history, store: store, logger: logger) }
                pages?.configure(settings, checks: checks)
            } else {
                pages = nil
            }
            await scheduler.observe(results: { history.record($0, timing: $1) }, status: { [pages] in pages?.update($0) })
            await scheduler.reconfigure(reloaded.agent, checks: checks, at: Date(), goneDomains: goneDomains(from: current, to: reloaded))
            await delivery.reconfigure(SinkFactory(loop: deliveryLoop).build(reloaded.agent.delivery.sinks), policy: reloaded.agent.delivery.retry)
            health.setNormal("watching \(checks.count) checks of \(reloaded.domains.count) domains")
            logger.info("agent.reloaded", ["domains": "\(reloaded.domains.count)", "checks": "\(checks.count)"])
            current = reloaded.releasingDomains()
            work = Task { [running = checks.map(\.check)] in await scheduler.run(running) }
            checks = []
            selfWatch = Task { [current] in
                await watchItself(config: current.agent, scheduler: scheduler, store: store, history: history,
                                  http: CurlHTTPTransport(loop: selfWatchLoop), notifier: notifier, environment: environment, logger: logger)
            }
            rediscovery?.cancel()
            rediscovery = startDiscovery(current, logger: logger) { continuation.yield(SIGHUP) }
        }
        await work.value
        await selfWatch.value
        await scheduler.finish()
        await history.save()
        await pages?.finish()
        delivering.cancel()
        deliveryLoop.shutdown()
        await delivering.value
        // The libcurl threads must be out of OpenSSL before the process exits and its exit
        // handlers run.
        for curlLoop in [loop, selfWatchLoop, deliveryLoop] { curlLoop.shutdownAndWait() }
        logger.info("agent.stopped")
        return 0
    }
    /// The check factory of the agent: disk checks keep their growth samples in `history`.
    static func factory(_ config: LoadedConfig, _ loop: CurlMultiLoop, _ dnsLoop: DNSSocketLoop, _ history: HistoryStore,
                        keeping certificates: CertificateMemory? = nil) -> CheckFactory {
        var factory = CheckFactory(config: config, loop: loop, dnsLoop: dnsLoop, keeping: certificates)
        factory.diskHistories = history
        factory.transcribesPassingRuns = false
        return factory
    }

    /// The rediscovery task (when `discovery.every` is set) beside the folder watch.
    /// Also watches `checks/discovered/` for a `discover --write` by hand.
    static func startDiscovery(_ config: LoadedConfig, logger: Logger, reload: @escaping @Sendable () -> Void) -> Task<Void, Never>? {
        let folder = DiscoveredFolder(checksDir: config.agent.checksDir).path
        let every = config.agent.discovery.every
        return Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await DiscoveryLoop.watchFolder(folder, reload: reload) }
                if let every { group.addTask { await DiscoveryLoop.run(config: config, every: every, logger: logger, reload: reload) } }
            }
        }
    }

    /// Domains whose generated file is gone after a reload: no longer hosted here.
    static func goneDomains(from old: LoadedConfig, to new: LoadedConfig) -> Set<String> {
        let still = new.origins
        return old.origins.generated.subtracting(still.generated).subtracting(still.handWritten)
    }

    /// The agent watching itself: the systemd watchdog, the heartbeat and the metrics
    /// textfile, each only when configured, until cancelled.
    static func watchItself(config: AgentConfig, scheduler: Scheduler, store: FileTicketStore, history: HistoryStore, http: CurlHTTPTransport,
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
                        // Without sinks nothing waits: the outbox drops such events at once.
                        let pending = config.delivery.sinks.isEmpty ? 0 : (try? store.outbox.entries().count) ?? 0
                        var snapshot = MetricsSnapshot(checks: samples, openIncidents: open, outboxPending: pending, takenAt: Date())
                        snapshot.uptime = history.figures(at: snapshot.takenAt)
                        (snapshot.lateness, snapshot.started) = await scheduler.schedulingFigures()
                        return snapshot
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
