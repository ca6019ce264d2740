import Foundation
import Glibc

/// A program started by an integration test, in a session and process group of its own, with
/// stdin from `/dev/null` and stdout and stderr appended to `logFile`.
///
/// The group exists so a test can stop, freeze (`SIGSTOP`) or thaw a daemon together with the
/// workers it forks, and so nothing it started outlives the test: `terminate()` signals the
/// whole group, and `deinit` terminates a process that is still running.
///
/// The process is our own child, so its exit is observed with `waitpid` on its PID rather than by
/// looking for it in `/proc` (PID 1 on these machines reaps orphans slowly; a zombie has stopped).
/// When the leader is seen to have exited, whatever is left of its group is killed *before* the
/// leader is reaped: until then its PID, and so the group ID, cannot be reused by an unrelated
/// process, which makes the group signal safe.
///
/// All members are safe to call from any thread.
final class ChildProcess: @unchecked Sendable {
    /// The child's process ID; also its session and process group ID.
    let pid: pid_t
    /// Where the child's stdout and stderr are appended.
    let logFile: String
    /// The command as started, for error messages.
    let commandLine: String

    private let lock = NSLock()
    /// Set once the leader has been reaped; guarded by `lock`.
    private var exitStatus: Int32?

    /// Starts `executable` (an absolute path, or a bare name looked up in this process's `PATH`).
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; `nil` passes this process's on.
    ///   - workingDirectory: the child's working directory; `nil` keeps this process's.
    ///   - logFile: created if missing, appended to otherwise.
    /// - Throws: `FixtureError.fileSystem` if the log file cannot be opened,
    ///   `FixtureError.spawnFailed` if the program cannot be started (it does not exist, is not
    ///   executable, or the working directory is missing).
    init(
        executable: String,
        arguments: [String] = [],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        logFile: String
    ) throws {
        self.logFile = logFile
        self.commandLine = ([executable] + arguments).map(Self.quoted).joined(separator: " ")
        self.pid = try Self.spawn(
            executable: executable, arguments: arguments, environment: environment,
            workingDirectory: workingDirectory, logFile: logFile, commandLine: commandLine)
    }

    deinit {
        terminate()
    }

    /// Whether the leader is still alive. A zombie counts as exited; a stopped process as running.
    var isRunning: Bool {
        lock.withLock { reapIfExitedLocked() == nil }
    }

    /// Sends `sig` to every process in the child's group.
    ///
    /// - Throws: `FixtureError.signalFailed` if the leader has already been reaped (its group may
    ///   be gone, and its ID reused) or `kill` fails.
    func signalGroup(_ sig: Int32) throws {
        try lock.withLock {
            guard exitStatus == nil else {
                throw FixtureError.signalFailed(signal: sig, pid: pid, errno: ESRCH)
            }
            guard kill(-pid, sig) == 0 else {
                throw FixtureError.signalFailed(signal: sig, pid: pid, errno: errno)
            }
        }
    }

    /// Waits up to `timeout` for the leader to exit and reaps it.
    ///
    /// - Returns: the exit code, `128 + N` when signal N killed it (as shells report it), `-1` if
    ///   someone else reaped it so the status is unknown; `nil` if it is still running.
    @discardableResult
    func waitForExit(timeout: Duration) -> Int32? {
        var status: Int32?
        _ = waitUntil(timeout: timeout, poll: .milliseconds(10)) {
            status = lock.withLock { reapIfExitedLocked() }
            return status != nil
        }
        return status
    }

    /// Stops the whole group: `SIGTERM` (with `SIGCONT`, so a group frozen by `SIGSTOP` can act on
    /// it), then `SIGKILL` if the leader has not exited after `gracePeriod`.
    ///
    /// Safe to call more than once and after the child exited on its own.
    /// - Returns: the exit status as `waitForExit` reports it; `nil` only if even `SIGKILL` did
    ///   not end it within 5 s (a process stuck in the kernel).
    @discardableResult
    func terminate(gracePeriod: Duration = .seconds(10)) -> Int32? {
        let alreadyExited: Int32? = lock.withLock {
            if let status = reapIfExitedLocked() { return status }
            kill(-pid, SIGTERM)
            kill(-pid, SIGCONT)
            return nil
        }
        if let alreadyExited { return alreadyExited }
        if let status = waitForExit(timeout: gracePeriod) { return status }
        lock.withLock {
            if exitStatus == nil { _ = kill(-pid, SIGKILL) }
        }
        return waitForExit(timeout: .seconds(5))
    }

    /// Runs a short command to completion, collecting its stdout and stderr together.
    ///
    /// - Returns: the exit status (see `waitForExit`) and the combined output; a failing status is
    ///   returned, not thrown.
    /// - Throws: `FixtureError.spawnFailed`, or `FixtureError.commandTimedOut` (after killing it)
    ///   if it ran longer than `timeout`.
    static func run(
        _ path: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        timeout: Duration
    ) throws -> (status: Int32, output: String) {
        var template = Array("/tmp/hostwatch-output-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw FixtureError.fileSystem(path: "/tmp/hostwatch-output-XXXXXX", reason: String(cString: strerror(errno)))
        }
        close(fd)
        let outputFile = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(outputFile) }

