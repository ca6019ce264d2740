import FoundationEssentials
import Testing
@testable import HostwatchCore

@Suite struct RemediationPlannerTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let pool = "unix:/run/php/php8.2-fpm.sock"

    func rule(_ name: String = "remediation[0]", after: Int = 120, cooldown: Int = 3600, maxPerHour: Int = 3) -> RemediationRule {
        var rule = RemediationRule(name: name, match: .init(category: .siteOffline, upstream: Self.pool),
                                   run: ["sudo", "-n", "systemctl", "restart", "php8.2-fpm"])
        rule.after = .seconds(Int64(after))
        rule.cooldown = .seconds(Int64(cooldown))
        rule.maxPerHour = maxPerHour
        return rule
    }

    func incident(_ key: String = "upstream:\(pool)", category: HostwatchCore.Category = .siteOffline, openedAt: Double = 0) -> RemediationPlanner.OpenIncident {
        .init(key: key, category: category, openedAt: Self.t0.addingTimeInterval(openedAt))
    }

    func at(_ seconds: Double) -> Date { Self.t0.addingTimeInterval(seconds) }

    @Test func runsOnceForAMatchingIncidentAfterItsDelay() {
        var planner = RemediationPlanner(rules: [rule()])
        #expect(planner.due([incident()], at: at(60)).isEmpty)
        #expect(planner.due([incident()], at: at(120)).map(\.incident.key) == ["upstream:\(Self.pool)"])
        #expect(planner.due([incident()], at: at(4000)).isEmpty, "once per incident, whatever the cooldown")
        #expect(planner.runs.count == 1)
    }

    @Test func onlyMatchingIncidentsRun() {
        var planner = RemediationPlanner(rules: [rule(after: 0)])
        #expect(planner.due([incident("check:a.test/web"), incident(category: .emailDown)], at: at(10)).isEmpty)
    }

    @Test func theCooldownHoldsBackANewIncidentOfTheSameRule() {
        var planner = RemediationPlanner(rules: [rule(after: 0, cooldown: 3600)])
        #expect(planner.due([incident(openedAt: 0)], at: at(1)).count == 1)
        // The pool dies again ten minutes later: a new incident, but within the cooldown.
        #expect(planner.due([incident(openedAt: 600)], at: at(601)).isEmpty)
        #expect(planner.due([incident(openedAt: 600)], at: at(3602)).count == 1)
    }

    @Test func neverMoreThanMaxPerHourInAll() {
        let rules = (0..<5).map { i -> RemediationRule in
            var r = rule("remediation[\(i)]", after: 0, maxPerHour: 2)
            r.match = .init(key: "check:s\(i).test/web")
            return r
        }
        var planner = RemediationPlanner(rules: rules)
        let incidents = (0..<5).map { incident("check:s\($0).test/web", openedAt: 0) }
        #expect(planner.due(incidents, at: at(1)).count == 2)
        #expect(planner.due(incidents, at: at(1800)).isEmpty)
        #expect(planner.due(incidents, at: at(3602)).count == 2)
    }

    @Test func savedRunsSurviveARestart() {
        var planner = RemediationPlanner(rules: [rule(after: 0)])
        _ = planner.due([incident()], at: at(1))
        var restarted = RemediationPlanner(rules: [rule(after: 0)], runs: planner.runs)
        #expect(restarted.due([incident()], at: at(30)).isEmpty)
    }
}
