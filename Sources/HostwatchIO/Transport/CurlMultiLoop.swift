import CCurl
import Dispatch
import FoundationEssentials
import Glibc
import Synchronization

/// One libcurl multi handle driven by its own thread: every transfer of the agent runs here.
/// (`@unchecked`: the multi handle is used by the loop thread only; other threads only signal
/// its wake-up eventfd.)
///
/// The loop uses libcurl's socket interface (`curl_multi_socket_action`) over epoll: libcurl
/// names the sockets it waits on and its next timeout, and each wake-up hands it only the
/// sockets that are ready. `curl_multi_perform` and `curl_multi_poll` visit every transfer in
/// flight at every wake-up, and the loop wakes for every check submitted: with 700 transfers
/// to hung servers in issue 16's scale run, that walk was a fifth of the agent's CPU.
///
/// Checks `await` a transfer; the loop adds at most `maxInFlight` easy handles to the multi
/// handle at once and queues the rest, so a thousand hung targets cost file descriptors up to
/// the bound and wall time only in parallel. libcurl is not thread-safe per handle: an easy
/// handle is touched by the loop thread only while it is in the multi handle, and by the
/// awaiting task before submission and after completion (the continuation orders the two).
public final class CurlMultiLoop: @unchecked Sendable {
    /// A transfer waiting for a slot: its easy handle is made only when a slot is free, so a
    /// queue of ten thousand checks holds ten thousand small closures, not easy handles.
    fileprivate struct Pending {
        var make: @Sendable () -> CurlTransfer
        var continuation: CheckedContinuation<(CurlTransfer?, CURLcode), Never>
    }

    private struct State: ~Copyable {
        /// Taken entries are emptied at once: an entry holds its request and the plan's TLS
        /// session slot, which must not outlive the transfer.
        var queued: [Pending?] = []
        var head = 0
        var stopping = false
    }

    private let multi: UnsafeMutableRawPointer
    private let state = Mutex(State())
    public let maxInFlight: Int
    /// Idle connections kept for checks that reuse them (0: none; libcurl keeps 16 besides).
    public let keptConnections: Int
    /// Signalled to wake the loop (work queued, or a stop); closed by the loop as it ends.
    fileprivate let wakeFD: Int32

    /// Starts the loop thread. `curl_global_init` runs once per process before any handle.
    /// `keptConnections`: idle connections kept for reuse (`CURLMOPT_MAXCONNECTS`, at least 16).
    public init(maxInFlight: Int = 256, keptConnections: Int = 0) {
        CurlGlobal.initialize()
        self.maxInFlight = max(1, maxInFlight)
        self.keptConnections = max(0, keptConnections)
        multi = curl_multi_init()
        wakeFD = hw_eventfd()
        precondition(wakeFD >= 0, "cannot make the libcurl loop's eventfd: errno \(errno)")
        _ = hw_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(16, self.keptConnections))
        LoopThread(multi: multi, owner: self).start()
    }

    /// Makes a transfer with `make` (on the loop thread, once a slot is free), runs it to
    /// completion and returns it with libcurl's result code. After a shutdown the code is
    /// `CURLE_ABORTED_BY_CALLBACK`.
    func perform(_ make: @escaping @Sendable () -> CurlTransfer) async -> (CurlTransfer, CURLcode) {
        let (transfer, code) = await withCheckedContinuation { (continuation: CheckedContinuation<(CurlTransfer?, CURLcode), Never>) in
            // The wake-up happens under the lock: the loop thread closes the eventfd only after
            // it has seen the stop under the same lock, so it is never signalled closed.
            let accepted = state.withLock { state -> Bool in
                guard !state.stopping else { return false }
                state.queued.append(Pending(make: make, continuation: continuation))
                hw_eventfd_signal(wakeFD)
                return true
            }
            if !accepted {
                continuation.resume(returning: (nil, CURLE_ABORTED_BY_CALLBACK))
            }
        }
        return (transfer ?? make(), code)
    }

    /// Stops the loop: transfers in flight end with `CURLE_ABORTED_BY_CALLBACK`.
    /// Signalled once the loop thread has freed the multi handle and is about to end.
    private let finished = DispatchSemaphore(value: 0)

    /// Stops the loop and waits until its thread is out of libcurl: call before the process
    /// exits, or OpenSSL's exit handlers can run under a thread still inside it.
    public func shutdownAndWait() {
        shutdown()
        finished.wait()
        finished.signal()   // later waiters return at once
    }

    fileprivate func loopEnded() { finished.signal() }

    public func shutdown() {
        state.withLock { state in
            guard !state.stopping else { return }
            state.stopping = true
            hw_eventfd_signal(wakeFD)
        }
    }

    fileprivate func takeQueued(max count: Int) -> (pending: [Pending], stopping: Bool) {
        state.withLock { state in
            let end = min(state.queued.count, state.head + max(0, count))
            var taken: [Pending] = []
            taken.reserveCapacity(end - state.head)
            for index in state.head..<end {
                if let pending = state.queued[index] { taken.append(pending) }
                state.queued[index] = nil
            }
            state.head = end
            // Compact when all is taken, or now and then, instead of shifting the array on every take.
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
        state.withLock { $0.head < $0.queued.count }
    }

    fileprivate func drainQueued() -> [Pending] {
        state.withLock { state in
            defer {
                state.queued.removeAll()
                state.head = 0
            }
            return state.queued[state.head...].compactMap { $0 }
        }
    }
}

