import Foundation
import Glibc
import HostwatchCore
import HostwatchIO
import Testing

/// Issue 15, item 1: the real agent, watching a real nginx go down and come back with two real
/// sinks (a webhook receiver and a real Request Tracker), killed with SIGKILL at random instants;
/// after each kill the CLI must read the store, and at the end there is exactly one ticket per
/// outage, each resolved, every event delivered (a webhook redelivery only ever repeats an
/// event's Idempotency-Key; RT holds one ticket per incident with each comment once), and
/// `tickets list` agrees with the ticket files. Also the CLI killed in the middle of
/// `tickets note` and `tickets resolve`.
///
/// The number of kills is `HOSTWATCH_TORTURE_KILLS` (default 20, the quick run in
/// `packaging/test`; `packaging/torture` sets 200 and prints the figures). It sizes the run and
/// changes nothing else. (An environment switch, which STYLE §11 would rather not have: the
/// other ways of sizing one test differently in the two scripts — a file the script writes, or
/// a second test that `packaging/test` skips by name — are switches as well, only less visible.)
@Suite(.serialized, .requestTracker) struct CrashSafetyTests {
    var rt: RequestTrackerServer { RequestTrackerServer.current! }

    static var kills: Int { ProcessInfo.processInfo.environment["HOSTWATCH_TORTURE_KILLS"].flatMap(Int.init) ?? 20 }

    struct Agent {
        let dir: TempDirectory
        let config: String
        let binary: HostwatchBinary
        var process: ChildProcess?
        var lives = 0

        var state: String { dir.appending("state") }

