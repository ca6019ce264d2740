import FoundationEssentials
import HostwatchCore

/// `disk-growth.json` in the state folder: each disk check's samples of available bytes, so a
/// restart does not blind the time-to-full projection for a whole growth window.
public struct DiskGrowthFile: Sendable {
    struct Saved: Codable {
        var schema = "hostwatch.disk-growth/1"
        /// By mount point: [unix seconds, available bytes].
        var mounts: [String: [[Double]]]
    }

    public let path: String

    public init(stateDir: String) {
        path = stateDir + "/disk-growth.json"
    }

    public func load() throws(TicketStoreError) -> [String: [DiskGrowth.Sample]] {
        guard let saved = try JSONStateFile<Saved>(path: path).load() else { return [:] }
        return saved.mounts.mapValues { pairs in
            pairs.compactMap { pair in
                guard pair.count == 2, pair[1] >= 0, pair[1] < 1.8e19 else { return nil }
                return DiskGrowth.Sample(time: Date(timeIntervalSince1970: pair[0]), availableBytes: UInt64(pair[1]))
            }
        }
    }

    public func save(_ samples: [String: [DiskGrowth.Sample]]) throws(TicketStoreError) {
        let mounts = samples.mapValues { $0.map { [$0.time.timeIntervalSince1970, Double($0.availableBytes)] } }
        try JSONStateFile<Saved>(path: path, compact: true).save(Saved(mounts: mounts))
    }
}
