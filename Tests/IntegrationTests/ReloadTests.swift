import Foundation
import HostwatchCore
import Testing

/// SIGHUP against the real agent: a bad config keeps the old one running; a good one drops a
/// removed check and resolves its incident. The target is a loopback port where nothing
/// listens (connection refused), so no server is needed.
@Suite(.serialized)
struct ReloadTests {
    @Test func sighupReloadsAGoodConfigAndKeepsTheOldOneOnABadConfig() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-reload")
        defer { try? dir.remove() }
        let address = freeLoopbackAddress()
        let checks = dir.appending("checks")
        try FileManager.default.createDirectory(atPath: checks, withIntermediateDirectories: true)
        let agentFile = """
        { server: { name: "reload-test", address: "\(address)" }, state_dir: "state",
          defaults: { interval: "1s", retry_interval: "300ms", timeout: "1s", failures: 2, recoveries: 2 } }
        """
        try agentFile.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try #"{ domain: "gone.test", web: { url: "http://gone.test:8081/" } }"#
            .write(toFile: checks + "/gone.test.json5", atomically: true, encoding: .utf8)
        try #"{ domain: "stays.test", web: { url: "http://stays.test:8082/" } }"#
            .write(toFile: checks + "/stays.test.json5", atomically: true, encoding: .utf8)
        let binary = try HostwatchBinary()
        let config = dir.appending("hostwatch.json5")
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--verbose", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }

        // Both ports refuse: two endpoints of this server, one server-down ticket.
        var tickets: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(15)) {
            tickets = try binary.tickets(config: config)
            return tickets.count == 1 && tickets[0].domains.count == 2
        }, "\(log())")

        // A broken config: rejected with the reason, the agent keeps running on the old one.
        try #"{ domain: "stays.test", web: { url: "http://stays.test:8082/", interval: 5 } }"#
            .write(toFile: checks + "/stays.test.json5", atomically: true, encoding: .utf8)
        try agent.signalGroup(SIGHUP)
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("event=reload.rejected") }, "\(log())")
        #expect(log().contains("web.interval: expected a duration"))
        #expect(agent.isRunning)
        let failedBefore = log().components(separatedBy: "event=check.failed").count
        #expect(try await waitUntil(timeout: .seconds(10)) {
            log().components(separatedBy: "event=check.failed").count > failedBefore + 2
        }, "the old config keeps running")

        // A good config without gone.test: its part of the incident ends; the rest stays open.
        try #"{ domain: "stays.test", web: { url: "http://stays.test:8082/" } }"#
            .write(toFile: checks + "/stays.test.json5", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: checks + "/gone.test.json5")
        try agent.signalGroup(SIGHUP)
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("event=agent.reloaded") }, "\(log())")
        #expect(try await waitUntil(timeout: .seconds(10)) {
            tickets = try binary.tickets(config: config)
            return tickets.first?.steps.contains { $0.text.contains("gone.test/web removed from config") } == true
        }, "\(tickets.first?.steps.map(\.text) ?? [])")
        #expect(tickets.count == 1)
        #expect(tickets.first?.status == .open, "stays.test is still down")
        var status = ""
        #expect(try await waitUntil(timeout: .seconds(5)) {
            status = try binary.run(["status", "--config", config]).stdout
            return !status.contains("gone.test/web")
        }, "\(status)")
        #expect(status.contains("DOWN\tstays.test/web"))
        #expect(agent.terminate() == 0)
    }
}
