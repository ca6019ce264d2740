import FoundationEssentials
import HostwatchCore

/// The machine's own files, for the discovery readers: absolute paths as the sources name them.
public struct LocalFileTree: DiscoveryFileTree {
    public init() {}

    public func text(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public func names(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }
}
