import Foundation
import Glibc
import HostwatchCore
import HostwatchIO

/// `hostwatch-bench dns …`: the DNS and disk check paths, measured. `packaging/bench-dns` starts
/// the local nsd it needs and runs the standard set.
///
///   hostwatch-bench dns queries --server ADDR [--port 53] --zone NAME [--n 10000] [--in-flight 256]
///       N single queries (A and SOA, alternating) through the real UDP transport
///   hostwatch-bench dns checks --server ADDR [--port 53] --zone NAME [--n 1000] [--in-flight 256]
///       N full dns checks (two nameserver entries, SOA, NS, A, MX, TXT each; judged, transcript)
///   hostwatch-bench dns disk --mount PATH [--n 1000]
///       N disk checks (statvfs, mountinfo, judging), one after another
///
/// Prints wall time, throughput, CPU per query or check (user + system of this process) and peak RSS.
enum DNSBench {
    struct Options {
        var mode = ""
        var server = ""
        var zone = ""
        var mount = "/"
        var n = 0
        var inFlight = 256
        var port = 53

        init(_ args: [String]) {
            guard let mode = args.first else { fail("usage: hostwatch-bench dns queries|checks|disk [options]") }
            self.mode = mode
            var i = 1
            func value() -> String {
                i += 1
                guard i < args.count else { fail("\(args[i - 1]) needs a value") }
                return args[i]
            }
            while i < args.count {
                switch args[i] {
                case "--server": server = value()
                case "--zone": zone = value()
                case "--mount": mount = value()
                case "--n": n = Int(value()) ?? n
                case "--in-flight": inFlight = Int(value()) ?? inFlight
                case "--port": port = Int(value()) ?? port
                default: fail("unknown argument \(args[i])")
                }
                i += 1
            }
            if mode != "disk", IPAddress(server) == nil || zone.isEmpty { fail("--server (an IP) and --zone are required") }
        }
    }

    /// Runs `body` N times concurrently (or one after another), returning wall and CPU seconds and the successes.
    static func measure(n: Int, concurrent: Bool, _ body: @escaping @Sendable (Int) async -> Bool) async -> (wall: Double, cpu: Double, ok: Int) {
        let cpuBefore = cpuSeconds()
        let started = ContinuousClock.now
        var ok = 0
        if concurrent {
            ok = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<n { group.addTask { await body(i) } }
                var passed = 0
                for await result in group where result { passed += 1 }
                return passed
            }
        } else {
            for i in 0..<n where await body(i) { ok += 1 }
        }
        return ((ContinuousClock.now - started).timeInterval, cpuSeconds() - cpuBefore, ok)
    }

    static func run(_ args: [String]) async throws {
        let options = Options(args)
        switch options.mode {
        case "queries":
            let n = options.n > 0 ? options.n : 10_000
            let loop = DNSSocketLoop(maxInFlight: options.inFlight)
            let transport = SocketDNSTransport(loop: loop)
            let zone = try DNSName(options.zone)
            let server = DNSServer(address: options.server, port: options.port)
            let warm = await transport.query(DNSQuery(server: server, name: zone, type: .soa))
            guard warm.reply != nil else { fail("no answer from \(server): \(warm.error?.detail ?? "?")") }
            let (wall, cpu, ok) = await measure(n: n, concurrent: true) { i in
                let exchange = await transport.query(DNSQuery(server: server, name: zone, type: i % 2 == 0 ? .a : .soa, timeout: .seconds(5)))
                if exchange.reply?.rcode != .noError, ProcessInfo.processInfo.environment["BENCH_DEBUG"] != nil {
                    FileHandle.standardError.write(Data("\(i): \(exchange.error?.detail ?? "rcode \(exchange.reply?.rcode.description ?? "-")") \(exchange.notes)\n".utf8))
                }
                return exchange.reply?.rcode == .noError
            }
            print("bench dns queries: n=\(n) ok=\(ok) failed=\(n - ok) in_flight=\(options.inFlight) wall_s=\(fixed(wall, 3))"
                + " queries_per_s=\(fixed(Double(n) / wall, 0)) wall_ms_per_query=\(fixed(wall * 1000 / Double(n), 4))"
                + " cpu_ms_per_query=\(fixed(cpu * 1000 / Double(n), 4)) peak_rss_mib=\(fixed(peakRSSMiB(), 1))")
            loop.shutdown()
        case "checks":
            let n = options.n > 0 ? options.n : 1000
            let loop = DNSSocketLoop(maxInFlight: options.inFlight)
            let transport = SocketDNSTransport(loop: loop)
            let zone = try DNSName(options.zone)
            let configuration = DNSCheck.Configuration(
                nameservers: [.init(name: try DNSName("ns1.\(options.zone)"), server: DNSServer(address: options.server, port: options.port)),
                              .init(name: try DNSName("ns2.\(options.zone)"), server: DNSServer(address: options.server, port: options.port))],
                expect: [.mx: .exactly([.mx(preference: 10, exchange: try DNSName("mail.\(options.zone)"))]), .txt: .contains(["v=spf1"])],
                pointsHere: true, timing: CheckTiming(timeout: .seconds(5)))
            let checks = (0..<n).map { i in
                DNSCheck(id: CheckID(target: "bench\(i).test", kind: "dns"), domain: zone, configuration: configuration,
                         serverAddress: IPAddress("127.0.0.1"), transport: transport)
            }
            let queriesPerCheck = checks[0].queryTypes.count * configuration.nameservers.count
            let warm = await checks[0].run(now: Date())
            guard warm.failure == nil else { fail("the warm-up check failed: \(warm.summary)") }
            let (wall, cpu, ok) = await measure(n: n, concurrent: true) { i in await checks[i].run(now: Date()).failure == nil }
            print("bench dns checks: n=\(n) ok=\(ok) failed=\(n - ok) queries_per_check=\(queriesPerCheck) wall_s=\(fixed(wall, 3))"
                + " checks_per_s=\(fixed(Double(n) / wall, 0)) cpu_ms_per_check=\(fixed(cpu * 1000 / Double(n), 4))"
                + " cpu_ms_per_query=\(fixed(cpu * 1000 / Double(n * queriesPerCheck), 4)) peak_rss_mib=\(fixed(peakRSSMiB(), 1))")
            loop.shutdown()
        case "disk":
            let n = options.n > 0 ? options.n : 1000
            let check = DiskCheck(id: CheckID(target: "bench", kind: "disk", index: 0),
                                  configuration: DiskCheck.Configuration(mount: options.mount, warning: .init(), critical: .init()),
                                  transport: LocalDiskTransport())
            let warm = await check.run(now: Date())
            guard warm.failure == nil else { fail("the warm-up check failed: \(warm.summary)") }
            let (wall, cpu, ok) = await measure(n: n, concurrent: false) { _ in await check.run(now: Date()).failure == nil }
            print("bench disk checks: mount=\(options.mount) n=\(n) ok=\(ok) wall_ms_per_check=\(fixed(wall * 1000 / Double(n), 4))"
                + " cpu_ms_per_check=\(fixed(cpu * 1000 / Double(n), 4)) peak_rss_mib=\(fixed(peakRSSMiB(), 1))")
        default:
            fail("unknown mode \(options.mode): queries, checks or disk")
        }
    }
}
