import Foundation
import HostwatchCore
import Testing

/// No false pages (issue 13): expiring certificates on a real nginx at the agent's first start
/// are one warning ticket, never a critical mass outage; and a ticket a responder resolves by
/// hand while its checks still fail stays resolved until the next failure reopens it.
@Suite(.serialized)
struct NoFalsePageTests {
    @Test func expiringCertificatesAtFirstStartAreOneWarningTicketAndNothingCritical() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-certwarn")
        defer { try? dir.remove() }
        let ca = try TestCA(directory: dir.appending("ca"))
        let address = freeLoopbackAddress()
        // More sites than the storm cap (10): one ticket each would have made a mass outage.
        let domains = (1...14).map { "exp\($0).test" }
        var sites: [NginxServer.Site] = []
        for domain in domains { sites.append(.init(domain: domain, tls: try ca.issue(names: [domain], days: 6))) }
        let nginx = try NginxServer(directory: dir.path, address: address, sites: sites)
        defer { nginx.shutdown() }
        try nginx.start()
        let checks = dir.appending("checks")
        try FileManager.default.createDirectory(atPath: checks, withIntermediateDirectories: true)
        try """
        {
          server: { name: "cert-test", address: "\(address)" },
          state_dir: "state", checks: "checks", tls: { ca_file: "\(ca.caFile)" },
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "2s", failures: 2, recoveries: 2, cert_warning_days: 14 },
        }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        for (i, domain) in domains.enumerated() {
            try #"{ domain: "\#(domain)", account: "Customer \#(i) (#\#(3000 + i))", plan: "plus", web: { url: "https://\#(domain)/" } }"#
                .write(toFile: "\(checks)/\(domain).json5", atomically: true, encoding: .utf8)
        }
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let log = dir.appending("agent.log")
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: log)
        defer { agent.terminate() }
        let agentLog = { String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self) }

        var tickets: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(20)) {
            tickets = try binary.tickets(config: config)
            return tickets.first?.domains.count == domains.count
        }, "\(tickets.map(\.subject))\n\(agentLog())")
        #expect(tickets.count == 1, "\(tickets.map(\.subject))")
        let ticket = try #require(tickets.first)
        #expect(ticket.key == "certificates:cert-test")
        #expect(ticket.severity == .warning)
        #expect(!ticket.isAroundTheClock)
        #expect(ticket.category == .certificate)
        #expect(ticket.subject.hasPrefix("cert-test: \(domains.count) certificates expire within 5 days") ||
                ticket.subject.hasPrefix("cert-test: \(domains.count) certificates expire within 6 days"), "\(ticket.subject)")
        #expect(!tickets.contains { $0.severity == .critical })
        #expect(!agentLog().contains("mass outage"))
        #expect(agent.terminate() == 0)
    }

    @Test func aTicketResolvedByHandWhileDownStaysResolvedAndTheNextFailureReopensIt() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-byhand")
        defer { try? dir.remove() }
        let address = freeLoopbackAddress(ports: [80])
        let nginx = try NginxServer(directory: dir.path, address: address, sites: [.init(domain: "hand.test")])
        defer { nginx.shutdown() }
        try nginx.start()
        let checks = dir.appending("checks")
        try FileManager.default.createDirectory(atPath: checks, withIntermediateDirectories: true)
        try """
        {
          server: { name: "hand-test", address: "\(address)" },
          state_dir: "state", checks: "checks",
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "2s", failures: 2, recoveries: 2 },
        }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try #"{ domain: "hand.test", account: "Hand (#1)", plan: "plus", web: { url: "http://hand.test/" } }"#
            .write(toFile: checks + "/hand.test.json5", atomically: true, encoding: .utf8)
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let log = dir.appending("agent.log")
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: log)
        defer { agent.terminate() }
        let agentLog = { String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self) }
        #expect(try await waitUntil(timeout: .seconds(10)) { agentLog().contains("event=agent.started") })

        try nginx.stop()
        var ticket: Ticket?
        #expect(try await waitUntil(timeout: .seconds(20)) {
            ticket = try binary.tickets(config: config).first
            return ticket?.status == .open
        }, "\(agentLog())")
        let id = try #require(ticket?.id)
        let resolve = try binary.run(["tickets", "resolve", id, "--solution", "moved the site; watching", "--by", "ann", "--config", config])
        #expect(resolve.status == 0, "\(resolve.stderr)")
        #expect(try await waitUntil(timeout: .seconds(10)) { agentLog().contains("event=ticket.resolved_by_hand") }, "\(agentLog())")
        let stepsAtResolve = try #require(try binary.tickets(config: config).first).steps.count

        // (No reminders on it: the unit tests show that with time to spare; `remind_every` is 1m at least.)
        var now = try #require(try binary.tickets(config: config).first)
        #expect(now.status == .resolved)

        // It recovers: nothing is written; then it fails again: the same ticket reopens.
        try nginx.start()
        #expect(try await waitUntil(timeout: .seconds(15)) {
            // The check is up again and its incident has ended (quietly: the ticket is resolved).
            let status = try binary.run(["status", "--json", "--config", config]).stdout
            let object = try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any]
            return agentLog().contains("event=check.recovered") && (object?["incidents"] as? [Any])?.isEmpty == true
        }, "\(agentLog())")
        now = try #require(try binary.tickets(config: config).first)
        #expect(now.status == .resolved && now.steps.count == stepsAtResolve)
        try nginx.stop()
        #expect(try await waitUntil(timeout: .seconds(15)) {
            now = try binary.tickets(config: config).first ?? now
            return now.status == .open
        }, "\(agentLog())")
        #expect(try binary.tickets(config: config).count == 1)
        #expect(now.id == id)
        #expect(now.steps.contains { $0.text.hasPrefix("failing again") })
        #expect(agent.terminate() == 0)
    }
}
