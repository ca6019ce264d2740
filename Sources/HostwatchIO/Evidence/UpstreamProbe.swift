import Glibc
import HostwatchCore

/// What an upstream looks like from this server when its sites fail (evidence of an upstream
/// incident): for a unix socket, whether the file exists and what it is, and whether a connect
/// succeeds; for an address, whether a TCP connect succeeds within a second. Connects only,
/// never sends a byte: the upstream's protocol (FastCGI, HTTP) is the web server's business.
enum UpstreamProbe {
    static func describe(_ upstream: String) -> String {
        var text = "upstream: \(upstream)\n"
        var bare = Substring(upstream)
        if let scheme = bare.firstRange(of: "://") { bare = bare[scheme.upperBound...] }
        if bare.hasPrefix("unix:") {
            let path = String(bare.dropFirst(5))
            var info = stat()
            if stat(path, &info) != 0 {
                text += "socket file \(path): \(errno == ENOENT ? "missing (the pool is not running, or listens elsewhere)" : String(cString: strerror(errno)))\n"
                return text
            }
            let kind = (info.st_mode & S_IFMT) == S_IFSOCK ? "a socket" : "not a socket"
            text += "socket file \(path): \(kind), mode \(String(info.st_mode & 0o7777, radix: 8)), owner uid \(info.st_uid) gid \(info.st_gid)\n"
            text += "connect: \(connectUnix(path))\n"
        } else {
            let hostPort = bare.prefix { $0 != "/" }
            guard let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]) else {
                return text + "connect: not tried (no address:port)\n"
            }
            var host = String(hostPort[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard let address = SocketAddress(DNSServer(address: host, port: port)) else {
                return text + "connect: not tried (\(host) is a name, not an address; hostwatch resolves no names here)\n"
            }
            text += "connect to \(host):\(port): \(connectTCP(address))\n"
        }
        return text
    }

    private static func connectUnix(_ path: String) -> String {
        guard path.hasPrefix("/"), let address = UnixSocketAddress(path) else { return "not tried (not a socket path that fits)" }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return "no socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result == 0 { return "accepted" }
        // A unix socket whose backlog is full says EAGAIN: the pool is alive but overwhelmed.
        if errno == EAGAIN { return "backlog full (EAGAIN): the pool is alive but not accepting" }
        return "failed: \(String(cString: strerror(errno)))"
    }

    private static func connectTCP(_ address: SocketAddress) -> String {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return "no socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        if address.connect(fd) == 0 { return "accepted" }
        guard errno == EINPROGRESS else { return "failed: \(String(cString: strerror(errno)))" }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, 1000) == 1 else { return "no answer within 1 s" }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
        return error == 0 ? "accepted" : "failed: \(String(cString: strerror(error)))"
    }
}
