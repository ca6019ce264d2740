import Dispatch
import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// Keeps the status page (`status_page`, DESIGN.md §9) up to date: takes each status snapshot
/// the scheduler writes, and at most once per `interval` builds the page from it, the uptime
/// history and the open tickets, and writes the files that changed. It also looks again every
/// interval without a new snapshot (uptime and the day change on their own); an unchanged page is
/// not written. Everything runs on its own queue: rendering 10,000 domains must not hold up
/// the checks on the cooperative pool.
///
/// `@unchecked Sendable`: every mutable property is touched only on `queue`.
final class StatusPagePublisher: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hostwatch.status-page")
    private var settings: AgentConfig.StatusPageSettings
    private var writer: StatusPageWriter
    private var domains: [StatusPage.DomainInfo] = []
    private var snapshot: StatusSnapshot?
    private var lastWrite: Date?
    private var waiting = false
    private let history: HistoryStore
    private let store: FileTicketStore
    private let logger: Logger
    private var timer: DispatchSourceTimer?

    init(settings: AgentConfig.StatusPageSettings, history: HistoryStore, store: FileTicketStore, logger: Logger) {
        self.settings = settings
        writer = StatusPageWriter(folder: settings.dir)
        self.history = history
        self.store = store
        self.logger = logger
        queue.async { self.restartTimer() }
    }

    deinit { timer?.cancel() }

    /// Takes up a reloaded config and the domains its checks are about.
    func configure(_ settings: AgentConfig.StatusPageSettings, checks: [CheckFactory.Built]) {
        var byDomain: [String: StatusPage.DomainInfo] = [:]
        for built in checks {
            let subject = built.subject
            var info = byDomain[subject.domain] ?? StatusPage.DomainInfo(name: subject.domain, account: subject.account.name,
                                                                         plan: subject.account.plan)
            if let endpoint = subject.endpoint { info.endpoints[built.check.id.description] = endpoint }
            byDomain[subject.domain] = info
        }
        // The server's own checks (disks) have no domain file: only the staff page shows them.
        let infos = byDomain.values.filter { $0.account != "(server)" }
        queue.async {
            if settings.dir != self.settings.dir { self.writer = StatusPageWriter(folder: settings.dir) }
            let newInterval = settings.interval != self.settings.interval
            self.settings = settings
            self.domains = Array(infos)
            if newInterval { self.restartTimer() }
            self.lastWrite = nil
            self.soon()
        }
    }

    /// A new status snapshot: the page follows within `interval`.
    func update(_ snapshot: StatusSnapshot) {
        queue.async {
            self.snapshot = snapshot
            self.soon()
        }
    }

    /// Writes what is pending now (the agent stopping).
    func finish() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async {
                self.timer?.cancel()
                self.publish()
                done.resume()
            }
        }
    }

    private func restartTimer() {
        timer?.cancel()
        let seconds = settings.interval.timeInterval
        let made = DispatchSource.makeTimerSource(queue: queue)
        made.schedule(deadline: .now() + seconds, repeating: seconds)
        made.setEventHandler { [weak self] in self?.soon() }
        made.resume()
        timer = made
    }

    /// Publishes now when the last write is `interval` old, else once it is.
    private func soon() {
        guard snapshot != nil, !waiting else { return }
        let wait = lastWrite.map { settings.interval.timeInterval - Date().timeIntervalSince($0) } ?? 0
        if wait <= 0 {
            publish()
        } else {
            waiting = true
            queue.asyncAfter(deadline: .now() + wait) {
                self.waiting = false
                self.publish()
            }
        }
    }

    private func publish() {
        guard let snapshot else { return }
        let now = Date()
        lastWrite = now
        var tickets: [TicketSummary] = []
        do {
            tickets = try store.list(includingArchive: false, where: { $0.status != .resolved })
        } catch {
            logger.warning("status_page.store_unreadable", ["error": error.description])
        }
        let page = StatusPage.build(snapshot: snapshot, domains: domains, tickets: tickets, history: history.current,
                                    isPublic: settings.isPublic, at: now)
        do {
            let written = try writer.write(page, at: now)
            if written > 0 { logger.debug("status_page.written", ["dir": settings.dir, "files": "\(written)"]) }
        } catch {
            logger.error("status_page.write_failed", ["dir": settings.dir, "error": error.description])
        }
    }
}
