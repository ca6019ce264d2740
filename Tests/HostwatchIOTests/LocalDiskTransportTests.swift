import Foundation
import Glibc
import HostwatchCore
import Testing
@testable import HostwatchIO

/// `statvfs`, mountinfo and the directory walk on this machine's own files (the integration
/// tests mount real tmpfs filesystems; these need no root).
@Suite struct LocalDiskTransportTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "hostwatch-disk-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func write(_ bytes: Int, to path: String) throws {
        try Data(repeating: 120, count: bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func measuresTheRootFilesystem() async throws {
        let reading = await LocalDiskTransport().measure(path: "/", timeout: .seconds(5))
        let stats = try #require(reading.stats, "\(reading.error?.detail ?? "")")
        #expect(stats.mountPoint == "/")
        #expect(stats.totalBytes > 0)
        #expect(stats.availableBytes <= stats.freeBytes)
        #expect(!stats.filesystemType.isEmpty)
        #expect(reading.duration > .zero)
    }

    @Test func aMissingPathIsReportedAsSuch() async {
        let reading = await LocalDiskTransport().measure(path: "/no/such/mount", timeout: .seconds(5))
        #expect(reading.error?.kind == .noSuchPath)
        #expect(reading.error?.detail == "no such file or directory")
    }

    /// A measurement that blocks in the kernel (here: opening a FIFO with no writer, standing in
    /// for `statvfs` on a dead NFS server) ends at the timeout, and the next one is refused at
    /// once instead of blocking another thread.
    @Test func aHungFilesystemTimesOutAndIsNotAskedAgainWhileHung() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fifo = dir + "/mountinfo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let transport = LocalDiskTransport(mountInfoPath: fifo)
        let first = await transport.measure(path: "/", timeout: .milliseconds(200))
        #expect(first.error?.kind == .timeout)
        #expect(first.error?.detail == "statvfs did not return within 200ms: the filesystem hangs (a dead network server?)")
        let second = await transport.measure(path: "/", timeout: .seconds(30))
        #expect(second.error?.kind == .timeout)
        #expect(second.error?.detail == "an earlier statvfs(/) has still not returned: the filesystem hangs (a dead network server?)")
        // Unblock the worker (a writer opens and closes the FIFO: an empty mount table), then put
        // a real mount table in its place: once the worker is done, measuring works again.
        let writer = open(fifo, O_WRONLY)
        close(writer)
        try FileManager.default.removeItem(atPath: fifo)
        try "27 1 253:0 / / rw,relatime - ext4 /dev/vda rw\n".write(toFile: fifo, atomically: true, encoding: .utf8)
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        var third = await transport.measure(path: "/", timeout: .seconds(5))
        while third.stats == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
            third = await transport.measure(path: "/", timeout: .seconds(5))
        }
        #expect(third.stats?.mountPoint == "/", "\(third.error?.detail ?? "")")
    }

    /// The read-only decision comes from the superblock options, whatever the mount options say
    /// (a sandbox makes every mount read-only), and escaped paths are decoded.
    @Test(arguments: [("rw", "ro", true, false), ("ro", "rw", false, true), ("ro", "ro", true, true), ("rw", "rw", false, false)])
    func readOnlyComesFromTheSuperblock(mount: String, superblock: String, readOnly: Bool, mountReadOnly: Bool) async throws {
        let dir = try temporaryDirectory() + "/my sites"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        let real = try #require(LocalDiskTransport.realPath(dir))
        let escaped = real.replacingOccurrences(of: " ", with: "\\040")
        let mountinfo = (dir as NSString).deletingLastPathComponent + "/mountinfo"
        try """
        27 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
        90 27 0:99 / \(escaped) \(mount),relatime shared:9 - tmpfs tmpfs \(superblock),size=16384k

        """.write(toFile: mountinfo, atomically: true, encoding: .utf8)
        let reading = await LocalDiskTransport(mountInfoPath: mountinfo).measure(path: dir + "/", timeout: .seconds(5))
        let stats = try #require(reading.stats, "\(reading.error?.detail ?? "")")
        #expect(stats.mountPoint == real)
        #expect(stats.filesystemType == "tmpfs")
        #expect(stats.readOnly == readOnly)
        #expect(stats.mountReadOnly == mountReadOnly)
    }

    @Test func theWalkSizesEachDirectoryOnceWithoutFollowingLinks() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        for dir in ["big/nested/deeper", "small", "empty"] { try fm.createDirectory(atPath: "\(root)/\(dir)", withIntermediateDirectories: true) }
        try write(256 * 1024, to: "\(root)/big/nested/deeper/a")
        try write(256 * 1024, to: "\(root)/big/b")
        try write(4096, to: "\(root)/small/c")
        try write(8192, to: "\(root)/loose")
        // A second name for a file counts once; a symbolic link to a big directory is not followed.
        try fm.linkItem(atPath: "\(root)/big/b", toPath: "\(root)/big/b-again")
        try fm.createSymbolicLink(atPath: "\(root)/small/to-big", withDestinationPath: "\(root)/big")
        let report = await LocalDiskTransport().largestDirectories(under: root, budget: .seconds(10))
        #expect(report.complete)
        #expect(report.unreadable == 0)
        let entries = Dictionary(uniqueKeysWithValues: report.entries.map { ($0.path, $0) })
        let big = try #require(entries["\(root)/big"])
        // 512 KiB of data plus the directories themselves; the hard link adds nothing.
        #expect(big.bytes >= 512 * 1024 && big.bytes < 600 * 1024, "\(big.bytes)")
        #expect(big.inodes == 5)
        let small = try #require(entries["\(root)/small"])
        #expect(small.bytes < 64 * 1024)
        #expect(small.inodes == 3)
        #expect(entries["\(root)/empty"]?.inodes == 1)
        #expect(entries["\(root)/*"]?.inodes == 1)
        #expect(entries["\(root)/*"].map { $0.bytes >= 8192 } == true)
    }

    @Test func theWalkStopsAtItsBudgetAndSaysSo() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/many", withIntermediateDirectories: true)
        for i in 0..<600 { #expect(FileManager.default.createFile(atPath: "\(root)/many/\(i)", contents: nil)) }
        let report = await LocalDiskTransport().largestDirectories(under: root, budget: .zero)
        #expect(!report.complete)
        #expect((report.entries.first?.inodes ?? 0) < 601)
    }
}
