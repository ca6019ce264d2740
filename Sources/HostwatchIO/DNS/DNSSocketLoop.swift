import FoundationEssentials
import Glibc
import HostwatchCore
import Synchronization

/// One thread that carries every DNS query of the agent: non-blocking sockets, `poll(2)` over
/// all of them, deadlines in milliseconds.
///
/// The queries of one batch (a check's questions) to one server share one UDP socket, opened
/// for them, `connect`ed to the server and closed when the last of them ends; a single query
/// has a socket of its own. So the kernel drops datagrams from anyone else, every check comes
/// from a new random source port, an ICMP "port unreachable" arrives as `ECONNREFUSED` (a
/// stopped nameserver is reported at once, not after the timeout), and a check of three
/// questions costs one socket, not three (issue 16). The queries sharing a socket have distinct
/// IDs; a reply is taken only when its ID and question match a query (RFC 5452 §9.1), others are
/// noted and ignored while waiting goes on. A reply with the TC bit set is asked again over TCP
/// (RFC 7766 §5), on a connection of its own, within the same deadline. At most `maxInFlight`
/// queries are in flight at once; the rest wait in a queue, and a query's timeout starts when
/// it is sent.
///
/// `poll` rather than `epoll`: Swift's Glibc module does not import `<sys/epoll.h>`, and with at
/// most a few hundred sockets in flight rebuilding the `pollfd` array costs microseconds.
/// (`@unchecked Sendable`: the queue is guarded by a mutex; everything else is touched by the
/// loop thread only.)
public final class DNSSocketLoop: @unchecked Sendable {
    /// A query ready to send: its encoded bytes, the server's socket address, the waiting task.
    struct Job {
        var query: DNSQuery
        var message: DNSMessage
        var wire: [UInt8]
        var address: SocketAddress
        var reply: Reply

        /// Hands the exchange to whoever waits for it.
        func finish(_ exchange: DNSExchange) { reply.finish(exchange) }

        /// The batch the job belongs to; nil for a single query.
        var batch: ObjectIdentifier? {
            if case .batch(let batch, _) = reply { return ObjectIdentifier(batch) }
            return nil
        }
    }

    /// Who waits for a job: one task for one query, or one task for a check's whole batch.
    enum Reply {
        case one(CheckedContinuation<DNSExchange, Never>)
        case batch(Batch, Int)

        func finish(_ exchange: DNSExchange) {
            switch self {
            case .one(let continuation): continuation.resume(returning: exchange)
            case .batch(let batch, let index): batch.finish(index, exchange)
            }
        }
    }

    /// The exchanges of one batch, resumed once the last is in. (`@unchecked`: filled by the
    /// loop thread only, after the submitter handed it over under the queue's lock.)
    final class Batch: @unchecked Sendable {
        var exchanges: [DNSExchange?]
        var remaining: Int
        let continuation: CheckedContinuation<[DNSExchange], Never>

        init(count: Int, continuation: CheckedContinuation<[DNSExchange], Never>) {
            exchanges = Array(repeating: nil, count: count)
            remaining = count
            self.continuation = continuation
        }

        func finish(_ index: Int, _ exchange: DNSExchange) {
            exchanges[index] = exchange
            remaining -= 1
            if remaining == 0 { continuation.resume(returning: exchanges.map { $0! }) }
        }
    }

    private struct State: ~Copyable {
        var queued: [Job] = []
        var head = 0
        var stopping = false
        /// True while the loop thread waits in `poll` with a free slot and nothing queued: a
        /// submitter must wake it.
        var sleeping = false
    }

    private let state = Mutex(State())
    /// A pipe whose read end is in every `poll`: one byte written wakes the loop.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    public let maxInFlight: Int

    /// Starts the loop thread.
    public init(maxInFlight: Int = 256) {
        self.maxInFlight = max(1, maxInFlight)
        var fds: [Int32] = [0, 0]
        // `pipe2` is hidden behind _GNU_SOURCE in Swift's Glibc module: set the flags by hand.
        let made = pipe(&fds)
        precondition(made == 0, "cannot create the DNS loop's wake-up pipe: errno \(errno)")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        DNSLoopThread(owner: self).start()
    }

