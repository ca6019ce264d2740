import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// The run loop: runs each check on its interval (first run spread over the interval, rechecks
/// at the retry interval while failing), feeds the observations to the incident tracker, and
/// carries out its actions on the ticket store. The only place with effects.
actor Scheduler {
    private var tracker: IncidentTracker
    private let store: any TicketStore
    private let logger: Logger
    /// Open ticket ids by incident key.
    private var openTickets: [String: String] = [:]
    /// Actions the store has not taken yet (it failed: a full disk, a permission): retried in
    /// order on every observation, so a store outage delays a ticket but never loses one.
    private var backlog: [IncidentAction] = []
    /// The latest run of each check, for the metrics textfile.
    private var samples: [CheckID: MetricsSnapshot.CheckSample] = [:]
    /// Whether observations keep coming, for the watchdog and the heartbeat.
    private var liveness = Liveness(limit: .seconds(60), startedAt: .now)
    private var checkCount = 0

    init(server: Ticket.Server, store: any TicketStore, logger: Logger) {
        tracker = IncidentTracker(server: server)
        self.store = store
        self.logger = logger
    }

    /// Registers the checks and rebuilds known incidents from the open tickets, so a restart
    /// neither duplicates nor forgets one (DESIGN.md §5).
    func prepare(_ checks: [CheckFactory.Built]) throws(TicketStoreError) {
        for built in checks { tracker.register(built.check.id, subject: built.subject) }
        checkCount = checks.count
        liveness = Liveness(limit: Liveness.limit(for: checks.map(\.check.timing)), startedAt: .now)
        for ticket in try store.openTickets() {
            openTickets[ticket.key] = ticket.id
            tracker.adopt(openTicketKey: ticket.key, openedAt: ticket.since)
            logger.info("incident.adopted", ["ticket": ticket.id, "key": ticket.key])
        }
    }

    /// Runs every check until the surrounding task is cancelled (with no checks too: the
    /// heartbeat and the metrics go on).
    nonisolated func run(_ checks: [CheckFactory.Built]) async {
        await withTaskGroup(of: Void.self) { group in
            for built in checks {
                group.addTask { await self.loop(built.check) }
            }
        }
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    /// How the scheduler is doing. An `await` on the actor: a scheduler stuck inside a call (a
    /// store write hanging on its lock) never answers, so whoever waits for this stops pinging.
    func heartbeat() -> Liveness.Verdict {
        liveness.verdict(at: .now, checks: checkCount)
    }

    /// The latest run of every check that has run.
    func latestSamples() -> [MetricsSnapshot.CheckSample] {
        Array(samples.values)
    }

    private nonisolated func loop(_ check: any Check) async {
        let timing = check.timing
        // Spread first runs over the interval (at most 5 s) by a stable hash of the check,
        // so a thousand checks do not all start in the same instant.
        let spreadMs = min(timing.interval.milliseconds, 5000)
        let offset = spreadMs > 0 ? Int64(Self.stableHash(check.id.description) % UInt64(spreadMs)) : 0
        try? await Task.sleep(for: .milliseconds(offset))
        while !Task.isCancelled {
            let observation = await check.run(now: Date())
            if Task.isCancelled { break }
            let unsettled = await record(observation)
            try? await Task.sleep(for: unsettled ? timing.retryInterval : timing.interval)
        }
    }

    private func record(_ observation: Observation) -> Bool {
        samples[observation.check] = MetricsSnapshot.CheckSample(observation)
        liveness.progressed(at: .now)
        if let failure = observation.failure {
            logger.info("check.failed", ["check": observation.check.description, "kind": failure.kind.rawValue, "message": failure.message])
        } else {
            logger.debug("check.ok", ["check": observation.check.description, "summary": observation.summary])
        }
        backlog += tracker.record(observation, at: Date())
        flushBacklog()
        return tracker.isUnsettled(observation.check)
    }

    private func flushBacklog() {
        while let action = backlog.first {
            do {
                try perform(action)
                backlog.removeFirst()
            } catch {
                logger.error("store.failed", ["error": error.description, "pending_actions": "\(backlog.count)"])
                return
            }
        }
    }

    private func perform(_ action: IncidentAction) throws(TicketStoreError) {
        do {
            switch action {
            case .open(let draft):
                let ticket = try store.open(draft)
                openTickets[draft.key] = ticket.id
                logger.info("ticket.opened", ["ticket": ticket.id, "key": draft.key, "severity": draft.severity.rawValue,
                                              "subject": draft.subject])
            case .update(let key, let step):
                guard let id = openTickets[key] else { return }
                _ = try store.update(id: id) { ticket throws(TicketStoreError) in ticket.addStep(step) }
                logger.info("ticket.updated", ["ticket": id, "key": key])
            case .resolve(let key, let time, let step):
                guard let id = openTickets[key] else { return }
                let ticket = try store.update(id: id) { ticket throws(TicketStoreError) in
                    guard ticket.status != .resolved else { return }
                    ticket.resolve(at: time, step: step.text)
                }
                openTickets.removeValue(forKey: key)
                logger.info("ticket.resolved", ["ticket": id, "key": key, "downtime_s": "\(ticket.downtimeSeconds ?? 0)"])
            }
        } catch .unknownTicket(let id) {
            // Removed by hand from the state folder: nothing left to update.
            logger.warning("ticket.missing", ["ticket": id])
            openTickets = openTickets.filter { $0.value != id }
        }
    }

    /// FNV-1a: stable across runs, unlike `Hasher`.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
