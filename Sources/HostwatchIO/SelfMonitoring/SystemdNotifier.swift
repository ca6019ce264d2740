import FoundationEssentials
import Glibc

/// Tells systemd how the agent is doing (the `sd_notify` protocol, without libsystemd): each
/// state is one datagram of `KEY=VALUE` lines sent to the `AF_UNIX` socket named by
/// `$NOTIFY_SOCKET` — a path, or an abstract socket when it starts with `@`.
/// (`Sendable`: the descriptor and address are set once; `sendto` on a datagram socket is safe
/// from any thread.)
public final class SystemdNotifier: Sendable {
    /// The socket could not be used; the text names it and says why.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The socket as `$NOTIFY_SOCKET` names it.
    public let socketName: String
    private let fd: Int32
    private let address: UnixSocketAddress

    /// A notifier for `socket` (`/run/systemd/notify`, or `@name` for an abstract socket).
    public init(socket name: String) throws(Failure) {
        socketName = name
        guard name.hasPrefix("@") || name.hasPrefix("/") else {
            throw Failure(description: "NOTIFY_SOCKET \"\(name)\" is neither an absolute path nor an abstract socket (@name)")
        }
        guard let address = UnixSocketAddress(name) else {
            throw Failure(description: "NOTIFY_SOCKET \"\(name)\" is longer than a socket address allows")
        }
        self.address = address
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot open a socket for NOTIFY_SOCKET: \(String(cString: strerror(errno)))") }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The notifier `$NOTIFY_SOCKET` asks for; nil when it is unset (not started by systemd
    /// with `Type=notify`).
    public static func fromEnvironment(_ environment: [String: String]) throws(Failure) -> SystemdNotifier? {
        guard let name = environment["NOTIFY_SOCKET"], !name.isEmpty else { return nil }
        return try SystemdNotifier(socket: name)
    }

    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, as `sd_watchdog_enabled(3)`
    /// advises. Nil when no watchdog is set up for this process (unset, zero, or
    /// `$WATCHDOG_PID` naming another process).
    public static func watchdogPingInterval(_ environment: [String: String], pid: Int32 = getpid()) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = Int64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"].flatMap({ Int32($0) }), owner != pid { return nil }
        return .microseconds(usec / 2)
    }

    /// The service is up: systemd ends the start job.
    public func ready(status: String? = nil) throws(Failure) {
        try send(["READY=1"] + (status.map { ["STATUS=\(Self.oneLine($0))"] } ?? []))
    }

    /// A reload began; `ready` ends it. `MONOTONIC_USEC` is what `Type=notify-reload` (systemd
    /// 253+) requires; older managers ignore it.
    public func reloading() throws(Failure) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        try send(["RELOADING=1", "MONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)"])
    }

    /// The service is shutting down.
    public func stopping() throws(Failure) { try send(["STOPPING=1"]) }

    /// The watchdog keep-alive.
    public func watchdog() throws(Failure) { try send(["WATCHDOG=1"]) }

    /// A free-form line `systemctl status` shows.
    public func status(_ text: String) throws(Failure) { try send(["STATUS=\(Self.oneLine(text))"]) }

    /// Sends one datagram of `KEY=VALUE` lines. Never blocks: a manager that does not read its
    /// socket gets an error, not a stuck agent.
    public func send(_ assignments: [String]) throws(Failure) {
        let message = Array(assignments.joined(separator: "\n").utf8)
        let sent = message.withUnsafeBytes { bytes in
            address.withSockaddr { sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), $0, $1) }
        }
        guard sent == message.count else {
            let reason = sent < 0 ? String(cString: strerror(errno)) : "sent \(sent) of \(message.count) bytes"
            throw Failure(description: "NOTIFY_SOCKET \(socketName): \(reason)")
        }
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
