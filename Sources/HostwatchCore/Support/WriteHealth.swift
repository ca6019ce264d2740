/// Whether the agent can write its state folder, from what its writers (the ticket store, the
/// tracker's state and status files, the outbox's progress, the history files) report: degraded
/// from the first failed write until every writer that failed has written again. Each report
/// says whether it changed anything, so the log and systemd hear of a change once, not of every
/// retry (a full disk fails the same write every second).
public struct WriteHealth: Sendable {
    /// What a report changed.
    public enum Change: Sendable, Equatable {
        /// Nothing: the same failure again, or a write that was never failing.
        case none
        /// The first failure: the folder is degraded now.
        case degraded
        /// Already degraded; this writer failed for the first time, or with another error.
        case failedToo
        /// This writer works again, others still fail.
        case partlyRecovered
        /// The last failing writer works again.
        case recovered
    }

    /// The writers failing now and their latest error, in the order they started failing.
    public private(set) var failing: [(writer: String, error: String)] = []

    public init() {}

    public var isDegraded: Bool { !failing.isEmpty }

    /// `writer` could not write: `error` says why.
    public mutating func failed(_ writer: String, error: String) -> Change {
        if let i = failing.firstIndex(where: { $0.writer == writer }) {
            guard failing[i].error != error else { return .none }
            failing[i].error = error
            return .failedToo
        }
        failing.append((writer, error))
        return failing.count == 1 ? .degraded : .failedToo
    }

    /// `writer` wrote.
    public mutating func wrote(_ writer: String) -> Change {
        guard let i = failing.firstIndex(where: { $0.writer == writer }) else { return .none }
        failing.remove(at: i)
        return failing.isEmpty ? .recovered : .partlyRecovered
    }

    /// The line for systemd's `STATUS=`: `normal` while every write works, else which folder
    /// cannot be written and the first failure (its path made relative to `folder`). Only the
    /// first: more writers failing the same way would change the line, not the news.
    public func status(folder: String, normal: String) -> String {
        guard let first = failing.first else { return normal }
        var error = first.error
        if error.hasPrefix(folder + "/") { error.removeFirst(folder.count + 1) }
        return "degraded: cannot write state to \(folder): \(error)"
    }
}
