import Foundation
import Glibc
import HostwatchCore
import HostwatchIO

/// `hostwatch-bench outbox [--events 2000] [--incidents 50] [--state DIR]`: the durable outbox
/// delivering to a webhook receiver of its own on 127.0.0.1 (HTTP/1.1, answers 204).
///
/// - throughput: `events` tickets are opened in the store (each writes its event), then the
///   outbox delivers them all; prints events/second of delivery (and of the store writes).
/// - latency: `incidents` tickets opened one at a time while the outbox runs, nudged as the
///   scheduler does; prints the time from the committed ticket to the receiver having its
///   event (p50, p95, max): what delivery adds to an incident when the sink is healthy.
enum OutboxBench {
    static func run(_ args: [String]) {
        let arguments = BenchArguments(args, options: ["--events", "--incidents", "--state"])
        let events = arguments.count("--events", default: 2000)
        let incidents = arguments.count("--incidents", default: 50)
        let state = arguments.string("--state")
        let receiver = WebhookReceiver()
        let folder = state ?? NSTemporaryDirectory() + "hostwatch-bench-outbox-\(getpid())"
        defer { if state == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let store: FileTicketStore
        do { store = try FileTicketStore(folder: folder) } catch { fail("\(error)") }
        var hook = WebhookSinkConfiguration()
        hook.url = "http://127.0.0.1:\(receiver.port)/hostwatch"
        let loop = CurlMultiLoop(maxInFlight: 64)
        let delivery = OutboxDelivery(store: store, server: .init(name: "bench", address: "127.0.0.1"),
                                      destinations: [.init(name: "webhook", sink: WebhookTicketSink(hook, loop: loop))],
                                      policy: RetryPolicy(), logger: Logger(label: "bench", level: .error))

        // Throughput: a backlog of events, then the outbox drains it.
        let writeStart = ContinuousClock.now
        for n in 0..<events {
            do { _ = try store.open(draft(n)) } catch { fail("\(error)") }
        }
        let writeTime = ContinuousClock.now - writeStart
        let drainStart = ContinuousClock.now
        let task = Task { await delivery.run() }
        while receiver.count < events { usleep(2000) }
        let drainTime = ContinuousClock.now - drainStart
        while (try? store.outbox.entries().isEmpty) != true { usleep(2000) }
        let emptyTime = ContinuousClock.now - drainStart
        print("outbox throughput: \(events) events to a local webhook: \(rate(events, drainTime)) events/s delivered "
              + "(outbox empty after \(seconds(emptyTime)) s); store writes (ticket + event, fsync) \(rate(events, writeTime)) tickets/s")

        // Latency: one incident at a time while the outbox runs.
        var latencies: [Duration] = []
        for n in 0..<incidents {
            let before = receiver.count
            do { _ = try store.open(draft(events + n)) } catch { fail("\(error)") }
            let start = ContinuousClock.now
            delivery.nudge()
            while receiver.count == before { usleep(200) }
            latencies.append(receiver.lastArrival! - start)
        }
        latencies.sort()
        let p = { (q: Double) in latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        print("outbox latency: ticket committed → webhook received, \(incidents) incidents: p50 \(ms(p(0.5))) ms, "
              + "p95 \(ms(p(0.95))) ms, max \(ms(latencies.last!)) ms (target < 1000 ms)")
        task.cancel()
        loop.shutdown()
        receiver.stop()
    }

    static func draft(_ n: Int) -> TicketDraft {
        let now = Date()
        return TicketDraft(key: "check:site\(n).test/web", severity: .critical, category: .siteOffline, cause: .infrastructure,
                           subject: "site\(n).test: site offline", server: .init(name: "bench", address: "127.0.0.1"),
                           accounts: [.init(name: "Account \(n)", plan: .free)], domains: ["site\(n).test"], checks: ["site\(n).test/web"],
                           since: now, openedAt: now, steps: [.init(at: now, text: "HTTP: connect to 127.0.0.1:80 refused")],
                           attachments: [.init(name: "transcript.txt", content: String(repeating: "* Trying 127.0.0.1:80...\n", count: 40))])
    }

    static func rate(_ n: Int, _ d: Duration) -> String { String(Int((Double(n) / max(d.seconds, 1e-9)).rounded())) }
    static func seconds(_ d: Duration) -> String { String(Double(Int(d.seconds * 100)) / 100) }
    static func ms(_ d: Duration) -> String { String(Double(Int(d.seconds * 10_000)) / 10) }
}

extension Duration {
    var seconds: Double {
        let (s, a) = components
        return Double(s) + Double(a) / 1e18
    }
}

/// A minimal HTTP/1.1 receiver on 127.0.0.1: reads each request (head and Content-Length body),
/// answers 204, keeps the connection, counts requests and the time of the last.
final class WebhookReceiver: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var received = 0
    private var last: ContinuousClock.Instant?

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        listener = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 1024) == 0 else { fail("cannot listen on 127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                Thread { [self] in serve(client) }.start()
            }
        }.start()
    }

    var count: Int { lock.withLock { received } }
    var lastArrival: ContinuousClock.Instant? { lock.withLock { last } }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)) }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            // One request: head, then Content-Length bytes.
            var headEnd: Int?
            var length = 0
            while headEnd == nil || pending.count < headEnd! + length {
                if headEnd == nil, let end = Self.find(pending) {
                    headEnd = end
                    let head = String(decoding: pending[0..<end], as: UTF8.self).lowercased()
                    if let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
                        length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                    continue
                }
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { return }
                pending += buffer[0..<n]
            }
            pending.removeFirst(headEnd! + length)
            lock.withLock {
                received += 1
                last = ContinuousClock.now
            }
            let answer = Array("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n".utf8)
            guard answer.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == answer.count else { return }
        }
    }

    /// The index just past the blank line ending the head, if it has arrived.
    private static func find(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
