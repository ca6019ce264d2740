import Foundation
import HostwatchCore
import Testing

/// The walking skeleton end to end: a real nginx on loopback, the real `hostwatch run`, a real
/// outage, one ticket in the embedded store, a restart of the agent, and the resolution.
@Suite(.serialized)
struct WebOutageTests {
    let interval = Duration.seconds(1)
    let retryInterval = Duration.milliseconds(500)
    let failures = 3

    /// Writes an agent file and two domain files for `address`, returns the agent file's path.
    func writeConfig(in dir: TempDirectory, address: String, caFile: String, errorLog: String) throws -> String {
        let checks = dir.appending("checks")
        try FileManager.default.createDirectory(atPath: checks, withIntermediateDirectories: true)
        let agent = """
        // written by WebOutageTests
        {
          server: { name: "web-test", address: "\(address)" },
          state_dir: "state",
          checks: "checks",
          tls: { ca_file: "\(caFile)" },
          evidence: { web: { files: ["\(errorLog)"], lines: 20, commands: [["uname", "-s"]] },
                      server: { commands: [["sh", "-c", "echo probe password=hunter22"]] } },
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "2s", failures: \(failures), recoveries: 2 },
        }
        """
        try agent.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        {
          domain: "shop.test", account: "Shop Ltd (#1001)", plan: "plus",
          web: { url: "https://shop.test/", expect_status: [200], contains: "Welcome to shop.test", forbids: ["hacked by"] },
        }
        """.write(toFile: checks + "/shop.test.json5", atomically: true, encoding: .utf8)
        try """
        {
          domain: "blog.test", account: "Blog Owner (#1002)",
          web: { url: "http://blog.test/" },
        }
        """.write(toFile: checks + "/blog.test.json5", atomically: true, encoding: .utf8)
        return dir.appending("hostwatch.json5")
    }

    @Test func stoppingNginxOpensOneServerDownTicketAndStartingItResolvesIt() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-e2e")
        defer { try? dir.remove() }
        let ca = try TestCA(directory: dir.appending("ca"))
        let shopCert = try ca.issue(names: ["shop.test"], days: 90)
        let address = freeLoopbackAddress()
        let nginx = try NginxServer(directory: dir.path, address: address, sites: [
            .init(domain: "shop.test", tls: shopCert),
            .init(domain: "blog.test"),
        ])
        defer { nginx.shutdown() }
        try nginx.start()

        let binary = try HostwatchBinary()
        let config = try writeConfig(in: dir, address: address, caFile: ca.caFile, errorLog: nginx.errorLog)
        let validation = try binary.run(["validate", "--config", config])
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")

        // Healthy: `check` passes both sites and the agent opens nothing.
        let check = try binary.run(["check", "--config", config])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("OK\tshop.test/web"))

        var agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        let agentLog = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }
        #expect(try await waitUntil(timeout: .seconds(10)) { agentLog().contains("event=agent.started") }, "\(agentLog())")
        #expect(try binary.tickets(config: config).isEmpty)

        // Outage: both endpoints of the server (80 and 443) refuse, so one server-down ticket
        // within interval + (failures − 1) × retry_interval + slack lists both sites.
        let stoppedAt = Date()
        try nginx.stop()
        let bound = interval + retryInterval * (failures - 1) + .seconds(5)
        var opened: [Ticket] = []
        let appeared = try await waitUntil(timeout: bound) {
            opened = try binary.tickets(config: config)
            return opened.count == 1 && opened[0].domains.count == 2
        }
        #expect(appeared, "tickets: \(opened.map(\.subject)); log:\n\(agentLog())")
        try #require(opened.count == 1)
        let ticket = opened[0]
        #expect(ticket.status == .open)
        #expect(ticket.severity == .critical)
        #expect(ticket.isAroundTheClock)
        #expect(ticket.category == .serverDown)
        #expect(ticket.key == "server:web-test")
        #expect(ticket.subject.hasPrefix("web-test: server down — every endpoint failing (2 endpoints, 2 domains)"), "\(ticket.subject)")
        #expect(ticket.server.name == "web-test")
        #expect(ticket.server.address == address)
        #expect(Set(ticket.domains) == ["shop.test", "blog.test"])
        #expect(Set(ticket.accounts) == [Ticket.Account(name: "Shop Ltd (#1001)", plan: .plus), Ticket.Account(name: "Blog Owner (#1002)", plan: .free)])
        #expect(ticket.openedAt.timeIntervalSince(stoppedAt) <= bound.timeInterval)
        #expect(ticket.steps.filter { $0.text.contains("refused") }.count >= failures)
        #expect(ticket.attachments.first?.content.contains(address) == true)

        // The evidence follows within seconds: log excerpt, commands, recent results, system.
        var withEvidence = ticket
        #expect(try await waitUntil(timeout: .seconds(15)) {
            withEvidence = try binary.tickets(config: config)[0]
            return withEvidence.steps.filter { $0.text.hasPrefix("evidence collected:") }.count == 2
        }, "\(withEvidence.steps.map(\.text))")
        let names = withEvidence.attachments.map(\.name)
        #expect(names.contains("recent-results.txt"), "\(names)")
        #expect(names.contains("system.txt"), "\(names)")
        #expect(names.contains("command-uname-s.txt"), "\(names)")
        #expect(names.contains { $0.hasPrefix("log-") && $0.contains("error.log") }, "\(names)")
        let server = try #require(withEvidence.attachments.first { $0.name.hasPrefix("command-sh-c-echo") })
        #expect(server.content.contains("password=[redacted]"))
        #expect(!withEvidence.attachments.contains { $0.content.contains("hunter22") })
        #expect(withEvidence.attachments.first { $0.name == "command-uname-s.txt" }?.content.contains("Linux\n[exit status 0]") == true)
        let shop = ticket

        // A restart during the outage adopts the open tickets instead of opening new ones.
        #expect(agent.terminate() == 0)
        agent = try ChildProcess(executable: binary.path, arguments: ["run", "--verbose", "--config", config], logFile: dir.appending("agent2.log"))
        let agentLog2 = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent2.log")) ?? Data(), as: UTF8.self) }
        #expect(try await waitUntil(timeout: .seconds(10)) {
            agentLog2().components(separatedBy: "event=check.failed").count > 2 * failures
        }, "\(agentLog2())")
        #expect(try binary.tickets(config: config).count == 1)

        // Recovery: it resolves, with the downtime and a recovery step.
        try nginx.start()
        var resolved: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(10)) {
            resolved = try binary.tickets(config: config)
            return resolved.allSatisfy { $0.status == .resolved }
        }, "log:\n\(agentLog2())")
        #expect(resolved.count == 1)
        for ticket in resolved {
            #expect(ticket.resolvedAt != nil)
            #expect((ticket.downtimeSeconds ?? -1) >= 0)
            #expect(ticket.steps.last?.text.contains("recovered by itself") == true)
        }
        #expect(agent.terminate() == 0)
        let show = try binary.run(["tickets", "show", shop.id, "--config", config])
        #expect(show.status == 0)
        #expect(show.stdout.contains("Shop Ltd (#1001)  [+Plus]"))
        #expect(try binary.run(["tickets", "show", "HW-999", "--config", config]).status == 1)
    }
}
