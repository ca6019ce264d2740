import Foundation
import HostwatchCore
import HostwatchIO
import Testing

/// Incidents against a real nginx: fifty sites on one endpoint are one ticket, through a
/// restart of the agent, resolved once; a blip shorter than the debounce files nothing; the
/// silence, status and ack commands work on the running agent's store.
@Suite(.serialized)
struct IncidentGroupingTests {
    let domains = (1...50).map { "site\($0).test" }

    struct Fixture {
        let dir: TempDirectory
        let nginx: NginxServer
        let config: String
        let binary: HostwatchBinary

        func log(_ name: String) -> String {
            String(decoding: FileManager.default.contents(atPath: dir.appending(name)) ?? Data(), as: UTF8.self)
        }

        func startAgent(_ logName: String) throws -> ChildProcess {
            try ChildProcess(executable: binary.path, arguments: ["run", "--verbose", "--config", config], logFile: dir.appending(logName))
        }

        func status() throws -> StatusSnapshot? {
            let out = try binary.run(["status", "--json", "--config", config])
            guard out.status == 0 else { return nil }
            return try? FileTicketStore.decoder.decode(StatusSnapshot.self, from: Data(out.stdout.utf8))
        }
    }

    func makeFixture(_ prefix: String) throws -> Fixture {
        let dir = try TempDirectory(prefix: prefix)
        let ca = try TestCA(directory: dir.appending("ca"))
        let cert = try ca.issue(names: domains, days: 90)
        let address = freeLoopbackAddress()
        let nginx = try NginxServer(directory: dir.path, address: address, sites: domains.map { .init(domain: $0, tls: cert) })
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try """
        { server: { name: "web-grouping", address: "\(address)" }, state_dir: "state", tls: { ca_file: "\(ca.caFile)" },
          defaults: { interval: "2s", retry_interval: "1s", timeout: "2s", failures: 4, recoveries: 2 } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        for (i, domain) in domains.enumerated() {
            try #"{ domain: "\#(domain)", account: "Customer \#(i + 1)", web: { url: "https://\#(domain)/" } }"#
                .write(toFile: dir.appending("checks/\(domain).json5"), atomically: true, encoding: .utf8)
        }
        return Fixture(dir: dir, nginx: nginx, config: dir.appending("hostwatch.json5"), binary: try HostwatchBinary())
    }

    @Test func fiftySitesOnOneDeadEndpointAreOneTicketThroughARestartResolvedOnce() async throws {
        let f = try makeFixture("hostwatch-grouping")
        defer { f.nginx.shutdown(); try? f.dir.remove() }
        try f.nginx.start()
        var agent = try f.startAgent("agent1.log")
        defer { agent.terminate() }
        #expect(try await waitUntil(timeout: .seconds(15)) {
            try f.status()?.checks.filter { $0.state == "ok" && $0.lastRun != nil }.count == 50
        }, "\(f.log("agent1.log").suffix(2000))")

        // A blip shorter than the debounce: a failure is seen, nginx is back before four.
        try f.nginx.stop()
        #expect(try await waitUntil(timeout: .seconds(10), poll: .milliseconds(50)) {
            try f.status()?.checks.contains { $0.state == "failing" } == true
        })
        try f.nginx.start()
        #expect(try await waitUntil(timeout: .seconds(15)) {
            try f.status()?.checks.allSatisfy { $0.state == "ok" } == true
        })
        #expect(try f.binary.tickets(config: f.config).isEmpty, "a blip must not file a ticket")

        // The outage: one ticket, growing to list all fifty.
        try f.nginx.stop()
        var tickets: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(20)) {
            tickets = try f.binary.tickets(config: f.config)
            return tickets.count == 1 && tickets[0].domains.count == 50
        }, "\(tickets.map { ($0.id, $0.domains.count) })")
        try #require(tickets.count == 1)
        let ticket = tickets[0]
        #expect(ticket.key.hasPrefix("endpoint:"))
        #expect(ticket.key.hasSuffix(":443/https"))
        #expect(ticket.severity == .critical)
        #expect(ticket.accounts.count == 50)
        #expect(ticket.subject.contains("50 of 50 checks down"), "\(ticket.subject)")
        let status = try #require(try f.status())
        #expect(status.incidents.map(\.ticket) == [ticket.id])

        // Restart during the outage: still one ticket.
        #expect(agent.terminate() == 0)
        agent = try f.startAgent("agent2.log")
        #expect(try await waitUntil(timeout: .seconds(20)) {
            f.log("agent2.log").components(separatedBy: "event=check.failed").count > 100
        })
        #expect(try f.binary.tickets(config: f.config).count == 1)

        // Recovery: resolved once.
        try f.nginx.start()
        var resolved: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(20)) {
            resolved = try f.binary.tickets(config: f.config)
            return resolved.count == 1 && resolved[0].status == .resolved
        }, "\(f.log("agent2.log").suffix(3000))")
        #expect(resolved.count == 1)
        #expect(resolved.first?.steps.filter { $0.text.contains("recovered by itself") }.count == 1)
        #expect(f.log("agent2.log").components(separatedBy: "event=ticket.resolved").count == 2)
    }

    @Test func aPeerServerWhoseEveryEndpointFailsIsOneServerDownTicketForThePeer() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-peer")
        defer { try? dir.remove() }
        let ca = try TestCA(directory: dir.appending("ca"))
        let local = freeLoopbackAddress()
        let peerAddress = freeLoopbackAddress()
        let localNginx = try NginxServer(directory: dir.appending("local"), address: local, sites: [.init(domain: "local.test")])
        let peer = try NginxServer(directory: dir.appending("peer"), address: peerAddress,
                                   sites: [.init(domain: "peer.test", tls: try ca.issue(names: ["peer.test"], days: 90))])
        defer { localNginx.shutdown(); peer.shutdown() }
        try FileManager.default.createDirectory(atPath: dir.appending("local"), withIntermediateDirectories: true)
        try localNginx.start()
        try peer.start()
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try """
        { server: { name: "web01", address: "\(local)" }, state_dir: "state", tls: { ca_file: "\(ca.caFile)" },
          peers: [{ name: "web02", address: "\(peerAddress)" }],
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "2s", failures: 3, recoveries: 2 } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try #"{ domain: "local.test", web: { url: "http://local.test/" } }"#
            .write(toFile: dir.appending("checks/local.test.json5"), atomically: true, encoding: .utf8)
        try #"{ domain: "peer.test", web: [{ url: "https://peer.test/", address: "\#(peerAddress)" }, { url: "http://peer.test/", address: "\#(peerAddress)" }] }"#
            .write(toFile: dir.appending("checks/peer.test.json5"), atomically: true, encoding: .utf8)
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("event=agent.started") })
        try peer.stop()
        var tickets: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(15)) {
            tickets = try binary.tickets(config: config)
            return tickets.first?.key == "server:web02"
        }, "\(tickets.map(\.subject))\n\(log())")
        #expect(tickets.count == 1)
        #expect(tickets.first?.server == Ticket.Server(name: "web02", address: peerAddress))
        #expect(tickets.first?.subject.hasPrefix("peer web02 (\(peerAddress)): server down") == true, "\(tickets.first?.subject ?? "")")
        #expect(tickets.first?.domains == ["peer.test"])
        try peer.start()
        #expect(try await waitUntil(timeout: .seconds(15)) {
            try binary.tickets(config: config).first?.status == .resolved
        }, "\(log())")
        #expect(try binary.tickets(config: config).count == 1, "the local server never failed")
    }

    @Test func silencesHoldTicketsBackAndAcknowledgementIsRecorded() async throws {
        let f = try makeFixture("hostwatch-silence")
        defer { f.nginx.shutdown(); try? f.dir.remove() }
        try f.nginx.start()
        let agent = try f.startAgent("agent.log")
        defer { agent.terminate() }
        let silenced = try f.binary.run(["silence", "server", "--for", "1h", "--reason", "kernel update", "--by", "ann", "--config", f.config])
        #expect(silenced.status == 0, "\(silenced.stderr)")
        #expect(silenced.stdout.hasPrefix("S-1: server silenced until "))
        let list = try f.binary.run(["silence", "--list", "--config", f.config])
        #expect(list.stdout.contains("S-1\tserver\t"))
        #expect(list.stdout.contains("kernel update"))

        try f.nginx.stop()
        #expect(try await waitUntil(timeout: .seconds(20)) {
            try f.status()?.incidents.contains { !$0.ticketed } == true
        })
        #expect(try f.binary.tickets(config: f.config).isEmpty, "silenced: no ticket")

        // The window ends while still down: the ticket opens then, once.
        #expect(try f.binary.run(["silence", "--remove", "S-1", "--config", f.config]).status == 0)
        var tickets: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(10)) {
            tickets = try f.binary.tickets(config: f.config)
            return tickets.count == 1
        })
        let id = try #require(tickets.first?.id)
        let ack = try f.binary.run(["tickets", "ack", id, "--by", "bob", "--config", f.config])
        #expect(ack.status == 0, "\(ack.stderr)")
        let acked = try f.binary.tickets(config: f.config)
        #expect(acked.first?.status == .acknowledged)
        #expect(acked.first?.steps.last.map { ($0.actor, $0.text) } ?? ("", "") == ("bob", "acknowledged"))
        #expect(try await waitUntil(timeout: .seconds(10)) {
            try f.status()?.incidents.first?.acknowledged == true
        })
        #expect(try f.binary.run(["tickets", "ack", "HW-99", "--config", f.config]).status == 1)
        #expect(try f.binary.run(["silence", "--remove", "S-42", "--config", f.config]).status == 1)
        #expect(try f.binary.run(["silence", "nope nope", "--for", "1h", "--reason", "x", "--config", f.config]).status == 64)
    }
}

