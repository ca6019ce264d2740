import Dispatch
import HostwatchCore
import FoundationEssentials

/// Writes the Prometheus textfile (`metrics.textfile`) every `every`: a snapshot rendered by
/// `MetricsText`, replaced atomically (temporary file, fsync, rename) so node_exporter never
/// reads half of it. The temporary name starts with a dot and does not end in `.prom`, so the
/// collector never picks it up.
public struct MetricsExporter: Sendable {
    /// The file could not be written.
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public let configuration: AgentConfig.Metrics
    public let logger: Logger
    public let snapshot: @Sendable () async -> MetricsSnapshot

    public init(configuration: AgentConfig.Metrics, logger: Logger, snapshot: @escaping @Sendable () async -> MetricsSnapshot) {
        self.configuration = configuration
        self.logger = logger
        self.snapshot = snapshot
    }

    /// Writes until the task is cancelled, the first time at once. Logs a failure when it
    /// starts or changes, and the recovery.
    public func run() async {
        var failing: String?
        while !Task.isCancelled {
            let current = await snapshot()
            if Task.isCancelled { break }
            do {
                try await Self.writeOffPool(current, to: configuration.textfile)
                if failing != nil { logger.info("metrics.recovered", ["textfile": configuration.textfile]) }
                failing = nil
            } catch {
                if failing != error.description { logger.warning("metrics.failed", ["error": error.description]) }
                failing = error.description
            }
            try? await Task.sleep(for: configuration.every)
        }
    }

    private static let queue = DispatchQueue(label: "hostwatch.metrics")

    /// Renders and writes on a queue of its own: rendering 40,000 checks takes a good part of
    /// a second, which on one of the cooperative pool's two threads stalls every check.
    static func writeOffPool(_ snapshot: MetricsSnapshot, to path: String) async throws(WriteError) {
        let result: Result<Void, WriteError> = await withCheckedContinuation { done in
            queue.async {
                do throws(WriteError) {
                    try write(snapshot, to: path)
                    done.resume(returning: .success(()))
                } catch {
                    done.resume(returning: .failure(error))
                }
            }
        }
        try result.get()
    }

    /// Renders and writes one snapshot, world-readable (node_exporter runs as its own user).
    public static func write(_ snapshot: MetricsSnapshot, to path: String) throws(WriteError) {
        do {
            try AtomicFile.write(to: path, mode: 0o644) { put in
                MetricsText.render(snapshot) { piece in
                    var piece = piece
                    piece.withUTF8 { put(UnsafeRawBufferPointer($0)) }
                }
            }
        } catch {
            throw WriteError(description: error.description)
        }
    }
}