        let child = try ChildProcess(
            executable: path, arguments: arguments, environment: environment,
            workingDirectory: workingDirectory, logFile: outputFile)
        let status = child.waitForExit(timeout: timeout)
        if status == nil { child.terminate(gracePeriod: .seconds(1)) }
        // Lossy decoding: a tool printing invalid UTF-8 must not hide its whole output.
        let output = String(decoding: FileManager.default.contents(atPath: outputFile) ?? Data(), as: UTF8.self)
        guard let status else {
            throw FixtureError.commandTimedOut(command: child.commandLine, timeout: timeout, output: output)
        }
        return (status, output)
    }

    /// Runs a short command that must succeed, such as an `openssl` step.
    ///
    /// - Returns: its combined stdout and stderr.
    /// - Throws: `FixtureError.commandFailed` with that output if it exits with a non-zero status,
    ///   and whatever `run` throws.
    @discardableResult
    static func output(
        of path: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        workingDirectory: String? = nil,
        timeout: Duration = .seconds(60)
    ) throws -> String {
        let result = try run(path, arguments, environment: environment,
                             workingDirectory: workingDirectory, timeout: timeout)
        guard result.status == 0 else {
            let command = ([path] + arguments).map(quoted).joined(separator: " ")
            throw FixtureError.commandFailed(command: command, status: result.status, output: result.output)
        }
        return result.output
    }

    // MARK: - Reaping

    /// Returns the exit status once the leader has exited, reaping it (and killing what is left of
    /// its group first); `nil` while it runs. Call with `lock` held.
    private func reapIfExitedLocked() -> Int32? {
        if let exitStatus { return exitStatus }
        var info = siginfo_t()
        // WNOWAIT: look without reaping, so the group ID stays ours while we clean up the group.
        let looked = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        if looked == 0 && info._sifields._sigchld.si_pid != pid { return nil }
        if looked != 0 && errno != ECHILD { return nil }  // EINTR: look again next time.
        if looked == 0 {
            // Orphans left in the group (workers of a crashed master) would otherwise outlive the test.
            kill(-pid, SIGKILL)
        }
        var raw: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(pid, &raw, 0) } while reaped == -1 && errno == EINTR
        exitStatus = reaped == pid ? Self.decode(raw) : -1
        return exitStatus
    }

    /// Decodes a `waitpid` status the way shells report it (WIFEXITED/WTERMSIG are C macros that
    /// Swift does not import).
    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    // MARK: - Spawning

    /// `POSIX_SPAWN_SETSID` (glibc ≥ 2.26). Swift's Glibc module does not see it because
    /// `<spawn.h>` declares it only under `_GNU_SOURCE`; glibc rejects unknown flags with EINVAL,
    /// so an older glibc fails loudly instead of silently sharing our session.
    private static let spawnSetsid: Int32 = 0x80

    private typealias FileActionPath = @convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias FileActionCloseFrom = @convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Looks up a glibc function that `<spawn.h>` hides behind `_GNU_SOURCE`.
    private static func gnuFunction<F>(_ name: String, as type: F.Type) -> F? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    private static func spawn(
        executable: String,
        arguments: [String],
        environment: [String: String]?,
        workingDirectory: String?,
        logFile: String,
        commandLine: String
    ) throws -> pid_t {
        func check(_ code: Int32) throws {
            guard code == 0 else { throw FixtureError.spawnFailed(command: commandLine, errno: code) }
        }

        let logFD = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard logFD >= 0 else {
            throw FixtureError.fileSystem(path: logFile, reason: String(cString: strerror(errno)))
        }
        defer { close(logFD) }

        var actions = posix_spawn_file_actions_t()
        try check(posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0))
        try check(posix_spawn_file_actions_adddup2(&actions, logFD, 1))
        try check(posix_spawn_file_actions_adddup2(&actions, logFD, 2))
        if let workingDirectory {
            guard let addChdir = gnuFunction("posix_spawn_file_actions_addchdir_np", as: FileActionPath.self) else {
                throw FixtureError.spawnFailed(command: commandLine, errno: ENOSYS)
            }
            try check(addChdir(&actions, workingDirectory))
        }
        // Descriptors other threads of the test runner opened without O_CLOEXEC (a listener in a
        // parallel test) must not leak into a daemon that outlives them. glibc ≥ 2.34.
        if let addCloseFrom = gnuFunction("posix_spawn_file_actions_addclosefrom_np", as: FileActionCloseFrom.self) {
            try check(addCloseFrom(&actions, 3))
        }

        var attributes = posix_spawnattr_t()
        try check(posix_spawnattr_init(&attributes))
        defer { posix_spawnattr_destroy(&attributes) }
        // The spawning thread may be a Dispatch or test-runner thread with signals blocked, and the
        // runtime may ignore SIGPIPE; both would be inherited and make the daemon deaf to TERM.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        try check(posix_spawnattr_setsigmask(&attributes, &noSignals))
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for sig: Int32 in 1..<32 where sig != SIGKILL && sig != SIGSTOP {
            sigaddset(&defaultSignals, sig)
        }
        try check(posix_spawnattr_setsigdefault(&attributes, &defaultSignals))
        let flags = Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF) | spawnSetsid
        try check(posix_spawnattr_setflags(&attributes, Int16(flags)))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let environmentEntries = (environment ?? ProcessInfo.processInfo.environment)
            .map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = environmentEntries.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }

        var pid: pid_t = 0
        try check(posix_spawnp(&pid, executable, &actions, &attributes, argv, envp))
        return pid
    }

    private static func quoted(_ argument: String) -> String {
        let plain = !argument.isEmpty && argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@+".contains($0) }
        return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
