import FoundationEssentials
import Testing
@testable import HostwatchCore

/// Table-driven tracker tests: a sequence of observations at fixed times → the actions after each.
@Suite struct IncidentTrackerTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let server = Ticket.Server(name: "web01", address: "203.0.113.10")
    static let https = "203.0.113.10:443/https"
    static let http = "203.0.113.10:80/http"

    static let refused = CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: connect to 203.0.113.10:443 refused")
    static let error500 = CheckFailure(kind: .protocolViolation, category: .siteOffline, cause: .application,
                                       message: "HTTP: expected status 200, got 500 Internal Server Error")
    static let expired = CheckFailure(kind: .certificate, category: .security, message: "HTTPS: certificate expired on 2027-01-01T00:00:00Z")

    static func web(_ domain: String, _ index: Int? = nil) -> CheckID { CheckID(target: domain, kind: "web", index: index) }

    /// A tracker with `domains` on the HTTPS endpoint (and, with `alsoHTTP`, each also on HTTP).
    func tracker(_ domains: [String], plan: Plan = .free, alsoHTTP: Bool = false, settings: IncidentSettings = IncidentSettings(),
                 failures: Int = 3, restoring saved: IncidentTracker.State? = nil) -> IncidentTracker {
        var settings = settings
        if settings.kOfN == IncidentSettings().kOfN { settings.kOfN = nil }
        var tracker = IncidentTracker(server: server, settings: settings)
        if let saved { tracker.restore(saved) }
        let timing = CheckTiming(failures: failures, recoveries: 2)
        for domain in domains {
            tracker.register(Self.web(domain), subject: .init(domain: domain, account: .init(name: "\(domain) owner", plan: plan),
                                                               timing: timing, endpoint: Self.https, isLocal: true))
            if alsoHTTP {
                tracker.register(Self.web(domain, 1), subject: .init(domain: domain, account: .init(name: "\(domain) owner", plan: plan),
                                                                      timing: timing, endpoint: Self.http, isLocal: true))
            }
        }
        return tracker
    }

    static func observation(_ check: CheckID, _ failure: CheckFailure?, at seconds: Double) -> Observation {
        var transcript = Transcript()
        transcript.append(.note, "Trying 203.0.113.10:443...")
        return Observation(check: check, endpoint: IncidentTrackerTests.https, startedAt: t0.addingTimeInterval(seconds),
                           duration: .milliseconds(3), outcome: failure.map { .failed($0) } ?? .ok,
                           summary: failure?.message ?? "200 OK in 3.0 ms", transcript: transcript)
    }

    /// Feeds (check, failure or nil, second) and returns the actions after each.
    @discardableResult
    func feed(_ tracker: inout IncidentTracker, _ steps: [(CheckID, CheckFailure?, Double)]) -> [[IncidentAction]] {
        steps.map { tracker.record(Self.observation($0.0, $0.1, at: $0.2), at: Self.t0.addingTimeInterval($0.2)) }
    }

    /// Every check fails (or recovers) once per round, rounds one second apart from `start`.
    func rounds(_ tracker: inout IncidentTracker, _ checks: [CheckID], _ failure: CheckFailure?, count: Int, start: Double) -> [IncidentAction] {
        var all: [IncidentAction] = []
        for round in 0..<count {
            for check in checks { all += feed(&tracker, [(check, failure, start + Double(round))]).flatMap { $0 } }
            all += tracker.tick(at: Self.t0.addingTimeInterval(start + Double(round) + 0.5))
        }
        return all
    }

    static func opens(_ actions: [IncidentAction]) -> [TicketDraft] {
        actions.compactMap { if case .open(let d) = $0 { d } else { nil } }
    }

    static func resolves(_ actions: [IncidentAction]) -> [String] {
        actions.compactMap { if case .resolve(let key, _, _) = $0 { key } else { nil } }
    }

    static func updates(_ actions: [IncidentAction]) -> [(key: String, step: Ticket.Step, content: TicketContent?)] {
        actions.compactMap { if case .update(let k, let s, let c) = $0 { (k, s, c) } else { nil } }
    }

    // MARK: Debounce and the single check

    @Test func threeFailuresOpenOneTicketWithEachAttemptAndTheTranscript() throws {
        var t = tracker(["shop.test"])
        let check = Self.web("shop.test")
        let actions = feed(&t, [(check, Self.error500, 0), (check, Self.error500, 15), (check, Self.error500, 30), (check, Self.error500, 45)])
        #expect(actions[0].isEmpty && actions[1].isEmpty && actions[3].isEmpty)
        let draft = try #require(Self.opens(actions[2]).first)
        #expect(draft.key == "check:shop.test/web")
        #expect(draft.severity == .warning)
        #expect(draft.category == .siteOffline)
        #expect(draft.cause == .application)
        #expect(draft.since == Self.t0)
        #expect(draft.domains == ["shop.test"])
        #expect(draft.accounts == [.init(name: "shop.test owner", plan: .free)])
        #expect(draft.server == server)
        #expect(draft.subject == "shop.test: site offline — HTTP: expected status 200, got 500 Internal Server Error")
        #expect(draft.steps.filter { $0.text.contains("500") }.map(\.at) == [0, 15, 30].map { Self.t0.addingTimeInterval($0) })
        #expect(draft.attachments.first?.content.contains("Trying 203.0.113.10:443") == true)
    }

    @Test func recoveryNeedsTwoSuccessesAndSaysHowLongItWasDown() {
        var t = tracker(["shop.test"])
        let c = Self.web("shop.test")
        let actions = feed(&t, [(c, Self.error500, 0), (c, Self.error500, 15), (c, Self.error500, 30), (c, nil, 45),
                                (c, Self.error500, 60), (c, nil, 75), (c, nil, 90)])
        #expect(actions[3].isEmpty && actions[4].isEmpty && actions[5].isEmpty)
        guard case .resolve(let key, let at, let step) = actions[6].first else { Issue.record("expected resolve, got \(actions[6])"); return }
        #expect(key == "check:shop.test/web")
        #expect(at == Self.t0.addingTimeInterval(90))
        #expect(step.text.contains("recovered by itself after 2 min"))
    }

    @Test func aBlipShorterThanTheDebounceOpensNothing() {
        var t = tracker(["shop.test"])
        let c = Self.web("shop.test")
        let actions = feed(&t, [(c, Self.refused, 0), (c, Self.refused, 1), (c, nil, 2), (c, Self.refused, 3), (c, nil, 4)])
        #expect(actions.allSatisfy { $0.isEmpty })
    }

    @Test func kOfTheLastNOpensACrashLoopThatNeverFailsThreeTimesInARow() throws {
        var settings = IncidentSettings()
        settings.kOfN = .init(k: 3, n: 5)
        var t = IncidentTracker(server: server, settings: settings)
        let c = Self.web("shop.test")
        t.register(c, subject: .init(domain: "shop.test", account: .init(name: "o", plan: .free), timing: CheckTiming(), endpoint: Self.https))
        let actions = feed(&t, [(c, Self.error500, 0), (c, nil, 1), (c, Self.error500, 2), (c, nil, 3), (c, Self.error500, 4), (c, nil, 5)])
        #expect(actions[0...3].allSatisfy { $0.isEmpty })
        let draft = try #require(Self.opens(actions[4]).first)
        #expect(draft.since == Self.t0)
        #expect(actions[5].isEmpty, "one success in a crash loop does not resolve")
    }

    @Test(arguments: [(Plan.free, Severity.warning), (.plus, .critical)])
    func anApplicationErrorIsCriticalOnlyOnPlus(plan: Plan, severity: Severity) {
        var t = tracker(["shop.test"], plan: plan)
        let c = Self.web("shop.test")
        let actions = feed(&t, [(c, Self.error500, 0), (c, Self.error500, 1), (c, Self.error500, 2)])
        #expect(Self.opens(actions[2]).first?.severity == severity)
    }

    @Test func thePolicyTableIsDataThatConfigOverrides() {
        var settings = IncidentSettings()
        settings.policy.rows[.siteOffline]?[.application] = .init(free: .critical, plus: .critical)
        var t = tracker(["shop.test"], settings: settings)
        let c = Self.web("shop.test")
        let actions = feed(&t, [(c, Self.error500, 0), (c, Self.error500, 1), (c, Self.error500, 2)])
        #expect(Self.opens(actions[2]).first?.severity == .critical)
    }

    @Test func aChangedErrorWhileDownIsAStepButARepeatIsNot() {
        var t = tracker(["shop.test"])
        let c = Self.web("shop.test")
        let other = CheckFailure(kind: .protocolViolation, category: .siteOffline, cause: .application, message: "HTTP: expected status 200, got 502 Bad Gateway")
        let actions = feed(&t, [(c, Self.error500, 0), (c, Self.error500, 1), (c, Self.error500, 2), (c, Self.error500, 3), (c, other, 4)])
        #expect(actions[3].isEmpty)
        #expect(Self.updates(t.tick(at: Self.t0.addingTimeInterval(4.5))).first?.step.text.contains("502 Bad Gateway") == true)
        #expect(feed(&t, [(c, other, 5)]).allSatisfy { $0.isEmpty })
        #expect(Self.updates(t.tick(at: Self.t0.addingTimeInterval(5.5))).isEmpty)
    }

    // MARK: One incident per cause

    @Test func everyDomainRefusedOnOneEndpointJoinsOneIncidentListingThemAll() throws {
        let domains = (1...5).map { "site\($0).test" }
        var t = tracker(domains)
        let checks = domains.map { Self.web($0) }
        let actions = rounds(&t, checks, Self.refused, count: 4, start: 0)
        let opened = Self.opens(actions)
        #expect(opened.count == 1)
        let draft = try #require(opened.first)
        #expect(draft.key == "endpoint:\(Self.https)")
        #expect(draft.severity == .critical)
        // The four joins of one round are one step on the ticket.
        let joins = Self.updates(actions).filter { $0.step.text.contains("joined") }
        #expect(joins.count == 1)
        #expect(joins.first?.step.text == "site2.test/web joined; site3.test/web joined; site4.test/web joined; site5.test/web joined")
        let last = try #require(joins.last?.content)
        #expect(last.domains == domains)
        #expect(last.accounts.count == 5)
        #expect(last.subject == "site offline on \(Self.https) (site1.test, site2.test and 3 more): 5 of 5 checks down — HTTP: connect to 203.0.113.10:443 refused")
        // Recovery one by one: updates, then one resolve when the last leaves.
        let recovered = rounds(&t, checks, nil, count: 2, start: 10)
        #expect(Self.resolves(recovered) == ["endpoint:\(Self.https)"])
        guard case .resolve(_, _, let step) = recovered.last else { Issue.record("expected a resolve last"); return }
        #expect(step.text.hasPrefix("site1.test/web recovered (200 OK in 3.0 ms); site2.test/web recovered"))
        #expect(step.text.contains("site4.test/web recovered (200 OK in 3.0 ms); site5.test/web recovered"))
        #expect(step.text.hasSuffix("recovered by itself after 0 min"))
    }

    @Test func domainSpecificFailuresKeyOnTheCheckNotTheEndpoint() {
        var t = tracker(["a.test", "b.test"])
        let actions = rounds(&t, [Self.web("a.test")], Self.expired, count: 3, start: 0)
            + rounds(&t, [Self.web("b.test")], Self.error500, count: 3, start: 0)
        #expect(Self.opens(actions).map(\.key).sorted() == ["check:a.test/web", "check:b.test/web"])
        #expect(Self.opens(actions).first { $0.key == "check:a.test/web" }?.category == .security)
    }

    @Test func whenEveryEndpointFailsOneServerDownTicketAbsorbsThem() throws {
        var t = tracker(["a.test", "b.test"], alsoHTTP: true)
        let httpsChecks = [Self.web("a.test"), Self.web("b.test")]
        let httpChecks = [Self.web("a.test", 1), Self.web("b.test", 1)]
        let first = rounds(&t, httpsChecks, Self.refused, count: 3, start: 0)
        #expect(Self.opens(first).map(\.key) == ["endpoint:\(Self.https)"])
        let second = rounds(&t, httpChecks, Self.refused, count: 3, start: 0)
        #expect(Self.opens(second).isEmpty, "the endpoint ticket becomes the server ticket; no new ticket")
        let rekey = try #require(Self.updates(second).first { $0.content?.key == "server:web01" })
        #expect(rekey.key == "endpoint:\(Self.https)")
        #expect(rekey.content?.category == .serverDown)
        #expect(rekey.content?.subject.hasPrefix("web01: server down") == true)
        #expect(rekey.content?.domains == ["a.test", "b.test"])
        // Everything recovers: the server ticket resolves once, still listing every domain.
        let back = rounds(&t, httpsChecks + httpChecks, nil, count: 2, start: 10)
        #expect(Self.resolves(back) == ["server:web01"])
        #expect(Self.updates(back).allSatisfy { $0.content == nil || $0.content?.domains == ["a.test", "b.test"] })
    }

    @Test func aPeerWhoseEveryEndpointFailsIsOneServerDownTicketForThatPeer() throws {
        var settings = IncidentSettings()
        settings.kOfN = nil
        settings.peers = ["198.51.100.20": "web02"]
        var t = IncidentTracker(server: server, settings: settings)
        let timing = CheckTiming(failures: 3, recoveries: 2)
        let a = CheckID(target: "a.test", kind: "web"), b = CheckID(target: "a.test", kind: "web", index: 1)
        t.register(a, subject: .init(domain: "a.test", account: .init(name: "A", plan: .free), timing: timing,
                                     endpoint: "198.51.100.20:443/https", isLocal: false))
        t.register(b, subject: .init(domain: "a.test", account: .init(name: "A", plan: .free), timing: timing,
                                     endpoint: "198.51.100.20:80/http", isLocal: false))
        // A local site keeps this server's own endpoints healthy.
        t.register(Self.web("local.test"), subject: .init(domain: "local.test", account: .init(name: "L", plan: .free), timing: timing,
                                                          endpoint: Self.https, isLocal: true))
        let refused443 = CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: connect to 198.51.100.20:443 refused")
        let first = rounds(&t, [a], refused443, count: 3, start: 0)
        let draft = try #require(Self.opens(first).first)
        #expect(draft.server == Ticket.Server(name: "web02", address: "198.51.100.20"))
        let second = rounds(&t, [b], refused443, count: 3, start: 0)
        let rekey = try #require(Self.updates(second).first { $0.content?.key == "server:web02" })
        #expect(rekey.content?.subject.hasPrefix("peer web02 (198.51.100.20): server down — every endpoint failing (2 endpoints, 1 domains)") == true)
        #expect(Self.resolves(rounds(&t, [a, b], nil, count: 2, start: 10)) == ["server:web02"])
    }

    @Test func aCheckWhoseFailureChangesCauseMovesToTheNewIncident() {
        var t = tracker(["a.test", "b.test"])
        let a = Self.web("a.test")
        var actions = rounds(&t, [a, Self.web("b.test")], Self.refused, count: 3, start: 0)
        actions += feed(&t, [(a, Self.error500, 5)]).flatMap { $0 }
        actions += t.tick(at: Self.t0.addingTimeInterval(5.5))
        #expect(Self.opens(actions).map(\.key).contains("check:a.test/web"))
        // The endpoint ticket got its joins' step less than `pendingEvery` ago: the move waits.
        #expect(!Self.updates(actions).contains { $0.step.text.contains("now fails differently") })
        actions += t.tick(at: Self.t0.addingTimeInterval(5.5 + IncidentTracker.pendingEvery))
        #expect(Self.updates(actions).contains { $0.step.text.contains("now fails differently") })
    }

    // MARK: Storms

    /// Sites joining an open incident one a second get one step at once, then one every
    /// `pendingEvery`: a ticket listing thousands of members is not rewritten every second, and
    /// no join is lost.
    @Test func joinsPouringInMakeAStepEveryFewSecondsNotEverySecond() throws {
        let domains = (0..<32).map { "s\($0).test" }
        var t = tracker(domains)
        var actions = rounds(&t, domains.prefix(2).map { Self.web($0) }, Self.refused, count: 3, start: 0)
        let key = try #require(Self.opens(actions).first?.key)
        actions = []
        // From second 3 on, one more site fails three times in a row each second.
        for (n, domain) in domains.dropFirst(2).enumerated() {
            let at = 3 + Double(n)
            for _ in 0..<3 { actions += feed(&t, [(Self.web(domain), Self.refused, at)]).flatMap { $0 } }
            actions += t.tick(at: Self.t0.addingTimeInterval(at + 0.5))
        }
        actions += t.tick(at: Self.t0.addingTimeInterval(3 + 30 + IncidentTracker.pendingEvery))
        let steps = Self.updates(actions).filter { $0.key == key && $0.step.text.contains("joined") }
        #expect((3...5).contains(steps.count), "\(steps.count) steps")
        let mentioned = steps.map { step in
            step.step.text.split(separator: ";").reduce(0) { count, part in
                if let more = part.split(separator: " ").dropFirst(2).first, part.contains("and") { return count + (Int(more) ?? 0) }
                return count + 1
            }
        }.reduce(0, +)
        #expect(mentioned == 30)
    }


    @Test func moreThanTheStormCapBecomesOneMassOutageTicket() throws {
        var settings = IncidentSettings()
        settings.stormMaxTickets = 3
        let domains = (1...6).map { "d\($0).test" }
        // +Plus: a 500 is critical there, and only critical incidents count towards the cap.
        var t = tracker(domains, plan: .plus, settings: settings)
        var actions: [IncidentAction] = []
        for (i, domain) in domains.enumerated() {
            actions += rounds(&t, [Self.web(domain)], Self.error500, count: 3, start: Double(i * 10))
        }
        let opened = Self.opens(actions)
        #expect(opened.count == 4, "\(opened.map(\.key))")
        #expect(opened.last?.key == "mass:web01")
        #expect(Self.updates(actions).filter { $0.key == "mass:web01" && $0.step.text.contains("joined") }.count == 2)
        // It resolves only when everything it holds has recovered.
        var back: [IncidentAction] = []
        for (i, domain) in domains.enumerated() { back += rounds(&t, [Self.web(domain)], nil, count: 2, start: 100 + Double(i * 10)) }
        #expect(Self.resolves(back).filter { $0 == "mass:web01" }.count == 1)
        #expect(Self.resolves(back).last == "mass:web01")
    }

    // MARK: Flapping

    @Test func aFlappingCheckKeepsOneIncidentAndTheFinalRecoveryIsNotLost() {
        var t = tracker(["shop.test"], failures: 1)
        let c = Self.web("shop.test")
        var actions: [IncidentAction] = []
        var time = 0.0
        for _ in 0..<4 {
            actions += feed(&t, [(c, Self.error500, time), (c, nil, time + 60), (c, nil, time + 120)]).flatMap { $0 }
            actions += t.tick(at: Self.t0.addingTimeInterval(time + 121))
            time += 180
        }
        #expect(Self.opens(actions).count == 1)
        #expect(actions.filter { if case .reopen = $0 { true } else { false } }.count <= 1)
        #expect(Self.updates(actions).contains { $0.step.text.contains("flapping") })
        let resolvesWhileFlapping = Self.resolves(actions).count
        // Stable for the flap window: resolved, once.
        var later = feed(&t, [(c, nil, time + 60)]).flatMap { $0 }
        later += t.tick(at: Self.t0.addingTimeInterval(time + 60 + 31 * 60))
        #expect(Self.resolves(later).count == 1)
        #expect(resolvesWhileFlapping <= 1)
        #expect(t.state.incidents.isEmpty)
    }

    // MARK: Silences and maintenance

    @Test func aSilenceBlocksCreationAndTheTicketOpensOnceWhenItEnds() throws {
        var t = tracker(["shop.test"])
        let c = Self.web("shop.test")
        t.setSilences([Silence(id: "S-1", target: .domain("shop.test"), start: Self.t0, end: Self.t0.addingTimeInterval(600), reason: "deploy", by: "ann")])
        let during = rounds(&t, [c], Self.error500, count: 5, start: 0) + t.tick(at: Self.t0.addingTimeInterval(300))
        #expect(Self.opens(during).isEmpty)
        let after = t.tick(at: Self.t0.addingTimeInterval(601))
        #expect(Self.opens(after).count == 1)
        #expect(Self.opens(t.tick(at: Self.t0.addingTimeInterval(602))).isEmpty)
    }

    @Test func aRecoveryDuringASilenceStillResolvesWhatWasOpen() {
        var t = tracker(["shop.test"])
        let c = Self.web("shop.test")
        let opened = rounds(&t, [c], Self.error500, count: 3, start: 0)
        #expect(Self.opens(opened).count == 1)
        t.setSilences([Silence(id: "S-1", target: .all, start: Self.t0, end: Self.t0.addingTimeInterval(3600), reason: "m", by: "x")])
        let back = rounds(&t, [c], nil, count: 2, start: 10)
        #expect(Self.resolves(back) == ["check:shop.test/web"])
    }

    @Test(arguments: [(Silence.Target.server, true), (.all, true), (.endpoint("203.0.113.10:443"), true),
                      (.endpoint("203.0.113.10:80"), false), (.domain("other.test"), false)])
    func silenceTargetsCoverWhatTheyName(target: Silence.Target, silenced: Bool) {
        var t = tracker(["shop.test"])
        t.setSilences([Silence(id: "m", target: target, start: Self.t0, end: Self.t0.addingTimeInterval(3600), reason: "", by: "")])
        let actions = rounds(&t, [Self.web("shop.test")], Self.refused, count: 3, start: 0)
        #expect(Self.opens(actions).isEmpty == silenced)
    }

    @Test(arguments: ["example.org", "endpoint:203.0.113.10:443", "server", "all"])
    func silenceTargetsRoundTripThroughText(text: String) {
        #expect(Silence.Target(text)?.description == text)
    }

    @Test(arguments: ["endpoint:nope", "endpoint:1.2.3.4:99999", "not a domain", ""])
    func badSilenceTargetsAreRejected(text: String) {
        #expect(Silence.Target(text) == nil)
    }

    // MARK: Reopen, reminders, acknowledgement

    @Test func aFailureWithinReopenWithinReopensTheTicketAndLaterOpensANewOne() {
        var t = tracker(["shop.test"])
        let c = Self.web("shop.test")
        _ = rounds(&t, [c], Self.error500, count: 3, start: 0)
        #expect(Self.resolves(rounds(&t, [c], nil, count: 2, start: 10)).count == 1)
        let again = rounds(&t, [c], Self.error500, count: 3, start: 3600)
        #expect(again.contains { if case .reopen(let key, _, _, _) = $0 { key == "check:shop.test/web" } else { false } })
        #expect(Self.opens(again).isEmpty)
        _ = rounds(&t, [c], nil, count: 2, start: 3700)
        _ = t.tick(at: Self.t0.addingTimeInterval(3700 + 7 * 3600))
        let much = rounds(&t, [c], Self.error500, count: 3, start: 3700 + 7 * 3600)
        #expect(Self.opens(much).count == 1)
    }

    @Test func criticalTicketsGetRemindersUntilAcknowledged() {
        var t = tracker(["shop.test"])
        let c = Self.web("shop.test")
        _ = rounds(&t, [c], Self.refused, count: 3, start: 0)
        #expect(Self.updates(t.tick(at: Self.t0.addingTimeInterval(3 * 3600))).isEmpty)
        let reminder = Self.updates(t.tick(at: Self.t0.addingTimeInterval(4 * 3600 + 5)))
        #expect(reminder.count == 1)
        #expect(reminder.first?.step.text.contains("reminder: still down after 4h") == true)
        #expect(Self.updates(t.tick(at: Self.t0.addingTimeInterval(5 * 3600))).isEmpty)
        t.acknowledge(key: "endpoint:\(Self.https)")
        #expect(Self.updates(t.tick(at: Self.t0.addingTimeInterval(9 * 3600))).isEmpty)
    }

    // MARK: Restarts and config changes

    @Test func stateSavedAndRestoredNeitherDuplicatesNorForgets() throws {
        var t = tracker(["a.test", "b.test"])
        let checks = [Self.web("a.test"), Self.web("b.test")]
        #expect(Self.opens(rounds(&t, checks, Self.refused, count: 3, start: 0)).count == 1)
        let data = try JSONEncoder().encode(t.state)
        var restarted = tracker(["a.test", "b.test"])
        restarted.restore(try JSONDecoder().decode(IncidentTracker.State.self, from: data))
        #expect(Self.opens(rounds(&restarted, checks, Self.refused, count: 3, start: 10)).isEmpty)
        #expect(Self.resolves(rounds(&restarted, checks, nil, count: 2, start: 20)) == ["endpoint:\(Self.https)"])
        // A restart after the recovery does not reopen it.
        let data2 = try JSONEncoder().encode(restarted.state)
        var again = tracker(["a.test", "b.test"])
        again.restore(try JSONDecoder().decode(IncidentTracker.State.self, from: data2))
        #expect(rounds(&again, checks, nil, count: 3, start: 30).isEmpty)
    }

    @Test func anAdoptedTicketDoesNotOpenAgainAndResolvesOnRecovery() {
        var t = tracker(["shop.test"])
        let c = Self.web("shop.test")
        t.adopt(openTicketKey: "check:shop.test/web", openedAt: Self.t0.addingTimeInterval(-300))
        let actions = feed(&t, [(c, Self.error500, 0), (c, Self.error500, 1), (c, Self.error500, 2), (c, Self.error500, 3), (c, nil, 4), (c, nil, 5)])
        #expect(actions[0...4].allSatisfy { $0.isEmpty })
        #expect(Self.resolves(actions[5]) == ["check:shop.test/web"])
    }

    @Test func aRemovedCheckResolvesItsIncident() {
        var t = tracker(["shop.test"])
        _ = rounds(&t, [Self.web("shop.test")], Self.error500, count: 3, start: 0)
        var reloaded = IncidentTracker(server: server)
        reloaded.restore(t.state)
        let actions = reloaded.dropUnregistered(at: Self.t0.addingTimeInterval(100))
        guard case .resolve(let key, _, let step) = actions.first else { Issue.record("expected resolve, got \(actions)"); return }
        #expect(key == "check:shop.test/web")
        #expect(step.text.contains("removed from config"))
        #expect(!step.text.contains("recovered by itself"))
    }

    /// Issue 16: the saved state of 40,000 healthy checks was megabytes rewritten every 30 s,
    /// and their table 12.6 MB in memory.
    @Test func theSavedStateLeavesOutQuietChecksAndARestoreJudgesThemTheSame() throws {
        let domains = (1...50).map { "s\($0).test" }
        var t = tracker(domains, failures: 2)
        feed(&t, domains.map { (Self.web($0), nil, 1) })
        feed(&t, [(Self.web("s7.test"), Self.error500, 2)])
        let data = try JSONEncoder().encode(t.state)
        let saved = try JSONDecoder().decode(IncidentTracker.State.self, from: data)
        #expect(saved.checks.stored.keys.map(\.description) == ["s7.test/web"])
        // In memory too, only the check with something to remember has an entry.
        #expect(t.state.checks.stored.keys.map(\.description) == ["s7.test/web"])
        #expect(data.count < 2_000, "\(data.count) bytes")
        // Restored and registered again, the remembered failure counts: one more opens it.
        var restored = tracker(domains, failures: 2, restoring: saved)
        let actions = feed(&restored, [(Self.web("s7.test"), Self.error500, 3), (Self.web("s9.test"), Self.error500, 3)])
        #expect(actions[0].count == 1)
        #expect(actions[1].isEmpty)
    }

    @Test func observationsOfUnknownChecksAreIgnored() {
        var t = IncidentTracker(server: server)
        #expect(t.record(Self.observation(Self.web("x.test"), Self.refused, at: 0), at: Self.t0).isEmpty)
    }

    @Test func theSnapshotShowsFailingAndDownChecks() {
        var t = tracker(["a.test", "b.test"])
        _ = rounds(&t, [Self.web("a.test")], Self.error500, count: 3, start: 0)
        _ = feed(&t, [(Self.web("b.test"), Self.error500, 5)])
        let snapshot = t.snapshot(at: Self.t0.addingTimeInterval(10))
        #expect(snapshot.checks.map(\.state) == ["down", "failing"])
        #expect(snapshot.checks.first?.downSince == Self.t0)
        #expect(snapshot.incidents.map(\.key) == ["check:a.test/web"])
    }
}