    /// Sends `query` and waits for the matching reply, an error, or the timeout.
    public func exchange(_ query: DNSQuery) async -> DNSExchange {
        await withCheckedContinuation { continuation in
            guard let job = Self.job(for: query, id: .random(in: 0...UInt16.max), reply: .one(continuation)) else { return }
            if !submit([job]) { job.finish(Self.stopping(job)) }
        }
    }

    /// Sends every query at once and waits, with one wake-up, until each has its reply, error
    /// or timeout; the exchanges come back in the queries' order.
    public func exchange(all queries: [DNSQuery]) async -> [DNSExchange] {
        guard !queries.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let batch = Batch(count: queries.count, continuation: continuation)
            // Distinct IDs: the queries to one server share a socket, and the ID tells their
            // replies apart. Four come from each 64 random bits: one getrandom call a check
            // instead of one a query.
            var used = Set<UInt16>(minimumCapacity: queries.count)
            var random = SystemRandomNumberGenerator()
            var bits: UInt64 = 0, left = 0
            func nextID() -> UInt16 {
                if left == 0 { bits = random.next(); left = 4 }
                defer { bits >>= 16; left -= 1 }
                return UInt16(truncatingIfNeeded: bits)
            }
            let jobs = queries.enumerated().compactMap { index, query in
                var id = nextID()
                while !used.insert(id).inserted, used.count < 65536 { id = nextID() }
                return Self.job(for: query, id: id, reply: .batch(batch, index))
            }
            if !jobs.isEmpty, !submit(jobs) {
                for job in jobs { job.finish(Self.stopping(job)) }
            }
        }
    }

    /// The query encoded for the wire as a job; nil when it cannot be sent, after `reply` got
    /// the exchange that says why.
    private static func job(for query: DNSQuery, id: UInt16, reply: Reply) -> Job? {
        guard let address = SocketAddress(query.server) else {
            reply.finish(DNSExchange(query: query, error: DNSQueryError(
                kind: .badQuery, detail: "\(query.server.address) port \(query.server.port) is not an IP address and port")))
            return nil
        }
        let message = DNSMessage.query(id: id, name: query.name, type: query.type, recursionDesired: query.recursionDesired,
                                       udpPayloadSize: query.udpPayloadSize)
        do {
            return Job(query: query, message: message, wire: try message.encoded(), address: address, reply: reply)
        } catch {
            reply.finish(DNSExchange(query: query, id: id, error: DNSQueryError(kind: .badQuery, detail: "cannot encode the query: \(error)")))
            return nil
        }
    }

    fileprivate static func stopping(_ job: Job) -> DNSExchange {
        DNSExchange(query: job.query, id: job.message.id, error: DNSQueryError(kind: .other, detail: "hostwatch is stopping"))
    }

    /// Queues the jobs and wakes the loop when it sleeps; false when the loop is stopping.
    private func submit(_ jobs: [Job]) -> Bool {
        let (accepted, wake) = state.withLock { state -> (Bool, Bool) in
            guard !state.stopping else { return (false, false) }
            state.queued.append(contentsOf: jobs)
            let wake = state.sleeping
            state.sleeping = false
            return (true, wake)
        }
        if wake { self.wake() }
        return accepted
    }

    /// Stops the loop: queries in flight or queued end with an error at once.
    public func shutdown() {
        state.withLock { $0.stopping = true }
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: For the loop thread

    fileprivate var wakeDescriptor: Int32 { wakeRead }

    /// Takes up to `count` queued jobs, and the rest of a batch the limit falls inside.
    fileprivate func take(max count: Int) -> (jobs: [Job], stopping: Bool) {
        state.withLock { state in
            var end = min(state.queued.count, state.head + max(0, count))
            // A batch is taken whole (it may go over `count` by its size), so its questions to
            // one server still share one socket when the limit falls inside it.
            if end > state.head, let batch = state.queued[end - 1].batch {
                while end < state.queued.count, state.queued[end].batch == batch { end += 1 }
            }
            let taken = Array(state.queued[state.head..<end])
            state.head = end
            if state.head == state.queued.count {
                state.queued.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head > 1024, state.head * 2 > state.queued.count {
                state.queued.removeFirst(state.head)
                state.head = 0
            }
            return (taken, state.stopping)
        }
    }

    fileprivate var hasQueued: Bool {
        state.withLock { $0.head < $0.queued.count || $0.stopping }
    }

    /// Marks the loop as about to block, so the next submitter writes to the pipe; false (and
    /// not marked) when something is queued already, so the loop must not block.
    fileprivate func prepareToSleep() -> Bool {
        state.withLock { state in
            let idle = state.head == state.queued.count && !state.stopping
            state.sleeping = idle
            return idle
        }
    }

    fileprivate func drain() -> [Job] {
        state.withLock { state in
            defer {
                state.queued.removeAll()
                state.head = 0
            }
            return Array(state.queued[state.head...])
        }
    }

    fileprivate func markAwake() {
        state.withLock { $0.sleeping = false }
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }
}

/// The loop itself, owned by its thread.
private final class DNSLoopThread: @unchecked Sendable {
    /// Where one query stands.
    enum Phase {
        case udp
        case tcpConnecting
        case tcpWriting(sent: Int)
        case tcpReading
    }

    final class Active {
        let job: DNSSocketLoop.Job
        /// The UDP socket the query was sent on, shared with the batch's other queries to the
        /// same server.
        let udp: UDPSocket
        /// The query's own TCP connection after a truncated reply; -1 before.
        var fd: Int32 = -1
        var phase: Phase = .udp
        let started: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
        var notes: [String] = []
        var ignored = 0
        var tcpBuffer: [UInt8] = []
        var done = false

        init(job: DNSSocketLoop.Job, udp: UDPSocket, started: ContinuousClock.Instant) {
            self.job = job
            self.udp = udp
            self.started = started
            deadline = started.advanced(by: job.query.timeout)
        }

        var waitsOnUDP: Bool {
            if done { return false }
            if case .udp = phase { return true }
            return false
        }
    }

    /// One connected UDP socket and the queries waiting for their replies on it.
    final class UDPSocket {
        var fd: Int32
        var members: [Active] = []

        init(fd: Int32) {
            self.fd = fd
        }

        var waiting: [Active] { members.filter(\.waitsOnUDP) }

        /// Closes the socket (if it was opened) and lets go of its queries once none waits on
        /// it any more.
        func closeWhenIdle() {
            guard !members.contains(where: \.waitsOnUDP) else { return }
            if fd >= 0 { close(fd) }
            fd = -1
            members.removeAll()
        }
    }

    /// What one entry of the `poll` set stands for.
    enum Polled {
        case udp(UDPSocket)
        case tcp(Active)
    }

    // Strong: the loop object lives until its thread has stopped (after `shutdown()`).
    let owner: DNSSocketLoop
    var active: [Active] = []
    var sockets: [UDPSocket] = []
    var pollSet: [pollfd] = []
    var polled: [Polled] = []
    /// One receive buffer for every UDP reply: the largest datagram there is.
    var buffer = [UInt8](repeating: 0, count: 65536)
    let clock = ContinuousClock()

    init(owner: DNSSocketLoop) {
        self.owner = owner
    }

    /// Runs `run()` on a detached POSIX thread (Foundation's `Thread` would link ICU).
    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let loop = Unmanaged<DNSLoopThread>.fromOpaque(context!).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        precondition(created == 0, "cannot start the DNS loop thread: error \(created)")
        pthread_detach(thread)
    }

    func run() {
        while true {
            let (jobs, stopping) = owner.take(max: owner.maxInFlight - active.count)
            if stopping {
                // Taken off the queue in the same step as the stop was seen: end them too, or
                // their checks would wait forever, and the agent's stop with them (issue 16's
                // scale run: a `SIGTERM` amid 10,000 DNS checks hung the agent now and then).
                for job in jobs { job.finish(DNSSocketLoop.stopping(job)) }
                break
            }
            begin(jobs, now: clock.now)
            expire(now: clock.now)
            compact()
            // A free slot and queued work need no wait (a query that failed at once, such as
            // one refused by `connect`, freed its slot already): loop again at once.
            if active.count < owner.maxInFlight, owner.hasQueued { continue }
            waitAndHandle()
            compact()
        }
        for entry in active where !entry.done {
            finish(entry, error: DNSQueryError(kind: .other, detail: "hostwatch is stopping"))
        }
        active.removeAll()
        sockets.removeAll()
        for job in owner.drain() { job.finish(DNSSocketLoop.stopping(job)) }
    }

    // MARK: Starting

    /// Sends the jobs, the ones of one batch to one server on one socket.
    func begin(_ jobs: [DNSSocketLoop.Job], now: ContinuousClock.Instant) {
        var done = [Bool](repeating: false, count: jobs.count)
        for first in jobs.indices where !done[first] {
            var group = [jobs[first]]
            done[first] = true
            if let batch = jobs[first].batch {
                for other in (first + 1)..<jobs.count
                where !done[other] && jobs[other].batch == batch && jobs[other].query.server == jobs[first].query.server {
                    group.append(jobs[other])
                    done[other] = true
                }
            }
            begin(group, sharing: jobs[first].address, now: now)
        }
    }

    func begin(_ group: [DNSSocketLoop.Job], sharing address: SocketAddress, now: ContinuousClock.Instant) {
        let fd = socket(address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let udp = UDPSocket(fd: fd)
        let entries = group.map { Active(job: $0, udp: udp, started: now) }
        udp.members = entries
        active += entries
        guard fd >= 0 else {
            let error = DNSQueryError(kind: .other, detail: "cannot open a UDP socket: \(Self.errorText(errno))")
            for entry in entries { finish(entry, error: error) }
            return
        }
        sockets.append(udp)
        guard address.connect(fd) == 0 else {
            let error = Self.socketError(errno, server: group[0].query.server, proto: "UDP")
            for entry in entries { finish(entry, error: error) }
            return
        }
        for entry in entries where !entry.done {
            let wire = entry.job.wire
            let sent = wire.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard sent != wire.count else { continue }
            if sent < 0, errno != EMSGSIZE {
                // The error of the socket, not of this query: on loopback the "port unreachable"
                // of the first query is reported by the second send, and the first will never
                // be answered either.
                let error = Self.socketError(errno, server: entry.job.query.server, proto: "UDP")
                for waiting in udp.waiting { finish(waiting, error: error) }
                return
            }
            finish(entry, error: Self.socketError(EMSGSIZE, server: entry.job.query.server, proto: "UDP"))
        }
    }

    func beginTCP(_ entry: Active) {
        entry.phase = .tcpConnecting
        entry.udp.closeWhenIdle()
        let fd = socket(entry.job.address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        entry.fd = fd
        guard fd >= 0 else {
            finish(entry, error: DNSQueryError(kind: .other, detail: "cannot open a TCP socket: \(Self.errorText(errno))"))
            return
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        if entry.job.address.connect(fd) == 0 {
            entry.phase = .tcpWriting(sent: 0)
            writeTCP(entry)
        } else if errno != EINPROGRESS {
            finish(entry, error: Self.socketError(errno, server: entry.job.query.server, proto: "TCP"))
        }
    }

    // MARK: Waiting

    func waitAndHandle() {
        let now = clock.now
        var timeout: Int32 = -1
        if let nearest = active.lazy.filter({ !$0.done }).map(\.deadline).min() {
            let ms = now.duration(to: nearest).milliseconds
            // Round up, so a deadline is never polled for as "0 ms left" in a busy loop.
            timeout = Int32(clamping: max(0, ms + 1))
        }
        // With a free slot, a submission must be able to wake us: block only if nothing is
        // queued at the moment we say we sleep. When every slot is taken, new work waits for a
        // slot anyway, so nobody needs to wake us.
        if active.count < owner.maxInFlight, !owner.prepareToSleep() { timeout = 0 }
        pollSet.removeAll(keepingCapacity: true)
        polled.removeAll(keepingCapacity: true)
        pollSet.append(pollfd(fd: owner.wakeDescriptor, events: Int16(POLLIN), revents: 0))
        for udp in sockets where udp.fd >= 0 {
            pollSet.append(pollfd(fd: udp.fd, events: Int16(POLLIN), revents: 0))
            polled.append(.udp(udp))
        }
        for entry in active where !entry.done && entry.fd >= 0 {
            let events = if case .tcpReading = entry.phase { Int16(POLLIN) } else { Int16(POLLOUT) }
            pollSet.append(pollfd(fd: entry.fd, events: events, revents: 0))
            polled.append(.tcp(entry))
        }
        let ready = poll(&pollSet, nfds_t(pollSet.count), timeout)
        owner.markAwake()
        guard ready > 0 else { return }
        if pollSet[0].revents != 0 {
            var sink = [UInt8](repeating: 0, count: 64)
            while read(owner.wakeDescriptor, &sink, sink.count) > 0 {}
        }
        // `active` and `sockets` do not change in size while handling: ended ones are
        // compacted later.
        for (i, owner) in polled.enumerated() where pollSet[i + 1].revents != 0 {
            switch owner {
            case .udp(let udp): readUDP(udp)
            case .tcp(let entry) where !entry.done: handle(entry)
            case .tcp: break
            }
        }
    }

    func handle(_ entry: Active) {
        switch entry.phase {
        case .udp:
            break
        case .tcpConnecting:
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
            if socketError != 0 {
                finish(entry, error: Self.socketError(socketError, server: entry.job.query.server, proto: "TCP"))
                return
            }
            entry.phase = .tcpWriting(sent: 0)
            writeTCP(entry)
        case .tcpWriting:
            writeTCP(entry)
        case .tcpReading:
            readTCP(entry)
        }
    }

    // MARK: UDP

    /// Every datagram waiting on the socket, each to the query it answers.
    func readUDP(_ udp: UDPSocket) {
        while udp.fd >= 0 {
            let n = buffer.withUnsafeMutableBytes { recv(udp.fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
                // Port unreachable and its like concern the server: every query waiting on it.
                let code = errno
                for entry in udp.waiting { finish(entry, error: Self.socketError(code, server: entry.job.query.server, proto: "UDP")) }
                return
            }
            consumeUDP(udp, bytes: Array(buffer[0..<n]))
        }
    }

    func consumeUDP(_ udp: UDPSocket, bytes: [UInt8]) {
        let waiting = udp.waiting
        // A datagram that answers none of the queries waiting (too short, another ID) is dropped
        // unread: a late reply to an earlier query or a spoofing attempt must not end one.
        let id = bytes.count >= 2 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : nil
        guard let id, let entry = waiting.first(where: { $0.job.message.id == id }) else {
            for entry in waiting {
                ignore(entry, id.map { "a reply with ID \($0) instead of \(entry.job.message.id)" } ?? "a \(bytes.count)-byte datagram")
            }
            return
        }
        let reply: DNSMessage
        do { reply = try DNSMessage.decode(bytes) } catch {
            finish(entry, error: DNSQueryError(kind: .malformed, detail: "malformed reply (\(bytes.count) bytes over UDP): \(error)"))
            return
        }
        if let mismatch = reply.mismatch(with: entry.job.message) {
            ignore(entry, "a reply with \(mismatch)")
            return
        }
        if reply.flags.truncated {
            entry.notes.append("UDP reply truncated (tc, \(bytes.count) bytes): asked again over TCP")
            beginTCP(entry)
            return
        }
        finish(entry, reply: reply, bytes: bytes.count, tcp: false)
    }

    func ignore(_ entry: Active, _ what: String) {
        entry.ignored += 1
        // Keep a few: a flood of junk must not grow the transcript without bound.
        if entry.ignored <= 5 { entry.notes.append("ignored \(what)") }
    }

    // MARK: TCP

    func writeTCP(_ entry: Active) {
        guard case .tcpWriting(var sent) = entry.phase else { return }
        let wire = entry.job.wire
        let framed = [UInt8(wire.count >> 8), UInt8(wire.count & 0xff)] + wire
        while sent < framed.count {
            let n = framed[sent...].withUnsafeBytes { send(entry.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                    entry.phase = .tcpWriting(sent: sent)
                    return
                }
                finish(entry, error: Self.socketError(errno, server: entry.job.query.server, proto: "TCP"))
                return
            }
            sent += n
        }
        entry.phase = .tcpReading
    }

    func readTCP(_ entry: Active) {
        while !entry.done {
            let n = buffer.withUnsafeMutableBytes { recv(entry.fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
                finish(entry, error: Self.socketError(errno, server: entry.job.query.server, proto: "TCP"))
                return
            }
            if n == 0 {
                let detail = entry.tcpBuffer.isEmpty ? "closed the TCP connection without a reply"
                    : "closed the TCP connection after \(entry.tcpBuffer.count) bytes of the reply"
                finish(entry, error: DNSQueryError(kind: .malformed, detail: detail))
                return
            }
            entry.tcpBuffer += buffer[0..<n]
            guard entry.tcpBuffer.count >= 2 else { continue }
            let expected = Int(entry.tcpBuffer[0]) << 8 | Int(entry.tcpBuffer[1])
            guard expected > 0 else {
                finish(entry, error: DNSQueryError(kind: .malformed, detail: "TCP reply announced a length of 0"))
                return
            }
            guard entry.tcpBuffer.count >= 2 + expected else { continue }
            let bytes = Array(entry.tcpBuffer[2..<(2 + expected)])
            let reply: DNSMessage
            do { reply = try DNSMessage.decode(bytes) } catch {
                finish(entry, error: DNSQueryError(kind: .malformed, detail: "malformed reply (\(bytes.count) bytes over TCP): \(error)"))
                return
            }
            // On a connection of our own there is no one else to wait for: a mismatch is an error.
            if let mismatch = reply.mismatch(with: entry.job.message) {
                finish(entry, error: DNSQueryError(kind: .malformed, detail: "TCP reply does not match the query: \(mismatch)"))
                return
            }
            finish(entry, reply: reply, bytes: bytes.count, tcp: true)
        }
    }

    // MARK: Ending

    func expire(now: ContinuousClock.Instant) {
        for entry in active where !entry.done && entry.deadline <= now {
            var detail = "no reply within \(DurationText.format(entry.job.query.timeout))"
            if case .tcpConnecting = entry.phase { detail += " (TCP connect after a truncated UDP reply)" }
            if case .tcpReading = entry.phase { detail += " (waiting for the TCP reply after a truncated UDP reply)" }
            if entry.ignored > 0 { detail += "; ignored \(entry.ignored) reply\(entry.ignored == 1 ? "" : "s") that did not match" }
            finish(entry, error: DNSQueryError(kind: .timeout, detail: detail))
        }
    }

    func finish(_ entry: Active, reply: DNSMessage? = nil, bytes: Int = 0, tcp: Bool = false, error: DNSQueryError? = nil) {
        guard !entry.done else { return }
        entry.done = true
        if entry.fd >= 0 { close(entry.fd) }
        entry.fd = -1
        entry.udp.closeWhenIdle()
        var notes = entry.notes
        if entry.ignored > 5 { notes.append("ignored \(entry.ignored - 5) more replies that did not match") }
        let exchange = DNSExchange(query: entry.job.query, id: entry.job.message.id, reply: reply, error: error, usedTCP: tcp,
                                   replyBytes: bytes, duration: entry.started.duration(to: clock.now), notes: notes)
        entry.job.finish(exchange)
    }

    func compact() {
        if active.contains(where: \.done) { active.removeAll(where: \.done) }
        if sockets.contains(where: { $0.fd < 0 }) { sockets.removeAll { $0.fd < 0 } }
    }

    // MARK: Errors

    static func socketError(_ code: Int32, server: DNSServer, proto: String) -> DNSQueryError {
        switch code {
        case ECONNREFUSED:
            let how = proto == "UDP" ? "port unreachable" : "connection refused"
            return DNSQueryError(kind: .refused, detail: "\(how): nothing listens on \(server) (\(proto))")
        case ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, ENETDOWN, EHOSTDOWN:
            return DNSQueryError(kind: .unreachable, detail: "cannot reach \(server) over \(proto): \(errorText(code))")
        case ETIMEDOUT:
            return DNSQueryError(kind: .timeout, detail: "\(proto) to \(server) timed out")
        default:
            return DNSQueryError(kind: .other, detail: "\(proto) to \(server): \(errorText(code))")
        }
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
