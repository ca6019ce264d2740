import Foundation
import Glibc

/// Whether a TCP connection to `host:port` completes within `timeout`.
///
/// `host` must be an IPv4 literal in 127.0.0.0/8: tests never resolve names and never reach off
/// the machine, so anything else is a programming mistake and stops the test.
/// A server frozen with `SIGSTOP` still counts as connecting: the kernel completes the handshake
/// into its listen backlog. The connect is non-blocking with a deadline because once that backlog
/// is full the kernel drops SYNs and a blocking connect would hang for minutes.
func tcpConnects(host: String, port: UInt16, timeout: Duration = .seconds(1)) -> Bool {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    precondition(inet_pton(AF_INET, host, &address.sin_addr) == 1, "\(host) is not an IPv4 literal")
    precondition(UInt32(bigEndian: address.sin_addr.s_addr) >> 24 == 127, "\(host) is not a loopback address")

    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }

    let started = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    if started == 0 { return true }
    guard errno == EINPROGRESS else { return false }

    var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    let (seconds, attoseconds) = timeout.components
    let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    guard poll(&waiting, 1, milliseconds) == 1 else { return false }
    var socketError: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) == 0 else { return false }
    return socketError == 0
}

/// A random address in 127.100.0.0 – 127.199.255.255 (no `.0` or `.255` octets) on which nothing
/// accepts connections on `ports`, so tests running in parallel, or a daemon left over from an
/// earlier run, do not collide.
///
/// This checks and returns; it reserves nothing. Two callers could in principle draw the same
/// address, which the 25 million candidates make negligible, and `NginxServer.start()` refuses an
/// address that is already taken.
func freeLoopbackAddress(ports: [UInt16] = [80, 443]) -> String {
    for _ in 0..<1000 {
        let candidate = "127.\(Int.random(in: 100...199)).\(Int.random(in: 1...254)).\(Int.random(in: 1...254))"
        if !ports.contains(where: { tcpConnects(host: candidate, port: $0, timeout: .milliseconds(200)) }) {
            return candidate
        }
    }
    preconditionFailure("every loopback address tried had something listening on \(ports)")
}
