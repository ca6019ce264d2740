import FoundationEssentials
import Glibc
import HostwatchCore

/// A `du -x`-like walk for ticket evidence: the space (allocated blocks, as `du` counts) and
/// inodes under each directory one level below a mount point. It never follows symbolic links,
/// never enters another filesystem (a directory whose device differs is listed as skipped),
/// counts a hard-linked file once, and stops at its time budget, marking the sizes as lower bounds.
enum DirectoryUsageWalk {
    /// Directories deeper than this are counted as one entry each but not entered: every level
    /// holds an open descriptor.
    static let maxDepth = 64

    static func run(under mountPoint: String, budget: Duration) -> DirectoryUsageReport {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started.advanced(by: budget)
        var report = DirectoryUsageReport()
        let rootFD = open(mountPoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else {
            report.unreadable = 1
            return report
        }
        var rootStat = stat()
        guard fstat(rootFD, &rootStat) == 0, let root = fdopendir(rootFD) else {
            close(rootFD)
            report.unreadable = 1
            return report
        }
        defer { closedir(root) }
        var walk = Walk(device: rootStat.st_dev, deadline: deadline, clock: clock)
        let base = mountPoint == "/" ? "" : mountPoint
        var loose = DirectoryUsage(path: base + "/*", bytes: 0, inodes: 0)
        var subdirectories: [String] = []
        while let entry = readdir(root) {
            let name = Self.name(of: entry)
            if name == "." || name == ".." { continue }
            var info = stat()
            guard fstatat(dirfd(root), name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                walk.unreadable += 1
                continue
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                if info.st_dev != rootStat.st_dev {
                    report.otherFilesystems.append(base + "/" + name)
                } else {
                    subdirectories.append(name)
                }
            } else {
                let (bytes, inodes) = walk.count(info)
                loose.bytes += bytes
                loose.inodes += inodes
            }
        }
        for name in subdirectories {
            var usage = DirectoryUsage(path: base + "/" + name, bytes: 0, inodes: 0)
            walk.tree(parent: dirfd(root), name: name, into: &usage)
            report.entries.append(usage)
        }
        if loose.inodes > 0 { report.entries.append(loose) }
        report.complete = !walk.outOfTime
        report.unreadable = walk.unreadable
        report.otherFilesystems += walk.otherFilesystems.sorted()
        report.duration = started.duration(to: clock.now)
        return report
    }

    static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafePointer(to: &entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { String(cString: $0) }
        }
    }

    /// The state of one walk: the budget and the hard links already counted.
    struct Walk {
        let device: dev_t
        let deadline: ContinuousClock.Instant
        let clock: ContinuousClock
        var seenLinks: Set<[UInt64]> = []
        var visited = 0
        var outOfTime = false
        var unreadable = 0
        /// Mount points found deeper down (not counted).
        var otherFilesystems: Set<String> = []

        /// Blocks and one inode, unless this inode was counted already through another hard link.
        mutating func count(_ info: stat) -> (UInt64, UInt64) {
            if info.st_mode & S_IFMT != S_IFDIR, info.st_nlink > 1 {
                guard seenLinks.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else { return (0, 0) }
            }
            return (UInt64(max(0, info.st_blocks)) * 512, 1)
        }

        /// Checks the clock every 256 entries: a clock read per entry would cost more than the stat.
        mutating func timeIsUp() -> Bool {
            if outOfTime { return true }
            visited += 1
            if visited & 255 == 0, clock.now >= deadline { outOfTime = true }
            return outOfTime
        }

        /// Adds the directory `name` in `parent` and everything below it to `usage`, depth first
        /// with an explicit stack of open directories.
        mutating func tree(parent: Int32, name: String, into usage: inout DirectoryUsage) {
            var info = stat()
            guard fstatat(parent, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                unreadable += 1
                return
            }
            let (bytes, inodes) = count(info)
            usage.bytes += bytes
            usage.inodes += inodes
            guard let first = openDirectory(parent, name) else { return }
            var stack: [(dir: OpaquePointer, path: String)] = [(first, usage.path)]
            defer { for item in stack { closedir(item.dir) } }
            while let top = stack.last {
                if timeIsUp() { return }
                guard let entry = readdir(top.dir) else {
                    closedir(top.dir)
                    stack.removeLast()
                    continue
                }
                let child = DirectoryUsageWalk.name(of: entry)
                if child == "." || child == ".." { continue }
                var childInfo = stat()
                guard fstatat(dirfd(top.dir), child, &childInfo, AT_SYMLINK_NOFOLLOW) == 0 else {
                    unreadable += 1
                    continue
                }
                let isDirectory = childInfo.st_mode & S_IFMT == S_IFDIR
                if isDirectory, childInfo.st_dev != device {
                    otherFilesystems.insert(top.path + "/" + child)
                    continue
                }
                let (bytes, inodes) = count(childInfo)
                usage.bytes += bytes
                usage.inodes += inodes
                if isDirectory, stack.count < DirectoryUsageWalk.maxDepth, let dir = openDirectory(dirfd(top.dir), child) {
                    stack.append((dir, top.path + "/" + child))
                }
            }
        }

        mutating func openDirectory(_ parent: Int32, _ name: String) -> OpaquePointer? {
            let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                unreadable += 1
                return nil
            }
            guard let dir = fdopendir(fd) else {
                close(fd)
                unreadable += 1
                return nil
            }
            return dir
        }
    }
}
