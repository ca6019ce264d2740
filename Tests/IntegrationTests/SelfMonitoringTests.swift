import Foundation
import Glibc
import HostwatchCore
import HostwatchTestKit
import Testing

/// The real `hostwatch run` watching itself: the systemd notify protocol against a datagram
/// socket the test opens (READY, WATCHDOG, RELOADING, STOPPING), the heartbeat against an
/// in-process receiver on 127.0.0.1, and the Prometheus textfile in a temporary folder. The one
/// check targets a loopback address where nothing listens, so it fails and opens a ticket.
@Suite(.serialized)
struct SelfMonitoringTests {
    static let secretPath = "/ping/7d1c-secret-uuid"

    struct Agent {
        let dir: TempDirectory
        let config: String
        let notify: NotifySocketListener
        let receiver: PingReceiver
        let process: ChildProcess
        var log: String { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }
        var textfile: String { (try? String(contentsOfFile: dir.appending("metrics/hostwatch.prom"), encoding: .utf8)) ?? "" }
        func pings() -> Int { receiver.requests.filter { $0 == "GET \(SelfMonitoringTests.secretPath) HTTP/1.1" }.count }
    }

    /// Starts the agent under a fake systemd: `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` (pings every 200 ms).
    /// - Parameter site: a real nginx serving down.test until the test stops it; without one the
    ///   site refuses from the start.
    func startAgent(site: ((_ directory: String, _ address: String) throws -> Void)? = nil) throws -> Agent {
        let dir = try TempDirectory(prefix: "hostwatch-selfwatch")
        let receiver = try PingReceiver()
        let notify = try NotifySocketListener(dir.appending("notify.sock"))
        let address = freeLoopbackAddress(ports: [80])
        try site?(dir.path, address)
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.appending("metrics"), withIntermediateDirectories: true)
        try """
        {
          server: { name: "selfwatch", address: "\(address)" },
          state_dir: "state",
          checks: "checks",
          defaults: { interval: "500ms", retry_interval: "500ms", timeout: "1s", failures: 1, recoveries: 1 },
          heartbeat: { url: "http://hc.test:\(receiver.port)\(Self.secretPath)", address: "127.0.0.1", every: "200ms", timeout: "2s" },
          metrics: { textfile: "metrics/hostwatch.prom", every: "1s" },
        }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try #"{ domain: "down.test", account: "Down Ltd (#7)", web: { url: "http://down.test/" } }"#
            .write(toFile: dir.appending("checks/down.test.json5"), atomically: true, encoding: .utf8)
        let binary = try HostwatchBinary()
        // The unit's UMask=0007: the textfile must still come out world-readable for node_exporter.
        let process = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "umask 0007 && exec \"$0\" \"$@\"", binary.path, "run", "--config", dir.appending("hostwatch.json5")],
            environment: ["PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "400000"],
            logFile: dir.appending("agent.log"))
        return Agent(dir: dir, config: dir.appending("hostwatch.json5"), notify: notify, receiver: receiver, process: process)
    }

    func stop(_ agent: Agent) {
        agent.process.terminate()
        agent.receiver.stop()
        try? agent.dir.remove()
    }

    @Test func reportsEachStateToSystemdPingsTheHeartbeatAndWritesTheTextfile() async throws {
        let agent = try startAgent()
        defer { stop(agent) }
        var seen: [String] = []
        #expect(agent.notify.receive(timeout: .seconds(15)) == "READY=1\nSTATUS=watching 1 checks of 1 domains", "\(agent.log)")
        for _ in 0..<2 {
            #expect(agent.notify.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(5), seen: &seen) != nil, "\(seen)\n\(agent.log)")
        }
        #expect(try await waitUntil(timeout: .seconds(10)) { agent.pings() >= 2 }, "\(agent.receiver.requests)")

        // The failing check shows in the textfile, with its ticket among the open incidents.
        #expect(try await waitUntil(timeout: .seconds(10)) {
            agent.textfile.contains(#"hostwatch_check_up{check="down.test/web",domain="down.test",kind="web"} 0"#)
                && agent.textfile.contains(#"hostwatch_open_incidents{severity="critical"} 1"#)
        }, "\(agent.textfile)\n\(agent.log)")
        #expect(agent.textfile.contains("hostwatch_outbox_pending 0\n"))
        let mode = try FileManager.default.attributesOfItem(atPath: agent.dir.appending("metrics/hostwatch.prom"))[.posixPermissions] as? Int
        #expect(mode == 0o644, "node_exporter cannot read a textfile with mode \(String(mode ?? 0, radix: 8))")

        // SIGHUP: RELOADING=1, then READY=1 again (the reload itself is not built yet). The
        // WATCHDOG=1 queued meanwhile are read first: the kernel keeps 10 datagrams for an unread
        // socket, and the agent's send never blocks, so a full queue would drop RELOADING=1 (seen
        // on a loaded machine, where the textfile wait above takes a few seconds).
        while let queued = agent.notify.receive(timeout: .zero) { seen.append(queued) }
        try agent.process.signalGroup(SIGHUP)
        let reloading = agent.notify.receive(until: { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") }, timeout: .seconds(5), seen: &seen)
        #expect(reloading != nil, "\(seen)")
        #expect(agent.notify.receive(until: { $0.hasPrefix("READY=1") }, timeout: .seconds(5), seen: &seen) != nil, "\(seen)")

        // SIGTERM: STOPPING=1 and a clean exit.
        try agent.process.signalGroup(SIGTERM)
        #expect(agent.notify.receive(until: { $0 == "STOPPING=1" }, timeout: .seconds(5), seen: &seen) != nil, "\(seen)")
        #expect(agent.process.waitForExit(timeout: .seconds(10)) == 0, "\(agent.log)")
        #expect(agent.log.contains("event=heartbeat.started target=http://hc.test:\(agent.receiver.port)"), "\(agent.log)")
        #expect(!agent.log.contains("secret-uuid"), "the heartbeat URL's path reached the log")
    }

    @Test func aSchedulerStuckOnTheStoreLockStopsTheWatchdogAndTheHeartbeatUntilItIsFree() async throws {
        // The site is up until the lock is held: its first failure (and ticket write) can only
        // come after, however soon the first check runs.
        var nginx: NginxServer?
        let agent = try startAgent { directory, address in
            nginx = try NginxServer(directory: directory, address: address, sites: [.init(domain: "down.test")])
            try nginx?.start()
        }
        defer { stop(agent); nginx?.shutdown() }
        var seen: [String] = []
        #expect(agent.notify.receive(until: { $0.hasPrefix("READY=1") }, timeout: .seconds(15), seen: &seen) != nil, "\(agent.log)")
        #expect(agent.notify.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(5), seen: &seen) != nil, "\(seen)")

        // Hold the store's lock, as a hung file system would: the first failure's ticket write
        // blocks the scheduler actor inside its call.
        let lockFD = open(agent.dir.appending("state/lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0o660)
        #expect(lockFD >= 0)
        #expect(flock(lockFD, LOCK_EX) == 0)
        var released = false
        defer { if !released { close(lockFD) } }
        try nginx?.stop()

        // The pings stop: a whole second with no WATCHDOG=1, where a healthy agent sends five.
        let deadline = ContinuousClock.now + .seconds(15)
        var silent = false
        while !silent, ContinuousClock.now < deadline {
            silent = agent.notify.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(1), seen: &seen) == nil
        }
        #expect(silent, "watchdog pings went on while the scheduler was stuck\n\(agent.log)")
        let pingsWhileStuck = agent.pings()
        #expect(agent.notify.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(1), seen: &seen) == nil)
        #expect(agent.pings() <= pingsWhileStuck + 1, "heartbeats went on while the scheduler was stuck")
        #expect(try HostwatchBinary().tickets(config: agent.config).isEmpty)

        // Freed, it files the ticket and both kinds of ping resume.
        close(lockFD)
        released = true
        #expect(agent.notify.receive(until: { $0 == "WATCHDOG=1" }, timeout: .seconds(5), seen: &seen) != nil, "\(agent.log)")
        #expect(try await waitUntil(timeout: .seconds(10)) { agent.pings() >= pingsWhileStuck + 2 })
        #expect(try await waitUntil(timeout: .seconds(10)) { try HostwatchBinary().tickets(config: agent.config).count == 1 })
        #expect(agent.log.contains("event=scheduler.unresponsive"), "\(agent.log)")
    }

    /// A fresh install has no domain files yet: the agent must stay up until stopped (with no
    /// watchdog, heartbeat or metrics either), not exit at once and leave a dead service.
    @Test func anAgentWithNoDomainsStaysUpUntilStopped() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-nodomains")
        defer { try? dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try #"{ server: { name: "empty", address: "127.0.0.1" }, state_dir: "state", checks: "checks" }"#
            .write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        let notify = try NotifySocketListener(dir.appending("notify.sock"))
        let agent = try ChildProcess(
            executable: try HostwatchBinary().path, arguments: ["run", "--config", dir.appending("hostwatch.json5")],
            environment: ["NOTIFY_SOCKET": notify.name], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        #expect(notify.receive(timeout: .seconds(15)) == "READY=1\nSTATUS=watching 0 checks of 0 domains")
        #expect(agent.waitForExit(timeout: .seconds(1)) == nil, "the agent exited with nothing to watch")
        try agent.signalGroup(SIGTERM)
        #expect(notify.receive(timeout: .seconds(5)) == "STOPPING=1")
        #expect(agent.waitForExit(timeout: .seconds(10)) == 0)
    }
}
