import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// The run loop: runs each check on its interval (first run spread over the interval, rechecks
/// at the retry interval while failing), feeds the observations to the incident tracker, and
/// carries out its actions on the ticket store. Every second it also ticks the tracker
/// (reminders, silences ending, flapping settling), takes up silences and acknowledgements
/// written by the CLI, and saves the tracker's state and the status snapshot. The only place
/// with effects.
actor Scheduler {
    private var tracker: IncidentTracker
    private let store: FileTicketStore
    private let silenceStore: FileSilenceStore
    private let stateFile: JSONStateFile<IncidentTracker.State>
    private let statusPath: String
    private let writer: StateWriter
    private let logger: Logger
    /// Failed and working writes of the state folder: logged once per change, and told to systemd.
    private let health: StateFolderHealth
    private var maintenance: [Silence]
    /// The latest ticket id per incident key (open or resolved), for updates and reopening.
    private var ticketIDs: [String: String] = [:]
    /// Actions the store has not taken yet (it failed: a full disk, a permission): retried in
    /// order, so a store outage delays a ticket but never loses one.
    private var backlog: [IncidentAction] = []
    /// Evidence collected for a ticket the store could not take then (a full disk): attached
    /// at the next tick that can write, oldest first; at most `unattachedLimit` kept.
    private var unattached: [(id: String, pieces: [Ticket.Attachment], at: Date)] = []
    private let unattachedLimit = 50
    /// What the scheduler remembers of a check's runs, in one entry per check: five
    /// dictionaries keyed by check held 40,000 keys each (3–9 MB a dictionary, and five lookups
    /// a result; issue 16).
    private struct CheckMemory {
        /// The latest run, for the metrics textfile (and its start for `hostwatch status`); the
        /// check is the key, not kept twice.
        var startedAt = Date.distantPast
        var duration = Duration.zero
        var certificateExpiry: Date?
        /// The latest run's summary, for `hostwatch status`.
        var summary = ""
        /// What the check showed at its latest run: ok, or its failure's gist; nil before one.
        var shown: String?
        /// The last runs, packed: the evidence of the incidents the check joins.
        var recent: RecentRuns
        /// The latest transcript while the check fails.
        var failingTranscript: String?

        var up: Bool { failingTranscript == nil }

        init(runsKept: Int) {
            recent = RecentRuns(capacity: runsKept)
        }

        /// Takes in a new run that shows `now` (ok, or its failure's gist); returns what the
        /// check showed before it.
        mutating func remember(_ observation: Observation, showing now: String) -> String? {
            let before = shown
            startedAt = observation.startedAt
            duration = observation.duration
            certificateExpiry = observation.certificateExpiry
            summary = observation.summary
            shown = now
            recent.append(at: observation.startedAt, ok: observation.failure == nil, summary: observation.summary, duration: observation.duration)
            failingTranscript = observation.failure == nil ? nil : observation.transcript.rendered
            return before
        }
    }

    /// The checks' memories side by side, in the order of their IDs (the textfile's order): an
    /// array instead of a dictionary of 65,536 slots at 40,000 checks (8.9 → 4.8 MB in issue
    /// 16's scale run); a check is found by binary search.
    private struct CheckMemories {
        /// The registered checks, sorted.
        private var ids: [CheckID] = []
        private var entries: [CheckMemory?] = []

        func position(of check: CheckID) -> Int? {
            var low = 0, high = ids.count
            while low < high {
                let middle = (low + high) / 2
                if ids[middle] < check { low = middle + 1 } else { high = middle }
            }
            return low < ids.count && ids[low] == check ? low : nil
        }

        /// The memory of a check that has run.
        subscript(check: CheckID) -> CheckMemory? {
            position(of: check).flatMap { entries[$0] }
        }

        /// Takes in a run of a registered check; returns what it showed before (nil for its
        /// first run, and for a check no longer registered, which is not kept).
        mutating func remember(_ observation: Observation, showing shown: String, runsKept: Int) -> String? {
            guard let at = position(of: observation.check) else { return nil }
            if entries[at] == nil { entries[at] = CheckMemory(runsKept: runsKept) }
            return entries[at]!.remember(observation, showing: shown)
        }

        /// The checks now registered: the memories of those that stay are kept.
        mutating func register(_ checks: Set<CheckID>) {
            let sorted = checks.sorted()
            var kept: [CheckMemory?] = []
            kept.reserveCapacity(sorted.count)
            var old = 0
            for check in sorted {
                while old < ids.count, ids[old] < check { old += 1 }
                kept.append(old < ids.count && ids[old] == check ? entries[old] : nil)
            }
            ids = sorted
            entries = kept
        }

        /// The memory of every check that has run, in the IDs' order.
        func forEachRun(_ body: (CheckID, CheckMemory) -> Void) {
            for (check, entry) in zip(ids, entries) {
                if let entry { body(check, entry) }
            }
        }
    }

    private var memory = CheckMemories()
    private let historyLength = 20
    private var collector: EvidenceCollector
    /// Something `hostwatch status` shows changed since the snapshot was last written: a check's
    /// first result, a check turning ok, failing or down, a new failure message, an incident.
    /// Routine results of a steady check change nothing (issue 16: rewriting the snapshot of
    /// every check each second cost more than the checks).
    private var statusDirty = true
    /// An incident opened, resolved or reopened: the snapshot is written within `soonSave` (the
    /// next tick when none was written for that long), whatever `statusEvery` says.
    private var incidentsChanged = false
    /// Else the snapshot is written at most once per `statusEvery` (the shortest check interval),
    /// and a big one less often (`WritePace`: 8 MB at 40,000 checks, every half hour).
    private var statusEvery: TimeInterval = 1
    private var lastStatusWrite: Date?
    /// When the tracker's state was last saved: at once after an incident opened, resolved or
    /// reopened (a restart must know every ticket it made), within `soonSave` after members
    /// joined or left one (`stateChanged`), else at most every `routineSave` (only debounce
    /// counters move in between).
    private var lastStateSave: Date?
    private var stateChanged = false
    private let soonSave: TimeInterval = 10
    private let routineSave: TimeInterval = 300
    /// Called after each ticket change the scheduler made (the outbox delivers at once).
    private var ticketChanged: @Sendable () -> Void = {}
    private var resultObserver: @Sendable (Observation, CheckTiming) -> Void = { _, _ in }
    private var statusObserver: @Sendable (StatusSnapshot) -> Void = { _ in }
    private var archiveAfter: Duration
    private var lastArchive: Date?
    /// Whether observations keep coming, for the watchdog and the heartbeat.
    private var liveness = Liveness(limit: .seconds(60), startedAt: .now)
    private var checkCount = 0
    /// How late checks started, and how many started, by kind: for the metrics textfile.
    private var latenesses = LatenessHistogram()
    private var started: [String: UInt64] = [:]
    /// When the log last summed up the checks still down (once per `remind_every`).
    private var lastDownSummary = Date()
    private var remindEvery: TimeInterval
    /// Per ticket, the failures (by gist) that already have a transcript attached: a member that
    /// joins later with a new error gets one, a hundred with the same error do not.
    private var transcribed: [String: Set<String>] = [:]
    /// Per ticket, the checks `members.txt` lists.
    private var listedMembers: [String: Set<String>] = [:]
    /// Remediation rules and the runs made (saved in `remediation.json`: a restart never runs
    /// a command again for the same incident, nor beyond the hourly limit).
    private var remediation: RemediationPlanner
    private let remediationFile: JSONStateFile<[RemediationPlanner.Run]>
    /// Commands that ran, waiting to see whether their incident resolves within `verify_within`.
    private var verifying: [String: (rule: RemediationRule, ranAt: Date, openedAt: Date)] = [:]
    private let transcriptsPerTicket = 20

    init(config: AgentConfig, store: FileTicketStore, logger: Logger, health: StateFolderHealth) {
        tracker = IncidentTracker(server: Ticket.Server(name: config.server.name, address: config.server.address),
                                  settings: config.incidents)
        self.store = store
        silenceStore = FileSilenceStore(folder: config.stateDir)
        stateFile = JSONStateFile(path: config.stateDir + "/tracker.json", compact: true)
        statusPath = config.stateDir + "/status.json"
        writer = StateWriter(stateFile: stateFile, statusFile: JSONStateFile(path: statusPath, compact: true),
                             logger: logger, health: health)
        self.health = health
        maintenance = config.maintenance
        collector = EvidenceCollector(settings: config.evidence, redactor: Redactor(secrets: config.evidence.redact))
        archiveAfter = config.archiveAfter
        remindEvery = config.incidents.remindEvery.timeInterval
        remediationFile = JSONStateFile(path: config.stateDir + "/remediation.json", compact: true)
        let runs: [RemediationPlanner.Run]
        do {
            runs = try remediationFile.load() ?? []
        } catch {
            logger.error("state.unreadable", ["path": config.stateDir + "/remediation.json", "error": error.description])
            runs = []
        }
        remediation = RemediationPlanner(rules: config.remediation, runs: runs)
        self.logger = logger
    }

    /// Restores the tracker's saved state, registers the checks (forgetting removed ones), and
    /// rebuilds the incidents of open tickets the state does not know, by key, so a
    /// restart neither duplicates nor forgets one (DESIGN.md §5).
    func prepare(_ checks: [CheckFactory.Built], at now: Date) throws(TicketStoreError) {
        let saved: IncidentTracker.State?
        do {
            saved = try stateFile.load()
        } catch {
            logger.error("state.unreadable", ["path": stateFile.path, "error": error.description])
            saved = nil
        }
        if let saved { tracker.restore(saved) }
        register(checks)
        for summary in try store.list().reversed() { ticketIDs[summary.key] = summary.id }
        // Every open ticket the saved state does not know (none saved; or the agent was killed
        // after the ticket was written and before the state was): its incident is rebuilt, so
        // the recovery resolves it instead of leaving it open for good (issue 15's kill test).
        for ticket in try store.openTickets() where !tracker.knowsIncident(key: ticket.key) {
            tracker.adopt(openTicketKey: ticket.key, openedAt: ticket.since)
            if tracker.knowsIncident(key: ticket.key) {
                logger.info("incident.adopted", ["ticket": ticket.id, "key": ticket.key])
            }
        }
        backlog += tracker.dropUnregistered(at: now)
        refreshFromStore(at: now)
        flushBacklog()
        saveState(at: now, force: true)
        writeStatus(at: now)
    }

    /// Takes a new set of checks after a config reload: state of checks that still exist is
    /// kept; removed checks resolve their incidents.
    /// - Parameter goneDomains: discovered domains no source names any more.
    func reconfigure(_ config: AgentConfig, checks: [CheckFactory.Built], at now: Date, goneDomains: Set<String> = []) {
        let state = tracker.state
        tracker = IncidentTracker(server: Ticket.Server(name: config.server.name, address: config.server.address),
                                  settings: config.incidents)
        tracker.restore(state)
        maintenance = config.maintenance
        archiveAfter = config.archiveAfter
        remindEvery = config.incidents.remindEvery.timeInterval
        remediation.rules = config.remediation
        collector = EvidenceCollector(settings: config.evidence, redactor: Redactor(secrets: config.evidence.redact))
        register(checks)
        backlog += tracker.dropUnregistered(at: now, goneDomains: goneDomains)
        refreshFromStore(at: now)
        flushBacklog()
        saveState(at: now, force: true)
        writeStatus(at: now)
    }

    /// Sets what to call after each ticket change (the outbox's nudge).
    func onTicketChange(_ action: @escaping @Sendable () -> Void) {
        ticketChanged = action
    }

    /// Sets what to call with each result (the uptime history) and each status snapshot written
    /// (the status page); both only hand the value to a queue of their own.
    func observe(results: @escaping @Sendable (Observation, CheckTiming) -> Void, status: @escaping @Sendable (StatusSnapshot) -> Void) {
        resultObserver = results
        statusObserver = status
    }

    private func register(_ checks: [CheckFactory.Built]) {
        for built in checks { tracker.register(built.check.id, subject: built.subject) }
        checkCount = checks.count
        let shortest = checks.map { $0.check.timing.interval }.min() ?? .seconds(1)
        statusEvery = max(1, shortest.timeInterval)
        statusDirty = true
        liveness = Liveness(limit: Liveness.limit(for: checks.map(\.check.timing)), startedAt: .now)
        let current = Set(checks.map(\.check.id))
        memory.register(current)
    }

    /// How the scheduler is doing. An `await` on the actor: a scheduler stuck inside a call (a
    /// store write hanging on its lock) never answers, so whoever waits for this stops pinging.
    func heartbeat() -> Liveness.Verdict {
        liveness.verdict(at: .now, checks: checkCount)
    }

    /// The latest run of every check that has run, in the checks' order (the textfile's).
    func latestSamples() -> [MetricsSnapshot.CheckSample] {
        var samples: [MetricsSnapshot.CheckSample] = []
        memory.forEachRun { check, run in
            samples.append(MetricsSnapshot.CheckSample(check: check, up: run.up, startedAt: run.startedAt, duration: run.duration,
                                                       certificateExpiry: run.certificateExpiry))
        }
        return samples
    }

    /// How late checks started since the agent did, and how many started, by kind.
    func schedulingFigures() -> (lateness: LatenessHistogram, started: [String: UInt64]) {
        (latenesses, started)
    }

    /// Runs every check until the surrounding task is cancelled.
    ///
    /// One loop wakes once per slot of the grid and starts the checks due in it, each on a child
    /// task that lives only while its check runs: a sleeping task per check cost ~2.4 KB each,
    /// 100 MB for 40,000 checks (issue 16), and a timer each.
    nonisolated func run(_ checks: [any Check]) async {
        let clock = ContinuousClock()
        let origin = clock.now
        let slot = checks.map { CheckSchedule.slot(for: min($0.timing.interval, $0.timing.retryInterval)) }.min()
            ?? .milliseconds(250)
        let firstWithin = CheckSchedule.firstWithin(count: checks.count)
        let schedules = checks.map { check in
            CheckSchedule(interval: check.timing.interval, retryInterval: check.timing.retryInterval,
                          seed: Self.stableHash(check.id.description), slot: slot, firstWithin: firstWithin)
        }
        let wheel = DueWheel(slot: slot)
        for index in schedules.indices { wheel.add(index, at: schedules[index].first) }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.housekeeping() }
            var number: Int64 = 0
            while !Task.isCancelled {
                do { try await Task.sleep(until: origin + slot * number, clock: clock) } catch { break }
                // Every slot up to now, so a late wake-up starts what it missed (late, not never).
                let now = clock.now - origin
                let due = wheel.take(through: now)
                number = wheel.slotNumber(after: now)
                // In groups of 16, each a child with its checks as children of its own: the
                // runtime finds a finished child by walking its group's list, and one group
                // holding every check in flight (hundreds, with hung servers) made that walk 2.4 %
                // of the agent's CPU in issue 16's scale run.
                for start in stride(from: 0, to: due.count, by: Self.checksPerGroup) {
                    let batch = due[start..<min(due.count, start + Self.checksPerGroup)]
                    group.addTask {
                        await withDiscardingTaskGroup { batchGroup in
                            for (index, at) in batch {
                                let check = checks[index]
                                let schedule = schedules[index]
                                batchGroup.addTask {
                                    let lateness = clock.now - (origin + at)
                                    let observation = await check.run(now: Date())
                                    if Task.isCancelled { return }
                                    let unsettled = await self.record(observation, timing: check.timing, lateness: lateness)
                                    wheel.add(index, at: schedule.next(after: at, now: clock.now - origin, unsettled: unsettled))
                                }
                            }
                        }
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Checks started together under one child of the run loop's group.
    static let checksPerGroup = 16
    /// Seconds between two hand-backs of freed memory.
    static let trimEvery = 5

    private nonisolated func housekeeping() async {
        var seconds = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { break }
            await tick()
            seconds += 1
            // Hands memory freed since (a storm's transfers, a reload's checks) back to the
            // system: glibc keeps it otherwise, and RSS would stay at its peak for good. Every
            // 5 s: the pages a minute of finished transfers freed were 5-6 MiB of the scale
            // run's RSS with a trim a minute (160 → 154 MiB; every second gained nothing more,
            // and cost about 1 % of the agent's CPU in perf, in the trim, madvise and faults).
            if seconds % Self.trimEvery == 0 { FreedMemory.release() }
        }
    }

    private func record(_ observation: Observation, timing: CheckTiming, lateness: Duration) -> Bool {
        // Its summary and failure are kept (the check's memory, its recent runs, the tracker's
        // state) as the copies other checks keep of the same text.
        var observation = observation
        observation.shareText()
        let now = Date()
        latenesses.record(lateness)
        started[observation.check.kind, default: 0] += 1
        resultObserver(observation, timing)
        liveness.progressed(at: .now)
        // The gist is kept as the copy other checks failing alike keep.
        let shown = observation.failure.map { SharedText.one($0.gist) } ?? "ok"
        // Changed in place (the array yields the entry): a copy out and back would copy the
        // whole ring on every result.
        let before = memory.remember(observation, showing: shown, runsKept: historyLength)
        if before != shown { statusDirty = true }
        // The log says what changed (issue 13): a check starting to fail, failing differently,
        // or recovering; a check that stays down is summed up once per `remind_every`.
        if let failure = observation.failure {
            if before != shown {
                logger.info("check.failed", ["check": observation.check.description, "kind": failure.kind.rawValue, "message": failure.message])
            } else {
                logger.debug("check.failed", ["check": observation.check.description, "kind": failure.kind.rawValue, "message": failure.message])
            }
        } else if let before, before != "ok" {
            logger.info("check.recovered", ["check": observation.check.description, "summary": observation.summary])
        } else {
            logger.debug("check.ok", ["check": observation.check.description, "summary": observation.summary])
        }
        let incidentsBefore = tracker.openIncidentCount
        let actions = tracker.record(observation, at: now)
        let unsettled = tracker.isUnsettled(observation.check)
        if tracker.openIncidentCount != incidentsBefore, actions.isEmpty {
            // An incident began or ended without a ticket action (one resolved by hand ended,
            // an undecided check is waiting): status and the saved state follow all the same.
            statusDirty = true
            incidentsChanged = true
            stateChanged = true
        }
        // Counting up to an incident (failing 1/3, 2/3) shows in `status`; a check that stays
        // down or stays ok does not change it.
        if observation.failure != nil, unsettled { statusDirty = true }
        if !actions.isEmpty {
            backlog += actions
            flushBacklog()
            // A new, resolved or reopened incident is saved at once and shows in the snapshot
            // at the next tick; members joining or leaving are saved soon and shown at the
            // snapshot's own pace (issue 16: with thousands of checks joining a mass outage,
            // rewriting an 8 MB snapshot every 10 s was most of what reached the disk).
            statusDirty = true
            stateChanged = true
            if actions.contains(where: \.changesTickets) {
                incidentsChanged = true
                saveState(at: now, force: true)
            }
        }
        return unsettled
    }

    /// The last tick before the agent stops, saving the tracker's whole state.
    func finish() async {
        tick()
        let now = Date()
        saveState(at: now, force: true)
        writeStatus(at: now)
        await writer.finish()
    }

    /// Once a second: silences and acknowledgements from the CLI, tracker time rules, saving.
    func tick() {
        let now = Date()
        refreshFromStore(at: now)
        let actions = tracker.tick(at: now)
        backlog += actions
        flushBacklog()
        attachUnattached()
        if !actions.isEmpty {
            statusDirty = true
            stateChanged = true
            if actions.contains(where: \.changesTickets) { incidentsChanged = true }
        }
        saveState(at: now, force: actions.contains(where: \.changesTickets))
        remediate(at: now)
        if now.timeIntervalSince(lastDownSummary) >= remindEvery {
            lastDownSummary = now
            let down = tracker.checksDown
            if !down.isEmpty {
                let shown = down.prefix(10).map(\.description).joined(separator: " ")
                logger.info("checks.still_down", ["count": "\(down.count)", "checks": shown + (down.count > 10 ? " …" : "")])
            }
        }
        let sinceStatus = lastStatusWrite.map { now.timeIntervalSince($0) } ?? .infinity
        if (incidentsChanged && sinceStatus >= min(statusEvery, soonSave))
            || (statusDirty && Self.routineWriteDue(since: sinceStatus, base: statusEvery, path: statusPath)) {
            writeStatus(at: now)
        }
        // Once an hour, resolved tickets past `tickets.archive_after` move to the archive.
        if lastArchive.map({ now.timeIntervalSince($0) >= 3600 }) ?? true {
            lastArchive = now
            do {
                let moved = try store.archive(resolvedBefore: now.addingTimeInterval(-archiveAfter.timeInterval))
                if moved > 0 { logger.info("tickets.archived", ["count": "\(moved)"]) }
            } catch {
                logger.error("tickets.archive_failed", ["error": error.description])
            }
        }
    }

    private func refreshFromStore(at now: Date) {
        do {
            tracker.setSilences(maintenance + (try silenceStore.list(at: now)))
            // The tickets of open incidents, by id: one a responder resolved by hand must be
            // known, or it would get reminders and the recovery would try to resolve it again.
            var open: [String: String] = [:]
            for key in tracker.ticketedKeys { if let id = ticketIDs[key] { open[id] = key } }
            let changed = try store.list(includingArchive: false, where: { summary in
                summary.status == .acknowledged || (summary.status == .resolved && open[summary.id] != nil)
            })
            for summary in changed {
                if summary.status == .acknowledged {
                    tracker.acknowledge(key: summary.key)
                } else if let key = open[summary.id] {
                    if summary.solution == nil {
                        // Resolved by this agent before a kill its saved state did not see (a
                        // responder's resolve always carries a solution): the incident is over.
                        tracker.ticketResolvedBefore(key: key, at: summary.resolvedAt ?? now)
                        logger.info("incident.ended_before_restart", ["ticket": summary.id, "key": key])
                    } else if tracker.resolvedByHand(key: key, at: now) {
                        logger.info("ticket.resolved_by_hand", ["ticket": summary.id, "key": key])
                    }
                    stateChanged = true
                    incidentsChanged = true
                    statusDirty = true
                }
            }
        } catch {
            logger.error("store.unreadable", ["error": error.description])
        }
    }

    /// Saves the tracker's state: at once after an incident change (`force`), else at most every
    /// `routineSave` (only debounce counters move in between).
    private func saveState(at now: Date, force: Bool) {
        let since = lastStateSave.map { now.timeIntervalSince($0) } ?? .infinity
        // Paced by the file's size (`WritePace`): 2.5 MB at 40,000 checks is saved every ten
        // minutes for debounce counters and members joining, at once for incidents.
        guard force || Self.routineWriteDue(since: since, base: stateChanged ? soonSave : routineSave, path: stateFile.path) else { return }
        writer.write(.state(tracker.state))
        lastStateSave = now
        stateChanged = false
    }

    /// True when a routine rewrite of the file at `path` is due: at least `base` since the last
    /// one, and at least the gap `WritePace` allows for the file's size (looked up only then).
    private static func routineWriteDue(since: TimeInterval, base: TimeInterval, path: String) -> Bool {
        guard since >= base else { return false }
        var info = stat()
        let bytes = stat(path, &info) == 0 ? Int(info.st_size) : 0
        return since >= WritePace.gap(base: base, bytes: bytes)
    }

    /// Writes the status snapshot (`hostwatch status`).
    private func writeStatus(at now: Date) {
        var snapshot = tracker.snapshot(at: now) { check in self.memory[check].map { ($0.summary, $0.startedAt) } }
        for i in snapshot.incidents.indices { snapshot.incidents[i].ticket = ticketIDs[snapshot.incidents[i].key] }
        writer.write(.status(snapshot))
        statusObserver(snapshot)
        statusDirty = false
        incidentsChanged = false
        lastStatusWrite = now
    }

    private func flushBacklog() {
        while let action = backlog.first {
            do {
                try perform(action)
                backlog.removeFirst()
                ticketChanged()
                health.wrote("tickets")
            } catch {
                // Retried every second: the log says it when the failure is news.
                let level: Logger.Level = health.failed("tickets", error: error.description) ? .error : .debug
                logger.log(level, "store.failed", ["error": error.description, "pending_actions": "\(backlog.count)"])
                return
            }
        }
    }

    private func perform(_ action: IncidentAction) throws(TicketStoreError) {
        switch action {
        case .open(var draft):
            if let earlier = ticketIDs[draft.key] { draft.relatedIDs.append(earlier) }
            // The members' lines and transcripts go in with the ticket, not as a second event.
            var members = MemberEvidence(lines: "", transcripts: [])
            var listed: Set<String> = []
            var shown: Set<String> = Set(draft.attachments.map(\.name))
            collectMembers(draft.checks, into: &members, listed: &listed, shown: &shown)
            Self.attach(members, to: &draft.attachments)
            let ticket = try store.open(draft)
            listedMembers[ticket.id] = listed
            transcribed[ticket.id] = shown
            ticketIDs[draft.key] = ticket.id
            logger.info("ticket.opened", ["ticket": ticket.id, "key": draft.key, "severity": draft.severity.rawValue,
                                          "subject": draft.subject])
            gatherEvidence(for: ticket.id, key: draft.key, checks: draft.checks, domains: draft.domains, category: draft.category)
        case .update(let key, let step, let content):
            guard let id = ticketIDs[key] else { return }
            let members = content.map { memberEvidence(for: id, checks: $0.checks) }
            _ = try store.update(id: id) { ticket throws(TicketStoreError) in
                if let content { ticket.apply(content) }
                ticket.addStep(step)
                if let members { Self.attach(members, to: &ticket) }
            }
            if let content, content.key != key {
                ticketIDs[content.key] = id
                // An endpoint ticket that became the server-down ticket: the server's evidence too.
                if content.category == .serverDown {
                    gatherEvidence(for: id, key: content.key, checks: [], domains: content.domains, category: .serverDown)
                }
            }
            logger.info("ticket.updated", ["ticket": id, "key": content?.key ?? key, "step": step.text])
        case .resolve(let key, let time, let step):
            guard let id = ticketIDs[key] else { return }
            // A remediation that worked says so on the ticket it leaves resolved for office hours.
            let worked = verifying[key].map { ran in
                Ticket.Step(at: time, text: "\(ran.rule.name) worked: the checks passed \(Int(time.timeIntervalSince(ran.ranAt).rounded())) s after `\(collector.redactor.redact(ran.rule.run.joined(separator: " ")))`; the cause is for office hours to find")
            }
            let ticket = try store.update(id: id) { ticket throws(TicketStoreError) in
                guard ticket.status != .resolved else { return }
                if let worked { ticket.addStep(worked) }
                ticket.resolve(at: time, step: step.text)
            }
            if worked != nil { verifying[key] = nil }
            logger.info("ticket.resolved", ["ticket": id, "key": key, "downtime_s": "\(ticket.downtimeSeconds ?? 0)"])
        case .reopen(let key, let time, let step, let content):
            guard let id = ticketIDs[key] else {
                // The earlier ticket is unknown here (a removed file): a new one carries it.
                backlog.insert(.open(TicketDraft(content: content, server: tracker.server, at: time, steps: [step])), at: 1)
                return
            }
            _ = try store.update(id: id) { ticket throws(TicketStoreError) in ticket.reopen(at: time, step: step, content: content) }
            logger.info("ticket.reopened", ["ticket": id, "key": key])
            addMembers(to: id, checks: content.checks)
            gatherEvidence(for: id, key: key, checks: content.checks, domains: content.domains, category: content.category)
        }
    }

    /// Collects the evidence of a new or reopened ticket in the background and attaches it when
    /// done (a step says so): the ticket is filed at once, the evidence follows in seconds.
    private func gatherEvidence(for id: String, key: String, checks: [String], domains: [String], category: HostwatchCore.Category) {
        let ids = checks.compactMap { CheckID(description: $0) }
        var kinds = ids.map { EvidenceSettings.kind(ofCheck: $0.kind) }
        if category == .serverDown { kinds.insert("server", at: 0) }
        kinds = kinds.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let transcripts = ids.compactMap { check in memory[check]?.failingTranscript.map { (check: check.description, text: $0) } }.prefix(5)
        let recent = ids.prefix(20).compactMap { check in memory[check].map { (check: check.description, results: $0.recent.runs) } }
        var request = EvidenceCollector.Request(ticketID: id, domains: Array(domains.prefix(50)), kinds: kinds,
                                                transcripts: Array(transcripts), history: recent)
        if key.hasPrefix("upstream:") { request.upstream = String(key.dropFirst("upstream:".count)) }
        let collector = collector
        let store = store
        let logger = logger
        Task.detached {
            let pieces = await collector.collect(request)
            let now = Date()
            do throws(TicketStoreError) {
                try Self.attach(pieces, to: id, at: now, in: store)
                logger.info("evidence.attached", ["ticket": id, "pieces": "\(pieces.count)"])
            } catch {
                // Kept, and attached once the store can write again.
                await self.keepUnattached(id: id, pieces: pieces, at: now, error: error)
            }
        }
    }

    private static func attach(_ pieces: [Ticket.Attachment], to id: String, at now: Date, in store: FileTicketStore) throws(TicketStoreError) {
        _ = try store.update(id: id) { ticket throws(TicketStoreError) in
            // On a reopen the new evidence replaces pieces of the same name.
            let names = Set(pieces.map(\.name))
            ticket.attachments.removeAll { names.contains($0.name) }
            // First: the transcripts lead, as they did in the ticket's first version.
            ticket.attachments = pieces + ticket.attachments
            let bytes = pieces.reduce(0) { $0 + $1.content.utf8.count }
            ticket.addStep(Ticket.Step(at: now, text: "evidence collected: \(pieces.count) pieces, \(bytes / 1024) KiB (\(pieces.map(\.name).joined(separator: ", ")))"))
        }
    }

    private func keepUnattached(id: String, pieces: [Ticket.Attachment], at now: Date, error: TicketStoreError) {
        let news = health.failed("tickets", error: error.description)
        logger.log(news ? .error : .warning, "evidence.not_stored", ["ticket": id, "error": error.description, "retry": "when the store can write"])
        unattached.append((id, pieces, now))
        if unattached.count > unattachedLimit {
            let dropped = unattached.removeFirst()
            logger.error("evidence.failed", ["ticket": dropped.id, "error": "more than \(unattachedLimit) tickets wait for their evidence; the oldest is dropped"])
        }
    }

    /// Attaches the evidence the store could not take before, oldest first, until one fails.
    private func attachUnattached() {
        while let first = unattached.first {
            do throws(TicketStoreError) {
                try Self.attach(first.pieces, to: first.id, at: first.at, in: store)
            } catch .unknownTicket {
                // Gone (archived, removed): nothing to attach it to.
            } catch {
                logger.debug("evidence.not_stored", ["ticket": first.id, "error": error.description])
                _ = health.failed("tickets", error: error.description)
                return
            }
            unattached.removeFirst()
            health.wrote("tickets")
            ticketChanged()
            logger.info("evidence.attached", ["ticket": first.id, "pieces": "\(first.pieces.count)", "late": "yes"])
        }
    }

    // MARK: Remediation

    /// Starts the remediations due, and words the ones whose checks still fail after them.
    private func remediate(at now: Date) {
        for (key, ran) in verifying where now.timeIntervalSince(ran.ranAt) >= ran.rule.verifyWithin.timeInterval {
            verifying[key] = nil
            guard tracker.isOpen(key: key, openedAt: ran.openedAt), let id = ticketIDs[key] else { continue }
            note(id, "\(ran.rule.name) did not help: the checks still fail \(DurationText.format(ran.rule.verifyWithin)) after it; not retried, the incident stays open for a person")
            logger.info("remediation.no_effect", ["ticket": id, "key": key, "rule": ran.rule.name])
        }
        let due = remediation.due(tracker.openForRemediation, at: now)
        guard !due.isEmpty else { return }
        // Saved before the commands run: a crash mid-command must not run it again.
        do {
            try remediationFile.save(remediation.runs)
        } catch {
            logger.error("state.write_failed", ["path": remediationFile.path, "error": error.description])
        }
        let redactor = collector.redactor
        for (rule, incident) in due {
            logger.info("remediation.started", ["key": incident.key, "rule": rule.name, "command": redactor.redact(rule.run.joined(separator: " "))])
            Task.detached {
                let outcome = await RemediationRunner.run(rule, redactor: redactor)
                await self.remediationFinished(rule, incident: incident, outcome: outcome, at: Date())
            }
        }
    }

    private func remediationFinished(_ rule: RemediationRule, incident: RemediationPlanner.OpenIncident,
                                     outcome: RemediationRunner.Outcome, at now: Date) {
        logger.info("remediation.finished", ["key": incident.key, "rule": rule.name, "exit": outcome.status.map { "\($0)" } ?? "none"])
        if let id = ticketIDs[incident.key] { note(id, outcome.step) }
        if outcome.succeeded, tracker.isOpen(key: incident.key, openedAt: incident.openedAt) {
            verifying[incident.key] = (rule, now, incident.openedAt)
        }
    }

    /// A step on a ticket, outside the tracker's actions.
    private func note(_ id: String, _ text: String) {
        do {
            _ = try store.update(id: id) { ticket throws(TicketStoreError) in ticket.addStep(Ticket.Step(at: Date(), text: text)) }
            ticketChanged()
        } catch {
            logger.error("store.failed", ["error": error.description, "ticket": id])
        }
    }

    // MARK: Members that join later

    /// A line per member in `members.txt` (when it started failing, how) and a transcript per
    /// error not shown yet: what joined after the ticket opened (issue 13).
    struct MemberEvidence: Sendable {
        var lines: String
        var transcripts: [Ticket.Attachment]
        var isEmpty: Bool { lines.isEmpty && transcripts.isEmpty }
    }

    static let membersFile = "members.txt"
    private static let membersHeader = "== domains in this incident: when each started failing, and how ==\n"
    private let membersListed = 2000

    /// The evidence of the checks of a ticket not listed on it yet.
    private func memberEvidence(for id: String, checks: [String]) -> MemberEvidence {
        if listedMembers[id] == nil {
            // After a restart: what the ticket already lists.
            let ticket = (try? store.ticket(id: id)) ?? nil
            listedMembers[id] = Set(ticket?.attachments.first { $0.name == Self.membersFile }?.content
                .split(separator: "\n").compactMap { line in line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) } ?? [])
            transcribed[id] = Set(ticket?.attachments.filter { $0.name.hasPrefix("transcript-") }.map(\.name) ?? [])
        }
        var listed = listedMembers[id] ?? []
        var shown = transcribed[id] ?? []
        var evidence = MemberEvidence(lines: "", transcripts: [])
        collectMembers(checks, into: &evidence, listed: &listed, shown: &shown)
        listedMembers[id] = listed
        transcribed[id] = shown
        return evidence
    }

    /// The line (and, for an error not shown yet, the transcript) of each check not listed yet.
    private func collectMembers(_ checks: [String], into evidence: inout MemberEvidence, listed: inout Set<String>, shown: inout Set<String>) {
        for name in checks where !listed.contains(name) && listed.count < membersListed {
            guard let check = CheckID(description: name), let (since, failure) = tracker.failure(of: check) else { continue }
            listed.insert(name)
            evidence.lines += "\(RFC3339.format(since))  \(name)  \(failure.message)\n"
            // One transcript per distinct error (its gist), up to a bound per ticket.
            let attachment = EvidenceCollector.transcriptName(check: name)
            if shown.count < transcriptsPerTicket, !shown.contains(failure.gist), !shown.contains(attachment),
               let transcript = memory[check]?.failingTranscript {
                shown.insert(failure.gist)
                shown.insert(attachment)
                let capped = String(decoding: Array(transcript.utf8.prefix(collector.settings.pieceBytes)), as: UTF8.self)
                evidence.transcripts.append(Ticket.Attachment(name: attachment, content: collector.redactor.redact(capped)))
            }
        }
    }

    /// Adds member evidence to a ticket (within the store's update of it).
    static func attach(_ evidence: MemberEvidence, to ticket: inout Ticket) {
        attach(evidence, to: &ticket.attachments)
    }

    static func attach(_ evidence: MemberEvidence, to attachments: inout [Ticket.Attachment]) {
        guard !evidence.isEmpty else { return }
        if !evidence.lines.isEmpty {
            if let i = attachments.firstIndex(where: { $0.name == membersFile }) {
                attachments[i].content += evidence.lines
            } else {
                attachments.append(Ticket.Attachment(name: membersFile, content: membersHeader + evidence.lines))
            }
        }
        let names = Set(evidence.transcripts.map(\.name))
        attachments.removeAll { names.contains($0.name) }
        attachments += evidence.transcripts
    }

    /// The members of a ticket just opened or reopened, in one more update.
    private func addMembers(to id: String, checks: [String]) {
        let evidence = memberEvidence(for: id, checks: checks)
        guard !evidence.isEmpty else { return }
        do {
            _ = try store.update(id: id) { ticket throws(TicketStoreError) in Self.attach(evidence, to: &ticket) }
        } catch {
            logger.error("evidence.failed", ["ticket": id, "error": error.description])
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
