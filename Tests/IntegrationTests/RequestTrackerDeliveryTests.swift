import Foundation
import Glibc
import HostwatchCore
@testable import HostwatchIO
import Testing

/// The rt sink end to end: a real Request Tracker 5 (Debian, SQLite, Starlet on 127.0.0.1), a
/// real nginx whose outage makes the ticket, and the real `hostwatch run`.
@Suite(.serialized, .requestTracker)
struct RequestTrackerDeliveryTests {
    var rt: RequestTrackerServer { RequestTrackerServer.current! }

    struct Agent {
        let dir: TempDirectory
        let config: String
        let binary: HostwatchBinary
        var process: ChildProcess?
        var logs = 0

        func log() -> String {
            (1...max(1, logs)).map { String(decoding: FileManager.default.contents(atPath: dir.appending("agent\($0).log")) ?? Data(), as: UTF8.self) }
                .joined(separator: "\n---\n")
        }

        mutating func start() throws {
            logs += 1
            process = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent\(logs).log"))
        }

        func tickets() throws -> [Ticket] { try binary.tickets(config: config) }

        func outbox() throws -> [String: Any] {
            let out = try binary.run(["outbox", "--json", "--config", config])
            return (try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]) ?? [:]
        }
    }

    /// An agent watching one site on `nginx`, delivering to RT at `url`.
    func agent(server: String, nginx: NginxServer, dir: TempDirectory, url: String) throws -> Agent {
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: rt.tokenFile, toPath: dir.appending("rt.token"))
        try writeAgentFile(server: server, address: nginx.address, dir: dir, url: url)
        try """
        { domain: "a.test", account: "A Ltd (#7)", plan: "plus", web: { url: "http://a.test/" } }
        """.write(toFile: dir.appending("checks/a.test.json5"), atomically: true, encoding: .utf8)
        return Agent(dir: dir, config: dir.appending("hostwatch.json5"), binary: try HostwatchBinary())
    }

    func writeAgentFile(server: String, address: String, dir: TempDirectory, url: String) throws {
        try """
        {
          server: { name: "\(server)", address: "\(address)" },
          state_dir: "state",
          checks: "checks",
          defaults: { interval: "1s", retry_interval: "300ms", timeout: "2s", failures: 2, recoveries: 1 },
          tickets: {
            deliver: [{ type: "rt", url: "\(url)", queue: "Hosting", token_file: "rt.token", requestor: "noc@hostwatch.test", timeout: "20s" }],
            retry: { first: "200ms", max: "1s" },
            warn_after: "2s",
          },
        }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
    }

    func nginx(_ dir: TempDirectory) throws -> NginxServer {
        let server = try NginxServer(directory: dir.path, address: freeLoopbackAddress(ports: [80]), sites: [.init(domain: "a.test")])
        try server.start()
        return server
    }

    /// Waits for the agent's one incident ticket and returns it.
    func firstTicket(_ agent: Agent) async throws -> Ticket {
        var found: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(20)) {
            found = try agent.tickets().filter { !$0.key.hasPrefix("delivery:") }
            return found.count == 1
        }, "\(agent.log())")
        return try #require(found.first)
    }

    @Test func aTicketIsCreatedCommentedResolvedAndReopenedInRT() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-rt-life")
        defer { try? dir.remove() }
        let site = try nginx(dir)
        defer { site.shutdown() }
        var agent = try agent(server: "rt-life", nginx: site, dir: dir, url: rt.url)
        #expect(try agent.binary.run(["validate", "--config", agent.config]).status == 0)
        try agent.start()
        defer { agent.process?.terminate() }

        try site.stop()
        let ticket = try await firstTicket(agent)
        var number = 0
        #expect(try await waitUntil(timeout: .seconds(20)) {
            let found = try await rt.tickets(fingerprint: ticket.key)
            number = found.first ?? 0
            let recorded = try agent.tickets().first { $0.id == ticket.id }?.externalRefs["rt"]
            return found.count == 1 && recorded == String(number)
        }, "\(agent.log())")
        let created = try await rt.ticket(number)
        #expect(created["Subject"] as? String == "\(ticket.id): \(ticket.subject)")
        #expect(rt.customField("Domain", of: created) == ["a.test"])
        #expect(rt.customField("Severity", of: created) == ["critical"])
        #expect(rt.customField("Fingerprint", of: created) == [ticket.key])
        #expect(created["Priority"] as? String == "90")  // critical 80 + 10 for a +Plus account
        #expect(created["Status"] as? String == "new")
        #expect(try await rt.attachmentNames(number).contains { $0.hasPrefix("transcript") })

        // A responder acknowledges in hostwatch: a comment in RT.
        #expect(try agent.binary.run(["tickets", "ack", ticket.id, "--by", "alice", "--config", agent.config]).status == 0)
        #expect(try await waitUntil(timeout: .seconds(15)) {
            try await rt.comments(number).contains { $0.contains("acknowledged") && $0.contains("alice") }
        }, "\(agent.log())")

        // Recovery resolves the RT ticket; a new failure within reopen_within reopens it.
        try site.start()
        #expect(try await waitUntil(timeout: .seconds(20)) { try await rt.ticket(number)["Status"] as? String == "resolved" }, "\(agent.log())")
        try site.stop()
        #expect(try await waitUntil(timeout: .seconds(20)) { try await rt.ticket(number)["Status"] as? String == "open" }, "\(agent.log())")
        // One comment per change, in order (evidence collected after filing comes as updates too).
        let comments = try await rt.comments(number)
        let kinds = comments.compactMap { comment in
            ["acknowledged", "resolved", "reopened"].first { comment.hasPrefix("\(ticket.id) \($0) at ") }
        }
        #expect(kinds == ["acknowledged", "resolved", "reopened"], "\(comments)")
        #expect(try await rt.tickets(fingerprint: ticket.key).count == 1)
        #expect(try await waitUntil(timeout: .seconds(10)) { (try agent.outbox()["events"] as? [Any])?.isEmpty == true })
        #expect(!agent.log().contains(try String(contentsOfFile: rt.tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(agent.process?.terminate() == 0)
    }

    @Test func anAgentKilledAfterRTCreatedTheTicketStillMakesOnlyOne() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-rt-kill")
        defer { try? dir.remove() }
        let site = try nginx(dir)
        defer { site.shutdown() }
        let proxy = try HoldingProxy(upstreamPort: rt.port)
        defer { proxy.stop() }
        proxy.hold("POST /REST/2.0/ticket ")
        var agent = try agent(server: "rt-kill", nginx: site, dir: dir, url: "http://127.0.0.1:\(proxy.port)")
        try agent.start()
        defer { agent.process?.terminate() }

        try site.stop()
        let ticket = try await firstTicket(agent)
        // RT made the ticket; its answer never reached the agent. Kill it right there.
        #expect(try await waitUntil(timeout: .seconds(20)) {
            let found = try await rt.tickets(fingerprint: ticket.key)
            return !proxy.heldRequests.isEmpty && found.count == 1
        }, "\(agent.log())")
        try agent.process?.signalGroup(SIGKILL)
        #expect(agent.process?.waitForExit(timeout: .seconds(10)) == 128 + SIGKILL)
        let number = try #require(try await rt.tickets(fingerprint: ticket.key).first)
        #expect(try agent.tickets().first { $0.id == ticket.id }?.externalRefs["rt"] == nil)

        // Restarted (straight to RT now): it finds the ticket it made instead of making another.
        try writeAgentFile(server: "rt-kill", address: site.address, dir: dir, url: rt.url)
        try agent.start()
        #expect(try await waitUntil(timeout: .seconds(20)) {
            try agent.tickets().first { $0.id == ticket.id }?.externalRefs["rt"] == String(number)
        }, "\(agent.log())")
        #expect(try await rt.tickets(fingerprint: ticket.key) == [number])
        #expect(proxy.heldRequests.count == 1)
        #expect(agent.process?.terminate() == 0)
    }

    @Test func eventsQueueWhileRTIsDownAndArriveOnceInOrderWhenItIsBack() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-rt-outage")
        defer { try? dir.remove() }
        let site = try nginx(dir)
        defer { site.shutdown() }
        var agent = try agent(server: "rt-outage", nginx: site, dir: dir, url: rt.url)
        try agent.start()
        defer { agent.process?.terminate() }
        defer { try? rt.start() }

        try site.stop()
        let ticket = try await firstTicket(agent)
        var number = ""
        #expect(try await waitUntil(timeout: .seconds(20)) {
            number = try agent.tickets().first { $0.id == ticket.id }?.externalRefs["rt"] ?? ""
            return !number.isEmpty
        }, "\(agent.log())")

        // RT goes away; the ticket is acknowledged and then recovers meanwhile.
        try rt.stop()
        #expect(try agent.binary.run(["tickets", "ack", ticket.id, "--by", "bob", "--config", agent.config]).status == 0)
        try site.start()
        var pending: [[String: Any]] = []
        #expect(try await waitUntil(timeout: .seconds(20)) {
            pending = try agent.outbox()["events"] as? [[String: Any]] ?? []
            // Only the first waiting event is tried: the next waits its turn.
            let states = pending.prefix(1).compactMap { ($0["sinks"] as? [String: Any])?["rt"] as? [String: Any] }
            let warned = try agent.tickets().contains { $0.key == "delivery:rt" && $0.status == .open }
            let kinds = pending.filter { $0["ticket_id"] as? String == ticket.id }.compactMap { $0["kind"] as? String }
            return kinds.contains("acknowledged") && kinds.contains("resolved")
                && states.allSatisfy { ($0["attempts"] as? Int ?? 0) >= 1 && ($0["last_error"] as? String)?.contains("unreachable") == true }
                && warned
        }, "\(pending) \(agent.log())")
        #expect(pending.filter { $0["ticket_id"] as? String == ticket.id }.compactMap { $0["kind"] as? String }
            .filter { $0 != "updated" } == ["acknowledged", "resolved"])
        let text = try agent.binary.run(["outbox", "--config", agent.config]).stdout
        #expect(text.contains("\(ticket.id)/") && text.contains("last error: unreachable"), "\(text)")
        let warning = try #require(try agent.tickets().first { $0.key == "delivery:rt" })
        #expect(warning.subject.contains("helpdesk unreachable since"))

        // Back: both arrive, once each, in order; the queue empties and the warning resolves.
        try rt.start()
        #expect(try await waitUntil(timeout: .seconds(30)) {
            let status = try await rt.ticket(Int(number)!)["Status"] as? String
            let empty = (try agent.outbox()["events"] as? [Any])?.isEmpty == true
            let warned = try agent.tickets().first { $0.id == warning.id }?.status
            return status == "resolved" && empty && warned == .resolved
        }, "\(agent.log())")
        let comments = try await rt.comments(Int(number)!)
        let kinds = comments.compactMap { comment in
            ["acknowledged", "resolved"].first { comment.hasPrefix("\(ticket.id) \($0) at ") }
        }
        #expect(kinds == ["acknowledged", "resolved"], "\(comments)")
        #expect(comments.contains { $0.hasPrefix("\(ticket.id) acknowledged at ") && $0.contains("bob: acknowledged") })
        // The warning about RT never went to RT itself.
        #expect(try await rt.tickets(fingerprint: "delivery:rt").isEmpty)
        #expect(agent.process?.terminate() == 0)
    }
}

/// The rt sink on its own against the same RT: what RT accepts with a 2xx but ignores is caught
/// by reading the ticket back, and the retry repairs the ticket it made instead of making more.
extension RequestTrackerDeliveryTests {
    func event(_ key: String, kind: TicketEvent.Kind = .opened, revision: Int = 1) -> TicketEvent {
        let t0 = Date()
        var ticket = Ticket(id: "HW-90", draft: TicketDraft(key: key, severity: .warning, category: .dns, cause: .infrastructure,
                                                            subject: "b.test: DNS problem", server: .init(name: "rt-sink", address: "127.0.0.1"),
                                                            accounts: [.init(name: "B", plan: .free)], domains: ["b.test"], checks: ["b.test/dns"],
                                                            since: t0, openedAt: t0, steps: [.init(at: t0, text: "SOA serials differ")], attachments: []))
        ticket.revision = revision
        if kind == .resolved { ticket.resolve(at: t0, step: "recovered") }
        return TicketEvent(kind: kind, at: t0, ticket: ticket, steps: ticket.steps.suffix(1))
    }

    func sink(_ change: (inout RTSinkConfiguration) -> Void) -> RTTicketSink {
        var c = RTSinkConfiguration()
        c.url = rt.url
        c.queue = "Hosting"
        c.token = SecretReference(value: rt.tokenFile, configFolder: "/", file: "t.json5", position: nil, keyPath: "tickets.deliver[0].token_file")
        change(&c)
        return RTTicketSink(c, loop: CurlMultiLoop(maxInFlight: 2))
    }

    @Test func aCustomFieldRTIgnoresIsAnIncompleteDeliveryThatNeverDuplicatesTheTicket() async throws {
        let key = "check:b.test/dns-\(UInt32.random(in: 0...UInt32.max))"
        let broken = sink { $0.customFields.fingerprint = "Fingerprint"; $0.customFields.domain = "Domian" }
        var kept: ExternalReference?
        for attempt in 0..<2 {
            await #expect {
                _ = try await broken.deliver(event(key), known: kept)
            } throws: { error in
                guard case .incomplete(let reference, let text) = error as? TicketSinkError else { return false }
                kept = reference
                return text.contains("Domian does not exist on the ticket")
            }
            #expect(try await rt.tickets(fingerprint: key).count == 1, "attempt \(attempt)")
        }
        // Fixed config, same event, the kept reference: that ticket is completed, not another made.
        let fixed = sink { _ in }
        let reference = try await fixed.deliver(event(key), known: kept)
        #expect(reference == kept)
        #expect(try await rt.tickets(fingerprint: key) == [Int(reference.value)!])
        #expect(rt.customField("Domain", of: try await rt.ticket(Int(reference.value)!)) == ["b.test"])
        // Without the reference (a crash before it was recorded) the search finds it too.
        #expect(try await fixed.deliver(event(key), known: nil) == reference)
        #expect(try await rt.tickets(fingerprint: key).count == 1)
    }

    @Test func aStatusRTDoesNotKnowIsAnIncompleteDelivery() async throws {
        let key = "check:b.test/dns-\(UInt32.random(in: 0...UInt32.max))"
        let reference = try await sink { _ in }.deliver(event(key), known: nil)
        await #expect {
            _ = try await sink { $0.resolveStatus = "fixed" }.deliver(event(key, kind: .resolved, revision: 2), known: reference)
        } throws: { error in
            guard case .incomplete(let kept, let text) = error as? TicketSinkError else { return false }
            return kept == reference && text.contains("fixed")
        }
        #expect(try await rt.ticket(Int(reference.value)!)["Status"] as? String != "fixed")
    }

    /// Each row: a misconfiguration only RT can reveal, and words of the error.
    @Test(arguments: [("queue", "No permission to create tickets in the queue 'Nowhere'"), ("token", "HTTP 401 (the token was refused)")])
    func whatOnlyRTKnowsIsRejectedWithItsWords(broken: String, words: String) async throws {
        let dir = try TempDirectory(prefix: "hostwatch-rt-token")
        defer { try? dir.remove() }
        try "1-99-0123456789abcdef0123456789abcdef\n".write(toFile: dir.appending("bad.token"), atomically: true, encoding: .utf8)
        let sink = sink { c in
            if broken == "queue" { c.queue = "Nowhere" }
            if broken == "token" { c.token?.value = dir.appending("bad.token") }
        }
        await #expect {
            _ = try await sink.deliver(event("check:b.test/\(broken)-\(UInt32.random(in: 0...UInt32.max))"), known: nil)
        } throws: { error in
            guard case .rejected(let text) = error as? TicketSinkError else { return false }
            return text.contains(words) && !text.contains("0123456789abcdef")
        }
    }
}