        mutating func start() throws {
            lives += 1
            process = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config],
                                       logFile: dir.appending("agent-\(lives).log"))
        }

        /// SIGKILL, no warning; then the CLI must read the store the agent left.
        mutating func kill() throws {
            try process?.signalGroup(SIGKILL)
            _ = process?.waitForExit(timeout: .seconds(10))
            let list = try binary.run(["tickets", "list", "--all", "--json", "--config", config])
            #expect(list.status == 0, "tickets list after kill \(lives): \(list.stderr)")
        }

        func tickets() throws -> [Ticket] { try binary.tickets(config: config).filter { !$0.key.hasPrefix("delivery:") } }

        /// The incident tickets as `tickets list` shows them (one command: cheap enough to poll).
        func summaries() throws -> [TicketSummary] {
            struct Listing: Decodable { var tickets: [TicketSummary] }
            let list = try binary.run(["tickets", "list", "--all", "--json", "--config", config])
            guard list.status == 0 else { throw FixtureError.commandFailed(command: "tickets list", status: list.status, output: list.stderr) }
            return try FileTicketStore.decoder.decode(Listing.self, from: Data(list.stdout.utf8)).tickets.filter { !$0.key.hasPrefix("delivery:") }
        }

        func log(last count: Int = 3) -> String {
            (max(1, lives - count + 1)...max(1, lives)).map {
                String(decoding: FileManager.default.contents(atPath: dir.appending("agent-\($0).log")) ?? Data(), as: UTF8.self)
            }.joined(separator: "\n---\n")
        }
    }

    /// An agent watching a.test on `site` that delivers to `webhook` and to the suite's RT.
    func makeAgent(_ dir: TempDirectory, site: NginxServer, webhook: WebhookReceiver) throws -> Agent {
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try "hook-token-15\n".write(toFile: dir.appending("hook.token"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: rt.tokenFile, toPath: dir.appending("rt.token"))
        try """
        {
          server: { name: "torture", address: "\(site.address)" },
          state_dir: "state",
          checks: "checks",
          defaults: { interval: "1s", retry_interval: "300ms", timeout: "2s", failures: 2, recoveries: 1 },
          // Every outage its own ticket: no reopening, no flapping or storm grouping of the many short outages.
          incidents: { reopen_within: "0s", flap_changes: 1000, storm: { max_tickets: 100000 } },
          tickets: {
            deliver: [
              { type: "webhook", url: "\(webhook.url)", token_file: "hook.token", timeout: "3s" },
              { type: "rt", url: "\(rt.url)", queue: "Hosting", token_file: "rt.token", requestor: "noc@hostwatch.test", timeout: "20s" },
            ],
            retry: { first: "200ms", max: "1s" },
          },
        }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "a.test", account: "A Ltd (#7)", web: { url: "http://a.test/" } }
        """.write(toFile: dir.appending("checks/a.test.json5"), atomically: true, encoding: .utf8)
        return Agent(dir: dir, config: dir.appending("hostwatch.json5"), binary: try HostwatchBinary())
    }

    /// Every ticket file parses, ids are unique, and `tickets list` (the CLI) lists exactly the files.
    func verifyStore(_ agent: Agent) throws -> [Ticket] {
        let folder = agent.state + "/tickets"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }
        var byID: [String: Ticket] = [:]
        for file in files {
            let data = try #require(FileManager.default.contents(atPath: folder + "/" + file))
            let ticket = try FileTicketStore.decoder.decode(Ticket.self, from: data)
            #expect(byID[ticket.id] == nil, "duplicate \(ticket.id)")
            #expect(file == ticket.id + ".json")
            byID[ticket.id] = ticket
        }
        let listed = try agent.binary.tickets(config: agent.config)
        #expect(Set(listed.map(\.id)) == Set(byID.keys), "tickets list disagrees with the files")
        for ticket in listed { #expect(ticket == byID[ticket.id], "\(ticket.id) listed differently from its file") }
        return listed
    }

    /// Runs until `condition` holds, killing and restarting the agent at random instants, at
    /// most `maxKills` times (then it is left alone so the phase can finish).
    func phase(_ agent: inout Agent, kills: inout Int, maxKills: Int, timeout: Duration,
               until condition: (Agent) throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        var killsHere = 0
        var generator = SystemRandomNumberGenerator()
        while ContinuousClock.now < deadline {
            if try condition(agent) { return true }
            if killsHere < maxKills {
                // A random instant within the next 1.5 s: mid-check, mid-write, mid-delivery.
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...1500, using: &generator)))
                if try condition(agent) { return true }
                try agent.kill()
                kills += 1
                killsHere += 1
                try agent.start()
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return try condition(agent)
    }

    /// The outages and kills: nginx stops, the ticket must appear; nginx starts, it must resolve;
    /// the agent killed at random instants throughout (at most 4 kills while an outage opens, 3
    /// while it resolves), until `target` kills are done.
    func killDuringOutages(_ agent: inout Agent, site: NginxServer, kills target: Int) async throws
        -> (kills: Int, outages: Int, lost: Int, orphaned: Int) {
        var kills = 0
        var outages = 0
        // Outages whose ticket `tickets list` showed and a restart then rolled back (see below).
        var lost = 0
        // Outages whose ticket no agent ever resolved after a kill (see below).
        var orphaned = 0
        while kills < target {
            try site.stop()
            outages += 1
            let count = outages - lost
            let opened = try await phase(&agent, kills: &kills, maxKills: 4, timeout: .seconds(60)) { agent in
                try agent.summaries().count >= count
            }
            #expect(opened, "outage \(outages): no ticket\n\(agent.log())")
            try site.start()
            var resolved = try await phase(&agent, kills: &kills, maxKills: 3, timeout: .seconds(30)) { agent in
                let tickets = try agent.summaries()
                return tickets.count >= count - 1 && tickets.allSatisfy { $0.status == .resolved }
            }
            if resolved, try agent.summaries().count == count - 1 {
                // Killed after the index line of a new ticket and before its file, the store
                // listed the ticket and the next start rolled the opening back: the outage over
                // by then, the incident had no ticket at all. The store now completes the
                // opening from its outbox event; this must not happen.
                lost += 1
                Issue.record("outage \(outages): its ticket was rolled back after a kill; the incident has no ticket")
            }
            let open = try agent.summaries().filter { $0.status != .resolved }
            if !resolved, open.count == 1, let newest = open.first, newest.number == (try agent.summaries().map(\.number).max()) {
                // Killed after the new ticket was committed and before the tracker's state was
                // saved, the next start knew no incident for it and, the site being up again,
                // nothing resolved it. The agent now adopts every open ticket its state does
                // not know; this must not happen. (Resolved by hand so the run can go on.)
                orphaned += 1
                Issue.record("outage \(outages): \(newest.id) was left open by a kill; the agent does not know it")
                let out = try agent.binary.run(["tickets", "resolve", newest.id, "--by", "torture", "--solution", "orphaned by a kill", "--config", agent.config])
                #expect(out.status == 0, "\(out.stderr)")
                resolved = true
            }
            #expect(resolved, "outage \(outages): not resolved\n\(agent.log())")
            guard opened, resolved else {
                // Keep the evidence of a failed run: state folder and every agent log.
                let kept = "/tmp/hostwatch-torture-failed-\(getpid())"
                try? FileManager.default.copyItem(atPath: agent.dir.path, toPath: kept)
                Issue.record("state and logs kept in \(kept)")
                break
            }
        }
        return (kills, outages, lost, orphaned)
    }

    @Test func anAgentKilledAtRandomInstantsLosesAndDuplicatesNothing() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-torture")
        defer { try? dir.remove() }
        let site = try NginxServer(directory: dir.path, address: freeLoopbackAddress(ports: [80]), sites: [.init(domain: "a.test")])
        try site.start()
        defer { site.shutdown() }
        let webhook = try WebhookReceiver()
        defer { webhook.stop() }
        var agent = try makeAgent(dir, site: site, webhook: webhook)
        try agent.start()
        defer { agent.process?.terminate() }

        let started = ContinuousClock.now
        let run = try await killDuringOutages(&agent, site: site, kills: Self.kills)
        let (kills, outages, lost, orphaned) = (run.kills, run.outages, run.lost, run.orphaned)
        // Left alone, the agent delivers whatever its outbox still holds. RT (two Perl workers on
        // a 2-core machine) takes a second or more per event and falls behind while the kills go
        // on: 2 minutes, and 3 s more per kill.
        #expect(try await waitUntil(timeout: .seconds(120 + 3 * Self.kills)) {
            let out = try agent.binary.run(["outbox", "--json", "--config", agent.config])
            let json = (try JSONSerialization.jsonObject(with: Data(out.stdout.utf8))) as? [String: Any]
            return (json?["events"] as? [Any])?.isEmpty == true
        }, "\(agent.log())")
        #expect(agent.process?.terminate() == 0)

        let tickets = try verifyStore(agent).filter { !$0.key.hasPrefix("delivery:") }
        #expect(tickets.count == outages - lost, "\(outages) outages (\(lost) rolled back) made \(tickets.count) tickets: \(tickets.map(\.id))")
        #expect(tickets.allSatisfy { $0.status == .resolved })
        #expect(try agent.binary.tickets(config: agent.config).filter { $0.key.hasPrefix("delivery:") }.isEmpty,
                "both sinks were up throughout: no delivery warning")

        // The webhook: one `opened` and one `resolved` event per ticket, each delivered; a
        // repeated delivery carries the same Idempotency-Key (the receiver's dedup key).
        let requests = webhook.requests
        var byKey: [String: [String: Any]] = [:]
        var redeliveries = 0
        for request in requests {
            let key = try #require(request.header("Idempotency-Key"))
            let json = try #require(request.json)
            if let earlier = byKey[key] {
                redeliveries += 1
                #expect(earlier["event_id"] as? String == json["event_id"] as? String)
            }
            byKey[key] = json
        }
        for ticket in tickets {
            let events = byKey.values.filter { $0["ticket_id"] as? String == ticket.id }
            #expect(events.filter { $0["kind"] as? String == "opened" }.count == 1, "\(ticket.id): \(events.map { $0["kind"] ?? "?" })")
            #expect(events.filter { $0["kind"] as? String == "resolved" }.count == 1, "\(ticket.id): \(events.map { $0["kind"] ?? "?" })")
        }
        let rtFigures = try await verifyRequestTracker(tickets)
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        print("torture crash-safety: kills=\(kills) outages=\(outages) tickets=\(tickets.count) rolled_back_openings=\(lost) orphaned_open_tickets=\(orphaned) webhook_requests=\(requests.count) "
              + "events=\(byKey.count) redeliveries=\(redeliveries) rt_tickets=\(rtFigures.tickets) rt_comments=\(rtFigures.comments) seconds=\(seconds)")
        #expect(kills >= Self.kills)
    }

    /// RT: one ticket per incident (its fingerprint is the incident key, the same for every
    /// outage of a.test), each the one its hostwatch ticket links to, resolved, every comment on
    /// it once. Returns how many tickets and comments RT holds.
    func verifyRequestTracker(_ tickets: [Ticket]) async throws -> (tickets: Int, comments: Int) {
        let numbers = tickets.compactMap { $0.externalRefs["rt"].flatMap { Int($0) } }
        #expect(numbers.count == tickets.count, "\(tickets.map { "\($0.id)→\($0.externalRefs["rt"] ?? "none")" })")
        var inRT: [Int] = []
        for key in Set(tickets.map(\.key)) { inRT += try await rt.tickets(fingerprint: key) }
        #expect(inRT.sorted() == numbers.sorted(), "RT tickets \(inRT.sorted()), linked \(numbers.sorted())")
        var comments = 0
        for ticket in tickets {
            guard let number = ticket.externalRefs["rt"].flatMap({ Int($0) }) else { continue }
            let fields = try await rt.ticket(number)
            #expect(fields["Status"] as? String == "resolved", "\(ticket.id) is RT #\(number): \(fields["Status"] ?? "?")")
            #expect((fields["Subject"] as? String)?.hasPrefix("\(ticket.id): ") == true, "\(fields["Subject"] ?? "?")")
            // Every comment once: each is one event of the ticket, and no two events have the same text.
            let texts = try await rt.comments(number)
            comments += texts.count
            let repeated = Dictionary(grouping: texts, by: { $0 }).filter { $0.value.count > 1 }.keys
            #expect(repeated.isEmpty, "\(ticket.id) (RT #\(number)) has comments more than once: \(repeated.map { $0.prefix(80) })")
            #expect(texts.filter { $0.hasPrefix("\(ticket.id) resolved at ") }.count == 1, "\(ticket.id): \(texts.map { $0.prefix(60) })")
        }
        return (inRT.count, comments)
    }

    @Test func theCommandLineKilledMidNoteOrResolveLeavesAWholeStore() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-torture-cli")
        defer { try? dir.remove() }
        let site = try NginxServer(directory: dir.path, address: freeLoopbackAddress(ports: [80]), sites: [.init(domain: "a.test")])
        try site.start()
        defer { site.shutdown() }
        let webhook = try WebhookReceiver()
        defer { webhook.stop() }
        var agent = try makeAgent(dir, site: site, webhook: webhook)
        try agent.start()
        defer { agent.process?.terminate() }
        try site.stop()
        var ticket: Ticket?
        #expect(try await waitUntil(timeout: .seconds(30)) {
            ticket = try agent.tickets().first
            return ticket != nil
        }, "\(agent.log())")
        let id = try #require(ticket?.id)

        var generator = SystemRandomNumberGenerator()
        var finished = 0
        let rounds = max(20, Self.kills / 2)
        for round in 0..<rounds {
            let arguments = round == rounds - 1
                ? ["tickets", "resolve", id, "--by", "cli", "--config", agent.config]
                : ["tickets", "note", id, "note \(round)", "--by", "cli", "--config", agent.config]
            let cli = try ChildProcess(executable: agent.binary.path, arguments: arguments, logFile: dir.appending("cli-\(round).log"))
            // 0–30 ms: from process start to past the end of the write (a note takes 10–30 ms here).
            try await Task.sleep(for: .microseconds(Int.random(in: 0...30_000, using: &generator)))
            try? cli.signalGroup(SIGKILL)
            if cli.waitForExit(timeout: .seconds(10)) == 0 { finished += 1 }
            let list = try agent.binary.run(["tickets", "list", "--all", "--json", "--config", agent.config])
            #expect(list.status == 0, "round \(round): \(list.stderr)")
        }
        // The agent went on through all of it, and stops cleanly. It is stopped before the store
        // is compared with the listing: running, it may write a ticket (its RT reference, once
        // the slow delivery is through) between the two reads.
        #expect(agent.process?.isRunning == true, "\(agent.log())")
        #expect(agent.process?.terminate() == 0)
        let tickets = try verifyStore(agent)
        let after = try #require(tickets.first { $0.id == id })
        // Each note is there once or not at all.
        for round in 0..<(rounds - 1) {
            #expect(after.steps.filter { $0.text.hasSuffix("note \(round)") }.count <= 1)
        }
        // And a complete note still goes in.
        #expect(try agent.binary.run(["tickets", "note", id, "after the kills", "--by", "cli", "--config", agent.config]).status == 0)
        #expect(try agent.tickets().first { $0.id == id }?.steps.contains { $0.text.hasSuffix("after the kills") } == true)
        print("torture cli-kills: rounds=\(rounds) completed_before_kill=\(finished)")
    }
}
