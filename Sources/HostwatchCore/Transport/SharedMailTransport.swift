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
        /// Every equal request meanwhile awaits this one session. It runs in a task of its own, so
        /// the check that started it being cancelled leaves the others their answer (the
        /// session ends within its timeout either way).
        case running(Task<MailSession, Never>)
        case done(MailSession, startedAt: ContinuousClock.Instant)
    }

    public let base: any MailTransport
    public let within: Duration
    private let clock = ContinuousClock()
    private let table = Mutex<[MailRequest: Entry]>([:])

    public init(_ base: any MailTransport, within: Duration) {
        self.base = base
        self.within = within
    }

    public func perform(_ request: MailRequest) async -> MailSession {
        guard within > .zero else { return await base.perform(request) }
        enum Plan {
            case run(Task<MailSession, Never>, since: ContinuousClock.Instant)
            case join(Task<MailSession, Never>)
            case take(MailSession, age: Duration)
        }
        let now = clock.now
        let plan: Plan = table.withLock { table in
            switch table[request] {
            case .running(let session)?:
                return .join(session)
            case .done(let session, let startedAt)? where startedAt.duration(to: now) < within:
                return .take(session, age: startedAt.duration(to: now))
            default:
                if table.count >= 4096 { Self.prune(&table, before: now - within) }
                let base = base
                let session = Task { await base.perform(request) }
                table[request] = .running(session)
                return .run(session, since: now)
            }
        }
        switch plan {
        case .take(let session, let age):
            return Self.shared(session, age: age)
        case .join(let running):
            return Self.shared(await running.value, age: nil)
        case .run(let running, let since):
            let session = await running.value
            table.withLock { $0[request] = .done(session, startedAt: since) }
            return session
        }
    }

    /// The session as a check that did not run it sees it: the transcript says so.
    static func shared(_ session: MailSession, age: Duration?) -> MailSession {
        var copy = session
        let when = age.map { "started \(Int($0.milliseconds)) ms before this check" } ?? "in flight when this check started"
        copy.transcript.append(.note, "hostwatch: one session answers every check with this exact request (address, port, TLS, name, EHLO, account); this one was \(when)")
        return copy
    }

    /// Drops finished sessions too old to hand on (a running one is still awaited).
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
