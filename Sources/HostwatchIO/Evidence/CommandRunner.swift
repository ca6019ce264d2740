import FoundationEssentials
import Glibc

/// Runs a configured evidence command: argv (no shell), a minimal environment, stdout and
/// stderr together, output capped (the rest read and discarded so the command never blocks on
/// a full pipe), killed with its process group at the timeout.
enum CommandRunner {
    struct Result {
        var output: String
        /// Exit status, or nil when it was killed at the timeout.
        var status: Int32?
        var truncatedBytes: Int
        var failedToStart: String?
    }

    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "LC_ALL=C", "SYSTEMD_PAGER=", "PAGER=cat"]

    static func run(_ argv: [String], timeout: Duration, cap: Int) -> Result {
        var pipeFDs: [Int32] = [0, 0]
        // Close-on-exec on both ends: the child gets the write end through dup2 only.
        guard pipe(&pipeFDs) == 0, fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC) == 0 else {
            return Result(output: "", status: nil, truncatedBytes: 0, failedToStart: String(cString: strerror(errno)))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group, so the timeout kills whatever it started too; default signals.
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        let spawned = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        close(pipeFDs[1])
        guard spawned == 0 else {
            close(pipeFDs[0])
            return Result(output: "", status: nil, truncatedBytes: 0, failedToStart: String(cString: strerror(spawned)))
        }
        let reader = pipeFDs[0]
        defer { close(reader) }
        var kept: [UInt8] = []
        var dropped = 0
        var killed = false
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero {
                kill(-pid, SIGKILL)
                killed = true
                break
            }
            var pfd = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(max(1, min(remaining.milliseconds, 1000))))
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            let room = max(0, cap - kept.count)
            kept.append(contentsOf: buffer[0..<min(n, room)])
            dropped += max(0, n - room)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // Whatever it left behind in its group goes too.
        kill(-pid, SIGKILL)
        let exit: Int32? = killed ? nil : ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))
        return Result(output: String(decoding: kept, as: UTF8.self), status: exit, truncatedBytes: dropped, failedToStart: nil)
    }
}
