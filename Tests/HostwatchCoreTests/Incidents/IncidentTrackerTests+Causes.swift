import FoundationEssentials
import Testing
@testable import HostwatchCore

/// Issue 13: upstream incidents, expiring certificates as one warning, the storm cap counting
/// critical incidents only, and tickets resolved by hand.
@Suite struct IncidentTrackerCauseTests {
    typealias T = IncidentTrackerTests
    static let pool = "unix:/run/php/php8.2-fpm.sock"
    static func gateway(_ status: Int) -> CheckFailure {
        var failure = CheckFailure(kind: .protocolViolation, category: .siteOffline, cause: .application,
                                   message: "HTTP: expected status 2xx or 3xx, got \(status) Bad Gateway")
        failure.httpStatus = status
        return failure
    }
    static func expiring(_ days: Int) -> CheckFailure {
        var failure = CheckFailure(kind: .certificate, category: .certificate, message: "HTTPS: certificate expires in \(days) days, on 2027-01-01T00:00:00Z")
        failure.daysLeft = days
        return failure
    }

    /// `domains` on the HTTPS endpoint, passed to the pool (and `others` on it without one).
    func tracker(_ domains: [String], upstream: String? = pool, plan: Plan = .free,
                 settings: IncidentSettings = IncidentSettings()) -> IncidentTracker {
        var settings = settings
        settings.kOfN = nil
        var tracker = IncidentTracker(server: Ticket.Server(name: "web01", address: "203.0.113.10"), settings: settings)
        let timing = CheckTiming(interval: .seconds(60), retryInterval: .seconds(15), failures: 2, recoveries: 2)
        for domain in domains {
            tracker.register(T.web(domain), subject: .init(domain: domain, account: .init(name: "\(domain) owner", plan: plan),
                                                            timing: timing, endpoint: T.https, isLocal: true, upstream: upstream))
        }
        return tracker
    }

    func record(_ t: inout IncidentTracker, _ domain: String, _ failure: CheckFailure?, at seconds: Double) -> [IncidentAction] {
        t.record(T.observation(T.web(domain), failure, at: seconds), at: T.t0.addingTimeInterval(seconds))
    }

    @Test func mostSitesOfOnePoolAnswering502AreOneUpstreamIncident() throws {
        let domains = (1...8).map { "s\($0).test" }
        var t = tracker(domains)
        var actions: [IncidentAction] = []
        // Each site fails twice (failures: 2), their checks spread over the interval as the scheduler does.
        for (i, domain) in domains.enumerated() { actions += record(&t, domain, Self.gateway(502), at: Double(i)) }
        for (i, domain) in domains.enumerated() { actions += record(&t, domain, Self.gateway(502), at: 15 + Double(i)) }
        actions += t.tick(at: T.t0.addingTimeInterval(30))
        let opened = T.opens(actions)
        #expect(opened.map(\.key) == ["upstream:\(Self.pool)"], "\(opened.map(\.key))")
        actions += t.tick(at: T.t0.addingTimeInterval(31))
        let last = try #require(T.updates(actions).last { $0.content != nil }?.content)
        #expect(last.subject == "php8.2-fpm pool \(Self.pool): 8 sites answer 502", "\(last.subject)")
        #expect(last.severity == .critical)
        #expect(last.cause == .infrastructure)
        #expect(last.domains.count == 8)
        // Recovery of every site resolves it, once.
        var back: [IncidentAction] = []
        for round in 0..<2 { for (i, domain) in domains.enumerated() { back += record(&t, domain, nil, at: 100 + Double(round * 15 + i)) } }
        #expect(T.resolves(back) == ["upstream:\(Self.pool)"])
    }