/// The loop itself, owned by its thread.
private final class LoopThread: @unchecked Sendable {
    let multi: UnsafeMutableRawPointer
    // Strong: the loop object lives until its thread has stopped (after `shutdown()`).
    let owner: CurlMultiLoop
    var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Mail transfers past libcurl's opening, in their own dialogue (still in `active` and in the
    /// multi handle: a `CONNECT_ONLY` connection lives only while its handle is there).
    var talking: [CurlTransfer] = []
    /// The sockets libcurl waits on, and the wake-up eventfd.
    let epoll: Int32
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` next (its timer callback); nil: no timeout.
    var curlDue: ContinuousClock.Instant?

    init(multi: UnsafeMutableRawPointer, owner: CurlMultiLoop) {
        self.multi = multi
        self.owner = owner
        epoll = hw_epoll_create()
        precondition(epoll >= 0, "cannot make the libcurl loop's epoll: errno \(errno)")
        _ = hw_epoll_watch(epoll, owner.wakeFD, 1, 0)
    }

    /// Runs `run()` on a detached POSIX thread of its own (Foundation's `Thread` would link the
    /// ICU-heavy part of Foundation).
    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            let loop = Unmanaged<LoopThread>.fromOpaque(context!).takeRetainedValue()
            loop.run()
            return nil
        }, context)
        precondition(created == 0, "cannot start the libcurl loop thread: error \(created)")
        pthread_detach(thread)
    }

    func run() {
        // The callbacks run on this thread, inside the libcurl calls below.
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = hw_multi_use_sockets(multi, { _, socket, what, userp, _ in
            let loop = Unmanaged<LoopThread>.fromOpaque(userp!).takeUnretainedValue()
            if what == CURL_POLL_REMOVE {
                _ = hw_epoll_forget(loop.epoll, socket)
            } else {
                _ = hw_epoll_watch(loop.epoll, socket, what & CURL_POLL_IN, what & CURL_POLL_OUT)
            }
            return 0
        }, { _, milliseconds, userp in
            let loop = Unmanaged<LoopThread>.fromOpaque(userp!).takeUnretainedValue()
            loop.curlDue = milliseconds < 0 ? nil : ContinuousClock.now + .milliseconds(milliseconds)
            return 0
        }, me)
        var running: Int32 = 0
        var readyFDs = [Int32](repeating: 0, count: 64)
        var readyEvents = [Int32](repeating: 0, count: 64)
        while true {
            guard startQueued() else { break }
            if let due = curlDue, due <= .now {
                curlDue = nil
                curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
            }
            finishDone()
            let (waits, wakeAt) = advanceDialogues()
            // A free slot and queued work need no wait: loop again at once.
            if active.count < owner.maxInFlight, owner.hasQueued { continue }
            var next = wakeAt
            if let curlDue { next = min(next ?? curlDue, curlDue) }
            var timeout: Int32 = 1000
            if let next {
                // A millisecond over, so a wake-up is never early and spun again.
                timeout = Int32(clamping: max(0, min(1000, (next - ContinuousClock.now).milliseconds + 1)))
            }
            // The few mail dialogues' own sockets are polled beside the epoll set.
            if !waits.isEmpty {
                var fds = [pollfd(fd: epoll, events: Int16(POLLIN), revents: 0)]
                for wait in waits { fds.append(pollfd(fd: wait.fd, events: wait.events, revents: 0)) }
                _ = poll(&fds, nfds_t(fds.count), timeout)
                timeout = 0
            }
            let count = readyFDs.withUnsafeMutableBufferPointer { fds in
                readyEvents.withUnsafeMutableBufferPointer { events in
                    hw_epoll_wait(epoll, fds.baseAddress, events.baseAddress, Int32(fds.count), timeout)
                }
            }
            for i in 0..<max(0, Int(count)) {
                let fd = readyFDs[i]
                if fd == owner.wakeFD {
                    hw_eventfd_drain(fd)
                    continue
                }
                let ready = readyEvents[i]
                var mask: Int32 = 0
                if ready & Int32(HW_READY_IN) != 0 { mask |= CURL_CSELECT_IN }
                if ready & Int32(HW_READY_OUT) != 0 { mask |= CURL_CSELECT_OUT }
                if ready & Int32(HW_READY_ERR) != 0 { mask |= CURL_CSELECT_ERR | CURL_CSELECT_IN }
                curl_multi_socket_action(multi, fd, mask, &running)
            }
            finishDone()
        }
        talking.removeAll()
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            transfer.finish(CURLE_ABORTED_BY_CALLBACK)
        }
        active.removeAll()
        for pending in owner.drainQueued() { pending.continuation.resume(returning: (nil, CURLE_ABORTED_BY_CALLBACK)) }
        curl_multi_cleanup(multi)
        close(epoll)
        close(owner.wakeFD)
        owner.loopEnded()
    }

    /// Makes and adds the queued transfers there is room for; false once the loop is stopping.
    /// What it takes off the queue (the makers, which hold a check's certificate plan and through
    /// it its session slot) goes when it returns, not at the end of the loop's turn after its
    /// wait, when the transfers may be long done and a sweep would find the slot still held.
    func startQueued() -> Bool {
        let (incoming, stopping) = owner.takeQueued(max: owner.maxInFlight - active.count)
        if stopping {
            // Taken off the queue in the same step as the stop was seen: end them too, or
            // their callers would wait forever.
            for pending in incoming { pending.continuation.resume(returning: (nil, CURLE_ABORTED_BY_CALLBACK)) }
            return false
        }
        for pending in incoming {
            let transfer = pending.make()
            transfer.continuation = pending.continuation
            // Adding sets libcurl's timer to now: the timeout in `run` starts the transfer.
            let code = curl_multi_add_handle(multi, transfer.easy)
            if code == CURLM_OK {
                active[transfer.easy] = transfer
            } else {
                transfer.finish(CURLE_FAILED_INIT)
            }
        }
        return true
    }

    /// Ends the transfers libcurl has finished; a mail transfer past its opening goes on to its
    /// dialogue instead.
    func finishDone() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let result = message.pointee.data.result
            if result == CURLE_OK, let transfer = active[easy], let dialogue = transfer.dialogue {
                dialogue.begin(transfer)
                talking.append(transfer)
                continue
            }
            curl_multi_remove_handle(multi, easy)
            active.removeValue(forKey: easy)?.finish(result)
        }
    }
}

extension LoopThread {
    /// Moves every mail dialogue on as far as it goes without blocking; finishes those that are
    /// done. Returns the sockets to poll and the earliest deadline or pause among them.
    func advanceDialogues() -> (waits: [curl_waitfd], wakeAt: ContinuousClock.Instant?) {
        guard !talking.isEmpty else { return ([], nil) }
        let now = ContinuousClock.now
        var waits: [curl_waitfd] = []
        var wakeAt: ContinuousClock.Instant?
        talking.removeAll { transfer in
            guard let dialogue = transfer.dialogue else { return true }
            let wait = dialogue.advance(transfer, now: now)
            switch wait {
            case .done:
                // Removing a CONNECT_ONLY handle closes its connection without libcurl's own
                // (blocking) QUIT or LOGOUT: the dialogue already said goodbye, or gave up.
                curl_multi_remove_handle(multi, transfer.easy)
                active.removeValue(forKey: transfer.easy)
                transfer.finish(dialogue.code)
                return true
            case .readable(let socket):
                waits.append(curl_waitfd(fd: socket, events: Int16(CURL_WAIT_POLLIN), revents: 0))
            case .writable(let socket):
                waits.append(curl_waitfd(fd: socket, events: Int16(CURL_WAIT_POLLOUT), revents: 0))
            case .until(let instant):
                wakeAt = min(wakeAt ?? instant, instant)
            }
            wakeAt = min(wakeAt ?? dialogue.deadline, dialogue.deadline)
            return false
        }
        return (waits, wakeAt)
    }
}

/// Process-wide libcurl set-up, done once before the first handle exists.
enum CurlGlobal {
    private static let done: Bool = {
        // A peer closing a TLS connection must not kill the agent with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    static func initialize() { _ = done }

    /// The CA bundle libcurl verifies with when a transfer names none (its build's default,
    /// `CURLINFO_CAINFO`); nil when it has none.
    static let defaultCAFile: String? = {
        initialize()
        guard let easy = curl_easy_init() else { return nil }
        defer { curl_easy_cleanup(easy) }
        var path: UnsafeMutablePointer<CChar>?
        guard hw_easy_getinfo_string(easy, CURLINFO_CAINFO, &path) == CURLE_OK, let path else { return nil }
        return String(cString: path)
    }()
}
