import Foundation
import Glibc
import HostwatchCore
import HostwatchIO

// hostwatch-bench: runs N HTTP(S) checks through the real check and transport (one libcurl
// multi loop, bounded in flight) and prints checks/second, CPU ms per check and peak RSS.
// `packaging/bench` starts the local nginx it needs and runs the standard set.
//
//   hostwatch-bench --url URL --address ADDR [--n 1000] [--ca FILE] [--timeout 2s]
//                   [--hung-fraction 0.2] [--in-flight 256] [--label TEXT]
//   hostwatch-bench --mail smtp|imap --host NAME --address ADDR --port N [--tls MODE]
//                   [--user U --password-file F] [--n 1000] [--ca FILE] [--in-flight 256]
//
// The mail mode runs N SMTP or IMAP checks (`packaging/bench-mail` starts postfix and dovecot).
//
// With --hung-fraction, that share of the checks goes to a listener of the benchmark's own on
// 127.0.0.1 that accepts connections (through the kernel's backlog) and never answers.

struct Options {
    var url = ""
    var address = ""
    var n = 1000
    var ca: String?
    var timeout = Duration.seconds(2)
    var hungFraction = 0.0
    var inFlight = 256
    var label = ""
    var mail: String?
    var host = ""
    var port = 0
    var tls: MailTLS?
    var user: String?
    var passwordFile: String?

    init(_ args: [String]) {
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { fail("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--url": url = value()
            case "--address": address = value()
            case "--n": n = Int(value()) ?? n
            case "--ca": ca = value()
            case "--timeout": timeout = DurationText.parse(value()) ?? timeout
            case "--hung-fraction": hungFraction = Double(value()) ?? 0
            case "--in-flight": inFlight = Int(value()) ?? inFlight
            case "--label": label = value()
            case "--mail": mail = value()
            case "--host": host = value()
            case "--port": port = Int(value()) ?? 0
            case "--tls": tls = MailTLS(rawValue: value())
            case "--user": user = value()
            case "--password-file": passwordFile = value()
            default: fail("unknown argument \(args[i])")
            }
            i += 1
        }
        guard !url.isEmpty || mail != nil, (IPAddress(address) != nil) else { fail("--url and --address (an IP) are required") }
        if let mail, mail != "smtp" && mail != "imap" || host.isEmpty || port == 0 { fail("--mail smtp|imap needs --host and --port") }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("hostwatch-bench: \(message)\n".utf8))
    exit(64)
}

/// A listener that never accepts: the kernel completes handshakes into its backlog and
/// nothing ever answers, like a hung server.
func hungListener() -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard ok == 0, listen(fd, 4096) == 0 else { fail("cannot listen for the hung target") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, UInt16(bigEndian: address.sin_port))
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (value * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(abs(scaled).truncatingRemainder(dividingBy: scale))
    guard digits > 0 else { return "\(whole)" }
    let text = String(fraction)
    return "\(value < 0 && whole == 0 ? "-" : "")\(whole).\(String(repeating: "0", count: digits - text.count))\(text)"
}

switch CommandLine.arguments.dropFirst().first {
case "outbox":
    OutboxBench.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
case "discovery":
    DiscoveryBench.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
case "tracker":
    TrackerBench.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
case "store-writer":
    StoreBench.writer(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
case "dns":
    do { try await DNSBench.run(Array(CommandLine.arguments.dropFirst(2))) } catch { fail("\(error)") }
    exit(0)
case "store-list":
    StoreBench.list(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
case "tls-context":
    TLSContextBench.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
case "status-page":
    StatusPageBench.run(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
default:
    break
}
let options = Options(Array(CommandLine.arguments.dropFirst()))
let loop = CurlMultiLoop(maxInFlight: options.inFlight)
let transport = CurlHTTPTransport(loop: loop)
let hung = options.hungFraction > 0 ? hungListener() : nil
let hungEvery = options.hungFraction > 0 ? max(1, Int((1 / options.hungFraction).rounded())) : 0
let timing = CheckTiming(timeout: options.timeout)
let mailTransport = CurlMailTransport(loop: loop)
let checks: [any Check] = (0..<options.n).map { i in
    let id = CheckID(target: "bench\(i).test", kind: options.mail ?? "web")
    switch options.mail {
    case "smtp":
        let configuration = SMTPCheck.Configuration(port: options.port, tls: options.tls, user: options.user,
                                                    passwordFile: options.passwordFile, timing: timing)
        return SMTPCheck(id: id, configuration: configuration, domain: options.host, serverAddress: options.address,
                         serverName: "bench.test", transport: mailTransport, passwordFile: options.passwordFile, caFile: options.ca)
    case "imap":
        let configuration = IMAPCheck.Configuration(port: options.port, tls: options.tls, user: options.user,
                                                    passwordFile: options.passwordFile, timing: timing)
        return IMAPCheck(id: id, configuration: configuration, domain: options.host, serverAddress: options.address,
                         transport: mailTransport, passwordFile: options.passwordFile, caFile: options.ca)
    default:
        var configuration = HTTPCheck.Configuration(url: options.url, timing: timing)
        if let hung, i % hungEvery == 0 {
            configuration.url = "http://hung.test:\(hung.port)/"
            configuration.address = "127.0.0.1"
        }
        return HTTPCheck(id: id, configuration: configuration, serverAddress: options.address, transport: transport, caFile: options.ca)
    }
}

// One warm-up check so one-time set-up (CA bundle parse, libcurl init) is not billed per check.
_ = await checks[checks.count - 1].run(now: Date())

let cpuBefore = cpuSeconds()
let started = ContinuousClock.now
let (outcomes, firstFailure, slowest) = await withTaskGroup(of: Observation.self) { group in
    for check in checks { group.addTask { await check.run(now: Date()) } }
    var ok = 0
    var firstFailure: String?
    var slowest = Duration.zero
    for await observation in group {
        if observation.failure == nil { ok += 1 } else if firstFailure == nil { firstFailure = observation.summary }
        slowest = max(slowest, observation.duration)
    }
    return (ok, firstFailure, slowest)
}
let wall = (ContinuousClock.now - started).timeInterval
let cpu = cpuSeconds() - cpuBefore
let hungCount = hung == nil ? 0 : (options.n + hungEvery - 1) / hungEvery
print("bench \(options.label.isEmpty ? options.url : options.label): n=\(options.n) ok=\(outcomes) failed=\(options.n - outcomes) hung=\(hungCount)"
    + " wall_s=\(fixed(wall, 3)) checks_per_s=\(fixed(Double(options.n) / wall, 0))"
    + " cpu_ms_per_check=\(fixed(cpu * 1000 / Double(options.n), 3)) peak_rss_mib=\(fixed(peakRSSMiB(), 1))"
    + " slowest_check_ms=\(fixed(slowest.timeInterval * 1000, 1))")
if let firstFailure { print("  first failure: \(firstFailure)") }
loop.shutdown()
if let hung { close(hung.fd) }