    @Test func oneSiteAnswering502WhileItsPoolServesTheOthersIsItsOwnIncident() {
        let domains = (1...5).map { "s\($0).test" }
        var t = tracker(domains)
        var actions: [IncidentAction] = []
        for round in 0..<2 {
            for (i, domain) in domains.enumerated() {
                actions += record(&t, domain, domain == "s3.test" ? Self.gateway(502) : nil, at: Double(round * 15 + i))
            }
        }
        #expect(T.opens(actions).map(\.key) == ["check:s3.test/web"])
        // Later the pool dies for all: the others make the upstream incident; s3 keeps its own.
        for round in 0..<2 {
            for (i, domain) in domains.enumerated() { actions += record(&t, domain, Self.gateway(502), at: 40 + Double(round * 15 + i)) }
        }
        #expect(T.opens(actions).map(\.key) == ["check:s3.test/web", "upstream:\(Self.pool)"])
        #expect(T.resolves(actions).isEmpty)
    }

    @Test func aSiteDownFirstWaitsForItsGroupThenGoesAloneAtTheDeadline() {
        var t = tracker(["a.test", "b.test"])
        var actions = record(&t, "a.test", Self.gateway(502), at: 0)
        actions += record(&t, "a.test", Self.gateway(502), at: 15)
        // Down, but b.test has not answered since: undecided, no ticket yet.
        #expect(T.opens(actions).isEmpty)
        actions += t.tick(at: T.t0.addingTimeInterval(30))
        #expect(T.opens(actions).isEmpty)
        // b.test answers 502 too: a's wait ends in the group's incident.
        actions += record(&t, "b.test", Self.gateway(502), at: 40)
        #expect(T.opens(actions).map(\.key) == ["upstream:\(Self.pool)"])

        var alone = tracker(["a.test", "b.test"])
        var lone = record(&alone, "a.test", Self.gateway(503), at: 0) + record(&alone, "a.test", Self.gateway(503), at: 15)
        // Nobody else answers within one interval: it is the site's own incident.
        lone += alone.tick(at: T.t0.addingTimeInterval(15 + 61))
        #expect(T.opens(lone).map(\.key) == ["check:a.test/web"])
    }

    @Test func timeoutsBehindAPoolWhileTheWebServerAnswersOtherSitesAreThePools() {
        let domains = (1...4).map { "s\($0).test" }
        var t = tracker(domains)
        // A static site on the same nginx, passed to no upstream: it keeps answering.
        t.register(T.web("static.test"), subject: .init(domain: "static.test", account: .init(name: "s", plan: .free),
                                                         timing: CheckTiming(interval: .seconds(60), retryInterval: .seconds(15), failures: 2, recoveries: 2),
                                                         endpoint: T.https, isLocal: true))
        let timeout = CheckFailure(kind: .timeout, category: .siteOffline, message: "HTTP: no answer from 203.0.113.10:443 within 10s")
        var actions: [IncidentAction] = []
        for round in 0..<2 {
            actions += record(&t, "static.test", nil, at: Double(round * 15))
            for (i, domain) in domains.enumerated() { actions += record(&t, domain, timeout, at: Double(round * 15 + i + 1)) }
        }
        #expect(T.opens(actions).map(\.key) == ["upstream:\(Self.pool)"])

        // The whole web server hung (nothing answers): the endpoint's incident, as before.
        var hung = tracker(domains)
        var all: [IncidentAction] = []
        for round in 0..<2 { for (i, domain) in domains.enumerated() { all += record(&hung, domain, timeout, at: Double(round * 15 + i)) } }
        #expect(T.opens(all).map(\.key) == ["endpoint:\(T.https)"])
    }

    @Test func withoutAnUpstreamTheEndpointIsTheGroup() {
        let domains = (1...4).map { "s\($0).test" }
        var t = tracker(domains, upstream: nil)
        var actions: [IncidentAction] = []
        for round in 0..<2 { for (i, domain) in domains.enumerated() { actions += record(&t, domain, Self.gateway(504), at: Double(round * 15 + i)) } }
        #expect(T.opens(actions).map(\.key) == ["endpoint:\(T.https)"])
    }

