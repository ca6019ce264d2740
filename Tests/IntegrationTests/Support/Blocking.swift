import Foundation

/// Runs blocking fixture work (starting a daemon, running the binary, mounting) on a thread of
/// its own and suspends until it is done.
///
/// Swift Testing runs tests in parallel on the cooperative pool, which has one thread per core
/// (two here): a test that blocks one of them for seconds delays every async test running
/// beside it, and their timing bounds fail. Keep `#expect` outside the closure: it records
/// issues against the test through the task, which a plain thread does not carry.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
