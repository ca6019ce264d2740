import HostwatchCore
import Synchronization

/// A disk transport whose measurements and directory walk a test sets, counting the walks.
public final class StubDiskTransport: DiskTransport {
    private struct State {
        var reading: DiskReading
        var report: DirectoryUsageReport
        var walks = 0
    }

    private let state: Mutex<State>

    public init(_ stats: VolumeStats, report: DirectoryUsageReport = DirectoryUsageReport()) {
        state = Mutex(State(reading: DiskReading(stats: stats, duration: .microseconds(40)), report: report))
    }

    /// What the next measurements return.
    public func set(_ reading: DiskReading) { state.withLock { $0.reading = reading } }
    public func set(_ stats: VolumeStats) { set(DiskReading(stats: stats, duration: .microseconds(40))) }
    public func set(report: DirectoryUsageReport) { state.withLock { $0.report = report } }

    /// How many directory walks were asked for.
    public var walks: Int { state.withLock { $0.walks } }

    public func measure(path: String, timeout: Duration) async -> DiskReading {
        state.withLock { $0.reading }
    }

    public func largestDirectories(under mountPoint: String, budget: Duration) async -> DirectoryUsageReport {
        state.withLock { state in
            state.walks += 1
            return state.report
        }
    }
}
