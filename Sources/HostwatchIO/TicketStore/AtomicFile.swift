import HostwatchCore
import FoundationEssentials
import Glibc

/// Crash-safe file replacement: write a temporary file, fsync it, rename it over the target,
/// fsync the folder. A reader sees the old content or the new, never half of either.
enum AtomicFile {
    /// - Parameter durable: false leaves out both fsyncs: still never half a file for a reader,
    ///   but a crash may lose the write (status pages: rewritten at the next change, and 10,000
    ///   fsyncs would make one pass take seconds).
    static func write(_ data: Data, to path: String, mode: mode_t = 0o640, durable: Bool = true) throws(TicketStoreError) {
        try write(to: path, mode: mode, durable: durable) { put in
            data.withUnsafeBytes { put($0) }
        }
    }

    /// The same, for content made piece by piece: `produce` hands each piece to `put` as it is
    /// made, so a 25 MB metrics textfile never sits in memory whole (twice: text, then bytes).
    static func write(to path: String, mode: mode_t = 0o640, durable: Bool = true,
                      _ produce: (_ put: (UnsafeRawBufferPointer) -> Void) -> Void) throws(TicketStoreError) {
        let folder = PathText.parent(of: path)
        let temporary = "\(folder)/.\(PathText.lastComponent(of: path)).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(path: temporary, message: errnoText()) }
        // The mode asked for, whatever the umask: the unit's UMask=0007 would otherwise hide
        // the metrics textfile (0644) from node_exporter.
        guard fchmod(fd, mode) == 0 else {
            let message = errnoText()
            close(fd)
            unlink(temporary)
            throw .io(path: temporary, message: message)
        }
        var failure: String?
        produce { raw in
            var offset = 0
            while failure == nil, offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    return
                }
                offset += n
            }
        }
        if failure == nil, durable, fsync(fd) != 0 { failure = errnoText() }
        close(fd)
        if let failure {
            unlink(temporary)
            throw .io(path: temporary, message: failure)
        }
        guard rename(temporary, path) == 0 else {
            let message = errnoText()
            unlink(temporary)
            throw .io(path: path, message: message)
        }
        if durable { syncFolder(folder) }
    }

    static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// An exclusive `flock` on a file, held for the duration of `body`. The agent and the CLI take
/// the same lock for every write to the state folder.
enum FileLock {
    static func withLock<T>(_ path: String, _ body: () throws(TicketStoreError) -> T) throws(TicketStoreError) -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o660)
        guard fd >= 0 else { throw .io(path: path, message: AtomicFile.errnoText()) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw .io(path: path, message: AtomicFile.errnoText()) }
        }
        return try body()
    }
}
