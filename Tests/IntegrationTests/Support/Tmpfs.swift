import Foundation
import Glibc

/// A small tmpfs mounted by a test (root only), for filling past thresholds, running out of
/// inodes and remounting read-only. `unmount()` in a `defer` (lazy, so a test that fails with a
/// file open still cleans up).
struct Tmpfs {
    let path: String

    /// Mounts a tmpfs of `sizeMiB` MiB with `inodes` inodes at `path` (created if missing).
    init(at path: String, sizeMiB: Int = 16, inodes: Int = 10_000) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try ChildProcess.output(of: "/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeMiB)m,nr_inodes=\(inodes),mode=0755", "tmpfs", path])
        self.path = path
    }

    /// Whether this process may mount filesystems (root, with the capability).
    static var canMount: Bool { geteuid() == 0 }

    /// Changes the superblock to read-only (`mount -o remount,ro`): what the kernel does to a
    /// filesystem after errors.
    func remountReadOnly() throws {
        try ChildProcess.output(of: "/bin/mount", ["-o", "remount,ro", path])
    }

    func unmount() {
        _ = try? ChildProcess.run("/bin/umount", ["-l", path], timeout: .seconds(10))
    }

    /// Writes a file of `bytes` bytes (directories created as needed).
    func write(_ relative: String, bytes: Int) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 0x61, count: bytes).write(to: URL(fileURLWithPath: full))
    }

    /// Creates `count` empty files in `relative` (each takes an inode).
    func touch(_ relative: String, count: Int) throws {
        let dir = path + "/" + relative
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for i in 0..<count {
            guard FileManager.default.createFile(atPath: "\(dir)/f\(i)", contents: nil) else {
                throw FixtureError.fileSystem(path: "\(dir)/f\(i)", reason: "cannot create")
            }
        }
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + relative)
    }
}
