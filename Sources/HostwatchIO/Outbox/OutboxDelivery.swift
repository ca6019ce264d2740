import FoundationEssentials
import HostwatchCore

/// Delivers the outbox (DESIGN.md §6): each event to each configured sink, in revision order per
/// ticket and sink, with exponential backoff and jitter after failures (`RetryPolicy`), the
/// progress kept in the event's sidecar so a restart picks up where it stopped.
///
/// Runs as a task of its own next to the scheduler: sinks are awaited on child tasks (at most
/// `maxInFlight` at once), never on the check loop. The folder is read again on every `nudge()`
/// (the scheduler's, after a ticket change) and at least once a second (changes by the CLI).
///
/// A sink whose events keep failing for `warnAfter` raises a warning ticket in the store
/// (key `delivery:NAME`) and keeps trying; the first delivery that works again resolves it. That
/// ticket's own events are not sent to the sink it is about, so a dead helpdesk cannot make a
/// loop of warnings about itself.
public actor OutboxDelivery {
    /// A configured sink and its name (the key of its references on tickets).
    public struct Destination: Sendable {
        public var name: String
        public var sink: any TicketSink
        /// At most this many deliveries to this sink at once (nil: only the outbox's own bound).
        /// A helpdesk with two workers that gets thirty requests at once answers none within
        /// its timeout, and every retry adds to the queue (issue 15's kill test with RT).
        public var maxInFlight: Int?
        /// Events already waiting when the agent starts are sent to this sink only this long
        /// after the start (nil: at once). For a sink without idempotency keys: a killed agent's
        /// last request may still sit in the helpdesk's queue, and a retry that looks for what it
        /// made (an RT comment) before that request is processed would make it twice.
        public var restartPause: Duration?
        public init(name: String, sink: any TicketSink, maxInFlight: Int? = nil, restartPause: Duration? = nil) {
            self.name = name
            self.sink = sink
            self.maxInFlight = maxInFlight
            self.restartPause = restartPause
        }
    }

    private struct Lane: Hashable {
        var ticketID: String
        var sink: String
    }

    private struct Job: Sendable {
        var entry: OutboxFolder.Entry
        var destination: Destination
    }

    private let store: FileTicketStore
    private let server: Ticket.Server
    private let logger: Logger
    /// Where a failed save of an event's progress is reported (logged once, told to systemd).
    private let health: StateFolderHealth?
    private var destinations: [Destination]
    private var policy: RetryPolicy
    public let maxInFlight: Int
    private var busy: Set<Lane> = []
    private var progress: [OutboxFolder.Entry: OutboxFolder.Progress] = [:]
    /// Per ticket, the highest revision known to be written: events up to it are real changes.
    private var confirmed: [String: Int] = [:]
    /// Open warning tickets by sink name.
    private var warnings: [String: String] = [:]
    private let wakeup = Wakeup()
    /// Turns of the delivery loop since start: an idle agent turns about once a second.
    public private(set) var turns = 0
    /// The event files as last listed; the folder is listed again on a nudge and once a second,
    /// not after every delivery (a backlog of thousands would make that quadratic).
    private var entries: [OutboxFolder.Entry] = []
    private var lastScan: ContinuousClock.Instant?
    private var scanRequested = true
    /// When `run` started, and the events that were waiting then (see `restartPause`).
    private var startedAt: Date?
    private var waitingAtStart: Set<OutboxFolder.Entry>?

    public init(store: FileTicketStore, server: Ticket.Server, destinations: [Destination], policy: RetryPolicy,
                logger: Logger, maxInFlight: Int = 32, health: StateFolderHealth? = nil) {
        self.store = store
        self.health = health
        self.server = server
        self.destinations = destinations
        self.policy = policy
        self.logger = logger
        self.maxInFlight = max(1, maxInFlight)
    }

    /// Takes a new set of sinks after a reload. Progress of sinks that keep their name is kept.
    public func reconfigure(_ destinations: [Destination], policy: RetryPolicy) {
        self.destinations = destinations
        self.policy = policy
        signal()
    }

    /// Asks for a pass now (a ticket changed). Cheap; safe from anywhere.
    public nonisolated func nudge() {
        Task { await self.requestScan() }
    }

    private func requestScan() {
        scanRequested = true
        signal()
    }

    /// Delivers until the surrounding task is cancelled. Removes orphan events first.
    public func run() async {
        do {
            let removed = try store.discardOrphanEvents()
            if removed > 0 { logger.warning("outbox.orphans_removed", ["events": "\(removed)"]) }
            for summary in try store.list() where summary.key.hasPrefix("delivery:") && summary.status != .resolved {
                warnings[String(summary.key.dropFirst("delivery:".count))] = summary.id
            }
        } catch {
            logger.error("outbox.unreadable", ["error": error.description])
        }
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let (jobs, due) = plan(at: Date())
                for job in jobs {
                    group.addTask { await self.perform(job) }
                }
                var wait = Duration.seconds(1)
                if let due {
                    let seconds = max(0, min(1, due.timeIntervalSinceNow))
                    wait = .milliseconds(Int64(seconds * 1000) + 1)
                }
                turns += 1
                _ = await wakeup.wait(upTo: wait)
            }
            group.cancelAll()
        }
    }

    // MARK: Planning

    /// The deliveries to start now, and when the next retry falls due.
    private func plan(at now: Date) -> ([Job], Date?) {
        if scanRequested || lastScan.map({ ContinuousClock.now - $0 >= .seconds(1) }) ?? true {
            do { entries = try store.outbox.entries() } catch {
                logger.error("outbox.unreadable", ["error": error.description])
                return ([], nil)
            }
            scanRequested = false
            lastScan = ContinuousClock.now
            if waitingAtStart == nil {
                waitingAtStart = Set(entries)
                startedAt = now
            }
            let present = Set(entries)
            progress = progress.filter { present.contains($0.key) }
        }
        var jobs: [Job] = []
        var due: Date?
        // By ticket, in the entries' order (by ticket number, then revision).
        var byTicket: [String: [OutboxFolder.Entry]] = [:]
        var tickets: [String] = []
        for entry in entries {
            if byTicket[entry.ticketID] == nil { tickets.append(entry.ticketID) }
            byTicket[entry.ticketID, default: []].append(entry)
        }
        for ticketID in tickets {
            let events = byTicket[ticketID] ?? []
            // Events past the ticket's revision are changes still being written, or orphans of a
            // crash (removed at the next start): not yet, maybe never, news.
            let real = events.filter { isConfirmed($0) }
            for entry in real where isDone(entry) {
                store.outbox.remove(entry)
                progress[entry] = nil
                entries.removeAll { $0 == entry }
                logger.debug("outbox.done", ["event": "\(ticketID)/\(entry.revision)"])
            }
            for destination in destinations {
                let lane = Lane(ticketID: ticketID, sink: destination.name)
                guard !busy.contains(lane), busy.count < maxInFlight else { continue }
                if let bound = destination.maxInFlight, busy.count(where: { $0.sink == destination.name }) >= bound { continue }
                guard let next = real.first(where: { !(loadProgress($0).sinks[destination.name]?.isDone ?? false) }) else { continue }
                if let at = loadProgress(next).sinks[destination.name]?.nextAttemptAt, at > now {
                    due = min(due ?? at, at)
                    continue
                }
                if let pause = destination.restartPause, let startedAt, waitingAtStart?.contains(next) == true {
                    let at = startedAt.addingTimeInterval(pause.timeInterval)
                    if at > now {
                        due = min(due ?? at, at)
                        continue
                    }
                }
                busy.insert(lane)
                jobs.append(Job(entry: next, destination: destination))
            }
        }
        return (jobs, due)
    }

    private func isConfirmed(_ entry: OutboxFolder.Entry) -> Bool {
        if let known = confirmed[entry.ticketID], entry.revision <= known { return true }
        guard let ticket = try? store.ticket(id: entry.ticketID) else { return false }
        confirmed[entry.ticketID] = ticket.revision
        return entry.revision <= ticket.revision
    }

    private func isDone(_ entry: OutboxFolder.Entry) -> Bool {
        let sinks = loadProgress(entry).sinks
        return destinations.allSatisfy { sinks[$0.name]?.isDone ?? false }
    }

    private func loadProgress(_ entry: OutboxFolder.Entry) -> OutboxFolder.Progress {
        if let cached = progress[entry] { return cached }
        let loaded = (try? store.outbox.progress(entry)) ?? OutboxFolder.Progress()
        progress[entry] = loaded
        return loaded
    }

    // MARK: Delivering

    private nonisolated func perform(_ job: Job) async {
        let name = job.destination.name
        let event: TicketEvent?
        let current: Ticket?
        do {
            event = try store.outbox.event(job.entry)
            current = try store.ticket(id: job.entry.ticketID)
        } catch {
            await finished(job, .failure(.misconfigured("outbox: \(error.description)")), event: nil)
            return
        }
        guard var event, let current else {
            await finished(job, nil, event: nil)
            return
        }
        if event.ticket.key == "delivery:\(name)" {
            await finished(job, .skipped("the warning about this sink itself"), event: event)
            return
        }
        // The references known now (a later delivery may have recorded them), not at the change.
        event.ticket.externalRefs = current.externalRefs
        let known = current.externalRefs[name].map(ExternalReference.init)
        let started = ContinuousClock.now
        do {
            let reference = try await job.destination.sink.deliver(event, known: known)
            await finished(job, .delivered(reference, ContinuousClock.now - started), event: event)
        } catch {
            await finished(job, .failure(error), event: event)
        }
    }

    private enum Outcome {
        case delivered(ExternalReference, Duration)
        case failure(TicketSinkError)
        case skipped(String)
    }

    private func finished(_ job: Job, _ outcome: Outcome?, event: TicketEvent?) {
        let lane = Lane(ticketID: job.entry.ticketID, sink: job.destination.name)
        defer {
            busy.remove(lane)
            signal()
        }
        guard let outcome else { return }
        let name = job.destination.name
        let now = Date()
        var document = loadProgress(job.entry)
        var state = document.sinks[name] ?? OutboxFolder.SinkProgress()
        let eventID = "\(job.entry.ticketID)/\(job.entry.revision)"
        switch outcome {
        case .delivered(let reference, let took):
            state.attempts += 1
            state.lastAttemptAt = now
            state.deliveredAt = now
            state.nextAttemptAt = nil
            logger.info("delivery.ok", ["sink": name, "event": eventID, "kind": event?.kind.rawValue ?? "?",
                                        "attempts": "\(state.attempts)", "ms": "\(took.milliseconds)",
                                        "reference": reference.value])
            record(reference, sink: name, ticketID: job.entry.ticketID)
            state.lastError = nil
            document.sinks[name] = state
        case .skipped(let reason):
            state.skipped = reason
            document.sinks[name] = state
        case .failure(let error):
            state.attempts += 1
            state.lastAttemptAt = now
            state.lastError = error.description
            let since = state.firstFailureAt ?? now
            state.firstFailureAt = since
            let delay = policy.delay(afterFailures: state.attempts, jitter: Double.random(in: 0..<1))
            state.nextAttemptAt = now.addingTimeInterval(delay.timeInterval)
            document.sinks[name] = state
            logger.warning("delivery.failed", ["sink": name, "event": eventID, "attempt": "\(state.attempts)",
                                               "retry_in_ms": "\(delay.milliseconds)", "error": error.description])
            if let reference = error.reference { record(reference, sink: name, ticketID: job.entry.ticketID) }
            if now.timeIntervalSince(since) >= policy.warnAfter.timeInterval, event?.ticket.key.hasPrefix("delivery:") == false {
                raiseWarning(for: name, since: since, error: error, at: now)
            }
        }
        progress[job.entry] = document
        if isDone(job.entry) {
            // Every sink has it: gone at once, without writing progress first.
            store.outbox.remove(job.entry)
            progress[job.entry] = nil
            if let i = entries.firstIndex(of: job.entry) { entries.remove(at: i) }
            health?.wrote("outbox")
        } else {
            do {
                try store.outbox.save(document, for: job.entry)
                health?.wrote("outbox")
            } catch {
                // Saved again at the event's next attempt; the log says it when it is news.
                let news = health?.failed("outbox", error: error.description) ?? true
                logger.log(news ? .error : .debug, "outbox.save_failed", ["event": eventID, "error": error.description])
            }
        }
        if case .delivered = outcome { resolveWarning(for: name, at: now) }
    }

    /// Stores a sink's reference on the ticket, once (no outbox event: it is no news).
    private func record(_ reference: ExternalReference, sink name: String, ticketID: String) {
        guard !reference.value.isEmpty else { return }
        do {
            let ticket = try store.update(id: ticketID, event: .none) { ticket throws(TicketStoreError) in
                if ticket.externalRefs[name] != reference.value { ticket.externalRefs[name] = reference.value }
            }
            confirmed[ticketID] = max(confirmed[ticketID] ?? 0, ticket.revision)
        } catch {
            logger.error("delivery.reference_not_recorded", ["sink": name, "ticket": ticketID, "error": error.description])
        }
    }

    // MARK: Warning tickets

    private func raiseWarning(for name: String, since: Date, error: TicketSinkError, at now: Date) {
        let waiting = progress.filter { $0.value.sinks[name]?.isDone == false }.count
        let text = "delivery to \(name) failing since \(RFC3339.format(since)): \(error.description)"
        do {
            if let id = warnings[name] {
                // One step per new kind of failure, not one per attempt.
                _ = try store.update(id: id) { ticket throws(TicketStoreError) in
                    guard ticket.status != .resolved else { return }
                    if !(ticket.steps.last?.text.hasSuffix(error.description) ?? false) {
                        ticket.addStep(Ticket.Step(at: now, text: text))
                    }
                }
                return
            }
            let draft = TicketDraft(key: "delivery:\(name)", severity: .warning, category: .delivery, cause: .infrastructure,
                                    subject: "\(server.name): helpdesk unreachable since \(RFC3339.format(since)) (ticket delivery to \(name) failing)",
                                    server: server, accounts: [], domains: [], checks: [], since: since, openedAt: now,
                                    steps: [Ticket.Step(at: now, text: text + " (\(max(1, waiting)) event(s) waiting; hostwatch keeps trying)")],
                                    attachments: [])
            let ticket = try store.open(draft)
            warnings[name] = ticket.id
            logger.warning("delivery.warning_opened", ["sink": name, "ticket": ticket.id, "since": RFC3339.format(since)])
        } catch {
            logger.error("delivery.warning_failed", ["sink": name, "error": error.description])
        }
    }

    private func resolveWarning(for name: String, at now: Date) {
        guard let id = warnings[name] else { return }
        let stillFailing = progress.contains { entry in
            guard let state = entry.value.sinks[name], !state.isDone, let since = state.firstFailureAt else { return false }
            return now.timeIntervalSince(since) >= policy.warnAfter.timeInterval
        }
        guard !stillFailing else { return }
        do {
            _ = try store.update(id: id) { ticket throws(TicketStoreError) in
                guard ticket.status != .resolved else { return }
                ticket.resolve(at: now, step: "delivery to \(name) works again")
            }
            warnings[name] = nil
            logger.info("delivery.warning_resolved", ["sink": name, "ticket": id])
        } catch {
            logger.error("delivery.warning_failed", ["sink": name, "error": error.description])
        }
    }

    // MARK: Waiting

    private func signal() {
        wakeup.signal()
    }
}
