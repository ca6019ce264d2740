import Foundation
import HostwatchCore
import Testing

/// `hostwatch run` end to end with a dns and a disk check: both nameservers stopped and the
/// disk filled make two critical tickets with their evidence (the DNS answers, the largest
/// directories); recovery resolves them.
@Suite(.serialized, .enabled(if: Tmpfs.canMount, "mounting a tmpfs needs root"))
struct DNSAndDiskTicketTests {
    @Test func theAgentFilesAndResolvesDNSAndDiskTickets() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-agent")
        defer { try? dir.remove() }
        let a1 = freeLoopbackAddress(ports: [53]), a2 = freeLoopbackAddress(ports: [53])
        let zone = DNSCheckIntegrationTests.zone(serial: 5, address: "127.0.0.1", ns: ["ns1", "ns2"])
        let ns1 = try NSDServer(directory: dir.path, address: a1, zones: [zone])
        let ns2 = try NSDServer(directory: dir.path, address: a2, zones: [zone])
        defer { ns1.shutdown(); ns2.shutdown() }
        try await blocking { try ns1.start() }
        try await blocking { try ns2.start() }
        let tmpfs = try await blocking { try Tmpfs(at: dir.appending("srv"), sizeMiB: 16) }
        defer { tmpfs.unmount() }

        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try """
        { server: { name: "agent-test", address: "127.0.0.1" }, state_dir: "state", checks: "checks",
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "2s", failures: 2, recoveries: 1 },
          disks: [{ mount: "\(tmpfs.path)", warning: { used_percent: 50 }, critical: { used_percent: 90 } }] }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "site.test", account: "Site Ltd (#7)", plan: "plus",
          dns: { nameservers: [{ name: "ns1.site.test", address: "\(a1)" }, { name: "ns2.site.test", address: "\(a2)" }],
                 expect: { MX: ["10 mail.site.test."] }, points_here: true } }
        """.write(toFile: dir.appending("checks/site.test.json5"), atomically: true, encoding: .utf8)
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let validation = try await blocking { try binary.run(["validate", "--config", config]) }
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")

        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("event=agent.started") && log().contains("checks=2") }, "\(log())")

        try await blocking { try ns1.stop() }
        try await blocking { try ns2.stop() }
        try await blocking { try tmpfs.write("www/big.bin", bytes: 15 << 20) }
        var tickets: [Ticket] = []
        let opened = try await waitUntil(timeout: .seconds(15)) {
            tickets = try await blocking { try binary.tickets(config: config) }
            return tickets.count == 2
        }
        #expect(opened, "\(tickets.map(\.subject)); log:\n\(log())")
        let dns = try #require(tickets.first { $0.category == .dns })
        #expect(dns.severity == .critical)
        #expect(dns.key == "check:site.test/dns")
        #expect(dns.domains == ["site.test"])
        #expect(dns.accounts == [Ticket.Account(name: "Site Ltd (#7)", plan: .plus)])
        #expect(dns.subject.contains("every nameserver fails"))
        #expect(dns.attachments.first?.content.contains("* nameserver ns1.site.test. \(a1):53") == true)
        let disk = try #require(tickets.first { $0.category == .disk })
        #expect(disk.severity == .critical)
        #expect(disk.key == "check:agent-test/disk[0]")
        #expect(disk.server.name == "agent-test")
        #expect(disk.accounts == [Ticket.Account(name: "(server)", plan: .free)])
        #expect(disk.subject.hasPrefix("agent-test: disk problem — disk: \(tmpfs.path) is "))
        #expect(disk.attachments.first?.content.contains("largest directories under \(tmpfs.path)") == true)
        #expect(disk.attachments.first?.content.contains("\t\(tmpfs.path)/www\n") == true)

        try await blocking { try ns1.start() }
        try await blocking { try ns2.start() }
        try await blocking { try tmpfs.remove("www") }
        #expect(try await waitUntil(timeout: .seconds(15)) {
            tickets = try await blocking { try binary.tickets(config: config) }
            return tickets.count == 2 && tickets.allSatisfy { $0.status == .resolved }
        }, "\(tickets.map { "\($0.subject): \($0.status)" }); log:\n\(log())")
        #expect(agent.terminate() == 0)
    }
}
