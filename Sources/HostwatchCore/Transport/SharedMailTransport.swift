import Synchronization

/// One mail session for every check that asks exactly the same thing at about the same time.
///
/// On shared hosting every domain's SMTP check goes to the one postfix on the server's address,
/// presents the host's name (`server.mail_host`) and says the same EHLO: 10,000 domains made
/// 10,000 identical sessions a minute, and the load they put on postfix was itself what timed
/// them out (issue 16's scale run: 1,380 false timeouts a minute). A request equal in every field
/// (protocol, address, port, TLS, name, EHLO, account, commands, timeout) gets the same answer;
/// so a request that arrives while an equal one is in flight waits for it, and one that arrives
/// within `within` of an equal one's start takes its session. Each check still judges the session
/// by its own settings (warning days, relay probe) and keeps its own debounce: `within` is at
/// most half the shortest gap between two runs of one mail check, so no check is ever handed
/// the same session twice. A request that differs in anything (another port, a login, another
/// `host`) runs on its own.
public final class SharedMailTransport: MailTransport {
    private enum Entry {
        /// Started at `since`; these wait for its session.
        case running(since: ContinuousClock.Instant, waiters: [CheckedContinuation<MailSession, Never>])
        case done(MailSession, startedAt: ContinuousClock.Instant)
    }

    public let base: any MailTransport
    public let within: Duration
    private let clock = ContinuousClock()
    private let table = Mutex<[MailRequest: Entry]>([:])
    /// Sessions run and sessions handed on, for the log and the benchmark.
    private let counts = Mutex<(run: Int, shared: Int)>((0, 0))

    public init(_ base: any MailTransport, within: Duration) {
        self.base = base
        self.within = within
    }

    /// How many sessions were run and how many answers were shared since the start.
    public var figures: (run: Int, shared: Int) { counts.withLock { $0 } }

    public func perform(_ request: MailRequest) async -> MailSession {
        guard within > .zero else { return await base.perform(request) }
        enum Plan {
            case run
            case wait
            case take(MailSession, age: Duration)
        }
        let now = clock.now
        // A plan made under the lock; a waiter's continuation is added under the same lock below,
        // so a session that finishes in between is never missed.
        let plan: Plan = table.withLock { table in
            switch table[request] {
            case .running?:
                return .wait
            case .done(let session, let startedAt)? where startedAt.duration(to: now) < within:
                return .take(session, age: startedAt.duration(to: now))
            default:
                if table.count >= 4096 { Self.prune(&table, before: now - within) }
                table[request] = .running(since: now, waiters: [])
                return .run
            }
        }
        switch plan {
        case .take(let session, let age):
            counts.withLock { $0.shared += 1 }
            return Self.shared(session, age: age)
        case .wait:
            let session = await withCheckedContinuation { (continuation: CheckedContinuation<MailSession, Never>) in
                let (finished, orphaned): (MailSession?, Bool) = table.withLock { table in
                    switch table[request] {
                    case .running(let since, var waiters)?:
                        waiters.append(continuation)
                        table[request] = .running(since: since, waiters: waiters)
                        return (nil, false)
                    case .done(let session, _)?:
                        return (session, false)
                    case nil:
                        // Pruned in between: this waiter runs the session itself.
                        table[request] = .running(since: clock.now, waiters: [continuation])
                        return (nil, true)
                    }
                }
                if let finished { continuation.resume(returning: finished) }
                if orphaned { Task { publish(request, await base.perform(request)) } }
            }
            counts.withLock { $0.shared += 1 }
            return Self.shared(session, age: nil)
        case .run:
            let session = await base.perform(request)
            publish(request, session)
            return session
        }
    }

    /// Keeps a finished session for `within` and hands it to everyone waiting for it.
    private func publish(_ request: MailRequest, _ session: MailSession) {
        let waiters: [CheckedContinuation<MailSession, Never>] = table.withLock { table in
            guard case .running(let since, let waiters)? = table[request] else { return [] }
            table[request] = .done(session, startedAt: since)
            return waiters
        }
        counts.withLock { $0.run += 1 }
        for waiter in waiters { waiter.resume(returning: session) }
    }

    /// The session as a check that did not run it sees it: the transcript says so.
    static func shared(_ session: MailSession, age: Duration?) -> MailSession {
        var copy = session
        let when = age.map { "started \(Int($0.milliseconds)) ms before this check" } ?? "in flight when this check started"
        copy.transcript.append(.note, "hostwatch: one session answers every check with this exact request (address, port, TLS, name, EHLO, account); this one was \(when)")
        return copy
    }

    private static func prune(_ table: inout [MailRequest: Entry], before cutoff: ContinuousClock.Instant) {
        table = table.filter { _, entry in
            if case .done(_, let startedAt) = entry { return startedAt >= cutoff }
            return true
        }
    }

    /// The longest `within` that never hands one check the same session twice: half the shortest
    /// gap between two runs of any of these checks, and at most 5 s.
    public static func window(forRunsEvery gaps: [Duration]) -> Duration {
        guard let shortest = gaps.min() else { return .zero }
        return min(.seconds(5), shortest / 2)
    }
}