    @Test func expiringCertificatesAreOneWarningTicketAndNeverAMassOutage() throws {
        var settings = IncidentSettings()
        settings.stormMaxTickets = 3
        let domains = (1...7).map { "c\($0).test" }
        var t = tracker(domains, upstream: nil, plan: .plus, settings: settings)
        var actions: [IncidentAction] = []
        for round in 0..<2 { for (i, domain) in domains.enumerated() { actions += record(&t, domain, Self.expiring(6 + i % 3), at: Double(round * 15 + i)) } }
        actions += t.tick(at: T.t0.addingTimeInterval(40))
        let opened = T.opens(actions)
        #expect(opened.map(\.key) == ["certificates:web01"], "\(opened.map(\.key))")
        #expect(opened.allSatisfy { $0.severity == .warning })
        let content = try #require(T.updates(actions).last { $0.content != nil }?.content)
        #expect(content.subject == "web01: 7 certificates expire within 8 days (c1.test, c2.test, c3.test and 4 more)", "\(content.subject)")
        #expect(content.severity == .warning)
        // Warnings do not count towards the cap: three critical incidents after them still get
        // their own tickets, the fourth goes into the mass outage.
        let critical = (1...4).map { "x\($0).test" }
        for domain in critical {
            t.register(T.web(domain), subject: .init(domain: domain, account: .init(name: "x", plan: .plus),
                                                    timing: CheckTiming(failures: 2, recoveries: 2), endpoint: nil, isLocal: true))
        }
        var more: [IncidentAction] = []
        for round in 0..<2 { for (i, domain) in critical.enumerated() { more += record(&t, domain, T.error500, at: 50 + Double(round * 15 + i)) } }
        #expect(T.opens(more).map(\.key) == ["check:x1.test/web", "check:x2.test/web", "check:x3.test/web", "mass:web01"])
    }

    @Test func aTicketResolvedByHandGetsNoRemindersAndTheNextFailureReopensIt() {
        var settings = IncidentSettings()
        settings.remindEvery = .seconds(60)
        var t = tracker(["a.test"], upstream: nil, plan: .plus, settings: settings)
        var actions = record(&t, "a.test", T.error500, at: 0) + record(&t, "a.test", T.error500, at: 15)
        #expect(T.opens(actions).map(\.key) == ["check:a.test/web"])
        #expect(t.ticketedKeys == ["check:a.test/web"])
        let taken = t.resolvedByHand(key: "check:a.test/web", at: T.t0.addingTimeInterval(20))
        #expect(taken)
        #expect(t.ticketedKeys.isEmpty)
        // Still failing: no reminder, no step.
        actions = record(&t, "a.test", T.error500, at: 75) + t.tick(at: T.t0.addingTimeInterval(200))
        #expect(actions.isEmpty, "\(actions)")
        // It recovers: nothing to resolve (the ticket is), and the next failure reopens it.
        actions = record(&t, "a.test", nil, at: 300) + record(&t, "a.test", nil, at: 315)
        #expect(T.resolves(actions).isEmpty)
        actions = record(&t, "a.test", T.error500, at: 400) + record(&t, "a.test", T.error500, at: 415)
        #expect(actions.contains { if case .reopen(let key, _, _, _) = $0 { key == "check:a.test/web" } else { false } }, "\(actions)")
    }

    @Test(arguments: [("unix:/run/php/php8.2-fpm.sock", "php8.2-fpm pool unix:/run/php/php8.2-fpm.sock"),
                      ("unix:/var/run/php-fpm-shop.sock", "php-fpm-shop pool unix:/var/run/php-fpm-shop.sock"),
                      ("127.0.0.1:9000", "PHP-FPM pool 127.0.0.1:9000"),
                      ("http://127.0.0.1:8080", "upstream http://127.0.0.1:8080")])
    func upstreamsAreNamedForTheResponder(upstream: String, name: String) {
        #expect(IncidentTracker.upstreamName(upstream) == name)
    }
}
