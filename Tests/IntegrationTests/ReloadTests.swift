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

    /// A reload keeps the sites' certificate examinations and TLS sessions: the HTTPS checks
    /// after it resume the sessions of the checks before it, as nginx's log shows
    /// (`$ssl_session_reused`), instead of examining every site again on a full handshake.
    @Test func aReloadKeepsTheSitesTLSSessions() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-reload-tls")
        defer { try? dir.remove() }
        let domains = ["a.test", "b.test"]
        let ca = try TestCA(directory: dir.appending("ca"))
        let nginx = try NginxServer(directory: dir.path, address: freeLoopbackAddress(), sites: try domains.map {
            .init(domain: $0, tls: try ca.issue(names: [$0], days: 90), extraServerConfig: "ssl_session_cache shared:hw:1m;")
        }, accessLogFormat: "$host $ssl_session_reused $status")
        defer { nginx.shutdown() }
        try nginx.start()
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        // Every check connects anew (`keep_connections: 0`), so each request shows its handshake.
        let agentFile = """
        { server: { name: "reload-tls", address: "\(nginx.address)" }, state_dir: "state", checks: "checks", tls: { ca_file: "\(ca.caFile)" },
          defaults: { interval: "300ms", retry_interval: "300ms", timeout: "2s" }, limits: { keep_connections: 0 } }
        """
        try agentFile.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        for domain in domains {
            try #"{ domain: "\#(domain)", web: { url: "https://\#(domain)/" } }"#
                .write(toFile: dir.appending("checks/\(domain).json5"), atomically: true, encoding: .utf8)
        }
        let binary = try HostwatchBinary()
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", dir.appending("hostwatch.json5")],
                                     logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        func requests(of domain: String, from start: Int = 0) -> [String] {
            Self.sessionsReused(in: nginx, of: domain, from: start)
        }
        let log = { (try? String(contentsOfFile: dir.appending("agent.log"), encoding: .utf8)) ?? "" }

        // Before: an examination and a new session, then resumed sessions ("r").
        #expect(try await waitUntil(timeout: .seconds(20)) {
            domains.allSatisfy { requests(of: $0).count >= 4 && requests(of: $0).last == "r" }
        }, "\(domains.map { requests(of: $0) })\n\(log())")

        // b.test leaves the config; a.test stays and resumes its session from the first check on.
        try FileManager.default.removeItem(atPath: dir.appending("checks/b.test.json5"))
        try agent.signalGroup(SIGHUP)
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("event=agent.reloaded") }, "\(log())")
        let reloadedAt = ((try? String(contentsOfFile: nginx.accessLog, encoding: .utf8)) ?? "").split(separator: "\n").count
        #expect(try await waitUntil(timeout: .seconds(10)) { requests(of: "a.test", from: reloadedAt).count >= 3 })
        let after = requests(of: "a.test", from: reloadedAt)
        #expect(after.allSatisfy { $0 == "r" }, "after the reload: \(after)")
        #expect(agent.terminate() == 0)
    }

    /// A reload after the CA file changed examines every site again against what it now holds:
    /// the operator takes a CA out of the file and reloads, and the site whose certificate that
    /// CA signed fails at its next check. Kept across the reload, the examinations under the old
    /// file would have stood for up to `cert_check_every` (an hour), the checks resuming TLS
    /// sessions that show no certificate.
    @Test func aReloadAfterTheCAFileChangedExaminesEverySiteAgainstIt() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-reload-ca")
        defer { try? dir.remove() }
        let retired = try TestCA(directory: dir.appending("retired-ca"), commonName: "retired CA")
        let kept = try TestCA(directory: dir.appending("kept-ca"), commonName: "kept CA")
        let nginx = try NginxServer(directory: dir.path, address: freeLoopbackAddress(), sites: [
            .init(domain: "a.test", tls: try retired.issue(names: ["a.test"], days: 90), extraServerConfig: "ssl_session_cache shared:hw:1m;"),
        ], accessLogFormat: "$host $ssl_session_reused $status")
        defer { nginx.shutdown() }
        try nginx.start()
        let trust = dir.appending("trust.pem")
        let both = try String(contentsOfFile: retired.caFile, encoding: .utf8) + String(contentsOfFile: kept.caFile, encoding: .utf8)
        try both.write(toFile: trust, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        // Every check connects anew (`keep_connections: 0`), so each request shows its handshake;
        // one failure is enough for a ticket.
        try """
        { server: { name: "reload-ca", address: "\(nginx.address)" }, state_dir: "state", checks: "checks", tls: { ca_file: "\(trust)" },
          defaults: { interval: "300ms", retry_interval: "300ms", timeout: "2s", failures: 1 }, limits: { keep_connections: 0 } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try #"{ domain: "a.test", web: { url: "https://a.test/" } }"#
            .write(toFile: dir.appending("checks/a.test.json5"), atomically: true, encoding: .utf8)
        let binary = try HostwatchBinary()
        let config = dir.appending("hostwatch.json5")
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        func requests() -> [String] { Self.sessionsReused(in: nginx, of: "a.test") }
        let log = { (try? String(contentsOfFile: dir.appending("agent.log"), encoding: .utf8)) ?? "" }

        // Trusted: examined, then resumed sessions ("r").
        #expect(try await waitUntil(timeout: .seconds(20)) { requests().count >= 4 && requests().last == "r" },
                "\(requests())\n\(log())")
        #expect(try binary.tickets(config: config).isEmpty)

        // The retired CA leaves the file; a reload.
        try FileManager.default.copyItem(atPath: kept.caFile, toPath: trust + ".new")
        #expect(rename(trust + ".new", trust) == 0)
        try agent.signalGroup(SIGHUP)
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("event=agent.reloaded") }, "\(log())")
        var tickets: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(10)) {
            tickets = try binary.tickets(config: config)
            return !tickets.isEmpty
        }, "no ticket after the reload; a.test's requests: \(requests())\n\(log())")
        #expect(tickets.first?.domains == ["a.test"])
        #expect(tickets.first?.category == .security, "\(tickets.first?.subject ?? "")")
        #expect(agent.terminate() == 0)
    }

    /// `$ssl_session_reused` of each answered request to `domain` ("r" resumed, "." a new
    /// session) from line `start` of the access log of an nginx logging
    /// `$host $ssl_session_reused $status`.
    static func sessionsReused(in nginx: NginxServer, of domain: String, from start: Int = 0) -> [String] {
        let lines = ((try? String(contentsOfFile: nginx.accessLog, encoding: .utf8)) ?? "").split(separator: "\n")
        let fields: [[Substring]] = lines.dropFirst(start).map { $0.split(separator: " ") }
        return fields.filter { $0.first.map(String.init) == domain && $0.last == "200" }.map { String($0[1]) }
    }
}
