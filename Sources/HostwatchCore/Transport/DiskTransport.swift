/// Measures filesystems: `statvfs(3)` plus the mount table, and a bounded `du`-like walk for
/// ticket evidence. Implemented in HostwatchIO (`LocalDiskTransport`); faked by
/// `StubDiskTransport` in the test kit. Never throws: every problem is part of the value.
public protocol DiskTransport: Sendable {
    /// Space, inodes and mount facts of the filesystem holding `path`. A call that does not
    /// return within `timeout` (a hung network filesystem) ends with a `.timeout` error.
    func measure(path: String, timeout: Duration) async -> DiskReading
    /// The directories one level under `mountPoint`, with their sizes, not crossing into other
    /// filesystems, walked for at most `budget`.
    func largestDirectories(under mountPoint: String, budget: Duration) async -> DirectoryUsageReport
}

/// What `statvfs` and `/proc/self/mountinfo` say about one filesystem.
public struct VolumeStats: Sendable, Hashable {
    /// Where the filesystem holding the measured path is mounted.
    public var mountPoint: String
    public var filesystemType: String
    /// The device or source (`/dev/sda1`, `tmpfs`).
    public var source: String
    public var totalBytes: UInt64
    /// Free including the blocks reserved for root (`f_bfree`).
    public var freeBytes: UInt64
    /// Free for ordinary users (`f_bavail`): what "full" means for sites and mailboxes.
    public var availableBytes: UInt64
    /// Zero when the filesystem has no fixed inode table (btrfs): inode limits do not apply.
    public var totalInodes: UInt64
    public var freeInodes: UInt64
    /// The superblock is read-only: the filesystem itself was mounted or remounted `ro` (often
    /// by the kernel after errors). This is what the check judges.
    public var readOnly: Bool
    /// This mount (view) of it is read-only: true for every mount inside a sandbox such as
    /// systemd's `ProtectSystem=strict`, so it is reported but not judged.
    public var mountReadOnly: Bool

    public init(mountPoint: String, filesystemType: String = "", source: String = "", totalBytes: UInt64, freeBytes: UInt64,
                availableBytes: UInt64, totalInodes: UInt64, freeInodes: UInt64, readOnly: Bool = false, mountReadOnly: Bool = false) {
        self.mountPoint = mountPoint
        self.filesystemType = filesystemType
        self.source = source
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
        self.availableBytes = availableBytes
        self.totalInodes = totalInodes
        self.freeInodes = freeInodes
        self.readOnly = readOnly
        self.mountReadOnly = mountReadOnly
    }

    /// Used space as `df` shows it: used / (used + available), so the root reserve does not
    /// make a full disk look 95% used.
    public var usedPercent: Double {
        let used = totalBytes >= freeBytes ? totalBytes - freeBytes : 0
        let base = used + availableBytes
        return base == 0 ? 0 : Double(used) * 100 / Double(base)
    }

    /// Used inodes; nil when the filesystem has no inode limit.
    public var inodesUsedPercent: Double? {
        guard totalInodes > 0 else { return nil }
        let used = totalInodes >= freeInodes ? totalInodes - freeInodes : 0
        return Double(used) * 100 / Double(totalInodes)
    }
}

/// Why a filesystem could not be measured.
public struct DiskReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The configured path does not exist (or cannot be reached: permissions).
        case noSuchPath
        /// `statvfs` did not return in time: the filesystem hangs.
        case timeout
        case other
    }

    public var kind: Kind
    public var detail: String

    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }
}

/// One measurement.
public struct DiskReading: Sendable {
    public var stats: VolumeStats?
    public var error: DiskReadError?
    public var duration: Duration

    public init(stats: VolumeStats? = nil, error: DiskReadError? = nil, duration: Duration = .zero) {
        self.stats = stats
        self.error = error
        self.duration = duration
    }
}

/// The space and inodes under one directory.
public struct DirectoryUsage: Sendable, Hashable {
    public var path: String
    public var bytes: UInt64
    public var inodes: UInt64

    public init(path: String, bytes: UInt64, inodes: UInt64) {
        self.path = path
        self.bytes = bytes
        self.inodes = inodes
    }
}

/// The result of a bounded walk one level under a mount point.
public struct DirectoryUsageReport: Sendable, Hashable {
    /// One entry per directory directly under the mount point, plus one for the files lying
    /// directly in it (path ending in `/*`).
    public var entries: [DirectoryUsage]
    /// False when the time budget ran out: the sizes are lower bounds.
    public var complete: Bool
    /// Directories skipped because another filesystem is mounted there.
    public var otherFilesystems: [String]
    /// Entries that could not be read (permissions, vanished while walking).
    public var unreadable: Int
    public var duration: Duration

    public init(entries: [DirectoryUsage] = [], complete: Bool = true, otherFilesystems: [String] = [], unreadable: Int = 0,
                duration: Duration = .zero) {
        self.entries = entries
        self.complete = complete
        self.otherFilesystems = otherFilesystems
        self.unreadable = unreadable
        self.duration = duration
    }
}
