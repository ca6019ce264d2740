import CCurl
import Foundation
import Synchronization

/// One libcurl multi handle driven by its own thread: every transfer of the agent runs here.
/// (`@unchecked`: the multi handle is used by the loop thread only, except for
/// `curl_multi_wakeup`, which libcurl documents as safe from any thread.)
///
/// Checks `await` a transfer; the loop adds at most `maxInFlight` easy handles to the multi
/// handle at once and queues the rest, so a thousand hung targets cost file descriptors up to
/// the bound and wall time only in parallel. libcurl is not thread-safe per handle: an easy
/// handle is touched by the loop thread only while it is in the multi handle, and by the
/// awaiting task before submission and after completion (the continuation orders the two).
public final class CurlMultiLoop: @unchecked Sendable {
    private struct State: ~Copyable {
        var queued: [CurlTransfer] = []
        var stopping = false
    }

    private let multi: UnsafeMutableRawPointer
    private let state = Mutex(State())
    public let maxInFlight: Int

    /// Starts the loop thread. `curl_global_init` runs once per process before any handle.
    public init(maxInFlight: Int = 256) {
        CurlGlobal.initialize()
        self.maxInFlight = max(1, maxInFlight)
        multi = curl_multi_init()
        _ = hw_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 16)
        let loop = LoopThread(multi: multi, owner: self)
        let thread = Thread { loop.run() }
        thread.name = "hostwatch-curl"
        thread.start()
    }

    /// Runs one prepared transfer to completion and returns libcurl's result code.
    func perform(_ transfer: CurlTransfer) async -> CURLcode {
        await withCheckedContinuation { (continuation: CheckedContinuation<CURLcode, Never>) in
            transfer.continuation = continuation
            let accepted = state.withLock { state -> Bool in
                guard !state.stopping else { return false }
                state.queued.append(transfer)
                return true
            }
            if accepted {
                curl_multi_wakeup(multi)
            } else {
                transfer.finish(CURLE_ABORTED_BY_CALLBACK)
            }
        }
    }

    /// Stops the loop: transfers in flight end with `CURLE_ABORTED_BY_CALLBACK`.
    public func shutdown() {
        state.withLock { $0.stopping = true }
        curl_multi_wakeup(multi)
    }

    fileprivate func takeQueued(max count: Int) -> (transfers: [CurlTransfer], stopping: Bool) {
        state.withLock { state in
            let taken = Array(state.queued.prefix(count))
            state.queued.removeFirst(taken.count)
            return (taken, state.stopping)
        }
    }

    fileprivate var hasQueued: Bool {
        state.withLock { !$0.queued.isEmpty }
    }

    fileprivate func drainQueued() -> [CurlTransfer] {
        state.withLock { state in
            defer { state.queued.removeAll() }
            return state.queued
        }
    }
}

/// The loop itself, owned by its thread.
private final class LoopThread: @unchecked Sendable {
    let multi: UnsafeMutableRawPointer
    // Strong: the loop object lives until its thread has stopped (after `shutdown()`).
    let owner: CurlMultiLoop
    var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(multi: UnsafeMutableRawPointer, owner: CurlMultiLoop) {
        self.multi = multi
        self.owner = owner
    }

    func run() {
        var running: Int32 = 0
        while true {
            let (incoming, stopping) = owner.takeQueued(max: owner.maxInFlight - active.count)
            if stopping { break }
            for transfer in incoming {
                let code = curl_multi_add_handle(multi, transfer.easy)
                if code == CURLM_OK {
                    active[transfer.easy] = transfer
                } else {
                    transfer.finish(CURLE_FAILED_INIT)
                }
            }
            curl_multi_perform(multi, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                active.removeValue(forKey: easy)?.finish(result)
            }
            // A free slot and queued work need no wait: loop again at once.
            if active.count < owner.maxInFlight, owner.hasQueued { continue }
            var numfds: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &numfds)
        }
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            transfer.finish(CURLE_ABORTED_BY_CALLBACK)
        }
        active.removeAll()
        for transfer in owner.drainQueued() { transfer.finish(CURLE_ABORTED_BY_CALLBACK) }
        curl_multi_cleanup(multi)
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
}
