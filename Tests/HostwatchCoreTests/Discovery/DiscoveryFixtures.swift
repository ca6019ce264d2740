import Foundation
import HostwatchCore

/// Recorded outputs and file trees beside these tests (`Fixtures/`; each says where its shape
/// comes from), and a file tree that maps absolute paths such as `/etc/nsd` onto them.
enum DiscoveryFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func text(_ name: String) -> String {
        (try? String(contentsOfFile: folder + "/" + name, encoding: .utf8)) ?? ""
    }

    /// A tree that serves `mounts` (absolute prefix → folder under Fixtures) from disk.
    struct Tree: DiscoveryFileTree {
        var mounts: [String: String]

        func local(_ path: String) -> String {
            for (prefix, folder) in mounts where path == prefix || path.hasPrefix(prefix + "/") {
                return DiscoveryFixtures.folder + "/" + folder + path.dropFirst(prefix.count)
            }
            return path
        }

        func text(_ path: String) -> String? { try? String(contentsOfFile: local(path), encoding: .utf8) }
        func names(in folder: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: local(folder))) ?? []).sorted() }
    }
}
