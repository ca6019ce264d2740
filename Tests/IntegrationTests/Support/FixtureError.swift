import Foundation

/// Why a test fixture (a child process, the test CA, a server on loopback) could not be set up
/// or torn down.
///
/// Each case carries the command line and what the program said, so a failing test shows the
/// cause without anyone re-running it by hand.
enum FixtureError: Error, CustomStringConvertible {
    /// `posix_spawn` refused to start `command`; `errno` is its result code.
    case spawnFailed(command: String, errno: Int32)
    /// `command` ran but exited with `status` (128 + N when killed by signal N).
    case commandFailed(command: String, status: Int32, output: String)
    /// `command` was still running after `timeout` and was killed.
    case commandTimedOut(command: String, timeout: Duration, output: String)
    /// Signalling the process group `pid` with `signal` failed with `errno`.
    case signalFailed(signal: Int32, pid: Int32, errno: Int32)
    /// A file system call on `path` failed.
    case fileSystem(path: String, reason: String)
    /// Something already accepts connections on `address:port`, so a fixture must not claim it.
    case addressInUse(address: String, port: UInt16)
    /// The server started by `command` exited before it accepted connections.
    case serverExited(command: String, status: Int32, log: String)
    /// The server started by `command` did not accept connections on `address:port` in time.
    case serverDidNotStart(command: String, address: String, port: UInt16, log: String)
    /// `address:port` still accepted connections after the server was stopped.
    case serverDidNotStop(address: String, port: UInt16)

    var description: String {
        switch self {
        case let .spawnFailed(command, code):
            return "could not start `\(command)`: \(String(cString: strerror(code)))"
        case let .commandFailed(command, status, output):
            return "`\(command)` exited with status \(status):\n\(output)"
        case let .commandTimedOut(command, timeout, output):
            return "`\(command)` did not finish within \(timeout) and was killed:\n\(output)"
        case let .signalFailed(signal, pid, code):
            return "could not send signal \(signal) to process group \(pid): \(String(cString: strerror(code)))"
        case let .fileSystem(path, reason):
            return "\(path): \(reason)"
        case let .addressInUse(address, port):
            return "\(address):\(port) already accepts connections; refusing to start a second server there"
        case let .serverExited(command, status, log):
            return "`\(command)` exited with status \(status) before accepting connections:\n\(log)"
        case let .serverDidNotStart(command, address, port, log):
            return "`\(command)` did not accept connections on \(address):\(port) in time:\n\(log)"
        case let .serverDidNotStop(address, port):
            return "\(address):\(port) still accepts connections after the server was stopped"
        }
    }
}
