import HostwatchCore
import Synchronization

/// The agent's writers report each write of the state folder here (`WriteHealth`); a change is
/// logged once and sent to systemd as `STATUS=` (`degraded: cannot write state to DIR: …`, and
/// the normal line back when every writer works again). Shared by the scheduler, the state
/// writer, the outbox delivery and the history files, from any thread.
public final class StateFolderHealth: Sendable {
    private struct State {
        var health = WriteHealth()
        var normal: String
        /// The line last given to `publish`.
        var shown: String?
    }

    public let folder: String
    private let logger: Logger
    private let publish: @Sendable (String) -> Void
    private let state: Mutex<State>

    /// `publish` gets each new status line (the agent sends it to systemd); `normal` is the line
    /// while every write works.
    public init(folder: String, normal: String = "", logger: Logger, publish: @escaping @Sendable (String) -> Void = { _ in }) {
        self.folder = folder
        self.logger = logger
        self.publish = publish
        state = Mutex(State(normal: normal))
    }

    /// Whether a write failed and not every failing writer has written since.
    public var isDegraded: Bool { state.withLock { $0.health.isDegraded } }

    /// The status line now: the normal one, or what cannot be written.
    public var status: String { state.withLock { $0.health.status(folder: folder, normal: $0.normal) } }

    /// Sets the normal line (the agent started or reloaded and sends it itself with READY=1).
    public func setNormal(_ line: String) {
        state.withLock { state in
            state.normal = line
            if !state.health.isDegraded { state.shown = line }
        }
    }

    /// `writer` failed to write. Returns whether this is news (the caller logs it as an error
    /// then, else at debug: a full disk fails the same write every second).
    @discardableResult
    public func failed(_ writer: String, error: String) -> Bool {
        let change = report { $0.failed(writer, error: error) }
        if change == .degraded { logger.error("state.degraded", ["state_dir": folder, "writer": writer, "error": error]) }
        return change != .none
    }

    /// `writer` wrote.
    public func wrote(_ writer: String) {
        let change = report { $0.wrote(writer) }
        if change == .recovered { logger.info("state.writable_again", ["state_dir": folder, "writer": writer]) }
    }

    /// Applies a report and publishes the status line when it differs from the one last
    /// published (under the lock, so the lines go out in the order the changes happened;
    /// `publish` must not block: the notifier's send never does).
    private func report(_ apply: (inout WriteHealth) -> WriteHealth.Change) -> WriteHealth.Change {
        state.withLock { state in
            let change = apply(&state.health)
            guard change != .none else { return change }
            let line = state.health.status(folder: folder, normal: state.normal)
            if line != state.shown {
                state.shown = line
                publish(line)
            }
            return change
        }
    }
}
