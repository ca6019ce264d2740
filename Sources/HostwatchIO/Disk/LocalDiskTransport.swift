import Dispatch
import FoundationEssentials
import Glibc
import HostwatchCore
import Synchronization

/// Measures this machine's filesystems: `statvfs(3)` for space and inodes, `/proc/self/mountinfo`
/// for which mount holds a path and whether its superblock is read-only.
///
/// `statvfs` on a dead NFS server blocks in the kernel, possibly forever. So each call runs on
/// a Dispatch worker and the check stops waiting at its timeout; a path whose earlier call has
/// not returned yet is reported as hung at once rather than stacking up more blocked threads.
public final class LocalDiskTransport: DiskTransport {
    /// Paths whose `statvfs` is still running.
    private let pending = Mutex<Set<String>>([])
    let mountInfoPath: String

    public init(mountInfoPath: String = "/proc/self/mountinfo") {
        self.mountInfoPath = mountInfoPath
    }

    public func measure(path: String, timeout: Duration) async -> DiskReading {
        guard pending.withLock({ $0.insert(path).inserted }) else {
            return DiskReading(error: DiskReadError(kind: .timeout,
                detail: "an earlier statvfs(\(path)) has still not returned: the filesystem hangs (a dead network server?)"))
        }
        let started = ContinuousClock.now
        let mountInfoPath = mountInfoPath
        return await withCheckedContinuation { (continuation: CheckedContinuation<DiskReading, Never>) in
            let once = ResumeOnce(continuation)
            DispatchQueue.global().async {
                var reading = Self.measureNow(path: path, mountInfoPath: mountInfoPath)
                self.pending.withLock { _ = $0.remove(path) }
                reading.duration = started.duration(to: .now)
                once.resume(returning: reading)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(clamping: timeout.milliseconds))) {
                let error = DiskReadError(kind: .timeout,
                                          detail: "statvfs did not return within \(DurationText.format(timeout)): the filesystem hangs (a dead network server?)")
                once.resume(returning: DiskReading(error: error, duration: started.duration(to: .now)))
            }
        }
    }

    public func largestDirectories(under mountPoint: String, budget: Duration) async -> DirectoryUsageReport {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(returning: DirectoryUsageWalk.run(under: mountPoint, budget: budget))
            }
        }
    }

    /// The blocking part: resolve the path, find its mount, ask `statvfs`.
    static func measureNow(path: String, mountInfoPath: String) -> DiskReading {
        guard let resolved = realPath(path) else {
            let code = errno
            let detail = code == ENOENT ? "no such file or directory" : "cannot resolve the path: \(String(cString: strerror(code)))"
            return DiskReading(error: DiskReadError(kind: code == ENOENT || code == EACCES || code == ENOTDIR ? .noSuchPath : .other,
                                                    detail: detail))
        }
        guard let text = readSmallFile(mountInfoPath) else {
            return DiskReading(error: DiskReadError(kind: .other, detail: "cannot read \(mountInfoPath): \(String(cString: strerror(errno)))"))
        }
        guard let entry = MountTable(parsing: text).entry(holding: resolved) else {
            return DiskReading(error: DiskReadError(kind: .other, detail: "no mount in \(mountInfoPath) holds \(resolved)"))
        }
        var vfs = statvfs()
        guard statvfs(resolved, &vfs) == 0 else {
            return DiskReading(error: DiskReadError(kind: .other, detail: "statvfs(\(resolved)): \(String(cString: strerror(errno)))"))
        }
        let unit = UInt64(vfs.f_frsize > 0 ? vfs.f_frsize : vfs.f_bsize)
        let stats = VolumeStats(mountPoint: entry.mountPoint, filesystemType: entry.filesystemType, source: entry.source,
                                totalBytes: UInt64(vfs.f_blocks) &* unit, freeBytes: UInt64(vfs.f_bfree) &* unit,
                                availableBytes: UInt64(vfs.f_bavail) &* unit, totalInodes: UInt64(vfs.f_files),
                                freeInodes: UInt64(vfs.f_ffree), readOnly: entry.isReadOnly, mountReadOnly: entry.isMountReadOnly)
        return DiskReading(stats: stats)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Reads a whole file with `read(2)`: files in /proc report a size of zero, so anything
    /// that trusts `stat` reads nothing.
    static func readSmallFile(_ path: String, limit: Int = 16 << 20) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A continuation that the first of two racing callers resumes (the measurement or its timeout).
private final class ResumeOnce: Sendable {
    private let continuation: Mutex<CheckedContinuation<DiskReading, Never>?>

    init(_ continuation: CheckedContinuation<DiskReading, Never>) {
        self.continuation = Mutex(continuation)
    }

    func resume(returning reading: DiskReading) {
        continuation.withLock { $0.take() }?.resume(returning: reading)
    }
}
