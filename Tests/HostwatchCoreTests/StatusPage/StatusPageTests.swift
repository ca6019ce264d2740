import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct StatusPageTests {
    let now = Date(timeIntervalSince1970: 1_796_090_400)   // 2026-12-01T02:00:00Z

    var snapshot: StatusSnapshot {
        var down = StatusSnapshot.CheckStatus(check: "shop.test/web", state: "down", consecutiveFailures: 3, failuresToOpen: 3,
                                              downSince: now.addingTimeInterval(-600), silencedUntil: nil, incident: "site-offline:shop.test",
                                              lastResult: "connect to 203.0.113.10:443 refused", lastRun: now)
        down.uptime24h = nil
        let ok = StatusSnapshot.CheckStatus(check: "blog.test/web", state: "ok", consecutiveFailures: 0, failuresToOpen: 3,
                                            downSince: nil, silencedUntil: nil, incident: nil, lastResult: "200 OK in 12 ms", lastRun: now)
        let disk = StatusSnapshot.CheckStatus(check: "web01/disk[0]", state: "ok", consecutiveFailures: 0, failuresToOpen: 3,
                                              downSince: nil, silencedUntil: nil, incident: nil, lastResult: "/ 40% used", lastRun: now)
        let incident = StatusSnapshot.IncidentStatus(key: "site-offline:shop.test", ticket: "HW-2026-0042", since: now.addingTimeInterval(-600),
                                                     ticketed: true, parent: nil, checksDown: ["shop.test/web"], flapping: false, acknowledged: false)
        return StatusSnapshot(server: "web01", writtenAt: now, checks: [ok, down, disk], incidents: [incident])
    }

    let infos = [
        StatusPage.DomainInfo(name: "shop.test", account: "Shop <Ltd> (#1042)", plan: .plus, endpoints: ["shop.test/web": "203.0.113.10:443/tcp"]),
        StatusPage.DomainInfo(name: "blog.test", account: "Blog & Co", plan: .free),
    ]
    let tickets = [TicketSummary(id: "HW-2026-0042", key: "site-offline:shop.test", status: .open, severity: .critical, category: .siteOffline,
                                 subject: "shop.test offline: connect to 203.0.113.10:443 refused", domains: ["shop.test"],
                                 accounts: ["Shop <Ltd> (#1042)"], openedAt: Date(timeIntervalSince1970: 1_796_090_000),
                                 resolvedAt: nil, solution: nil, archived: false)]

    func page(isPublic: Bool, history: UptimeHistory = UptimeHistory()) -> StatusPage {
        StatusPage.build(snapshot: snapshot, domains: infos, tickets: tickets, history: history, isPublic: isPublic, at: now)
    }

    @Test func staffPageShowsTheDownDomainFirstWithItsTicketAccountAndAddress() {
        let page = page(isPublic: false)
        #expect(page.domains.map(\.name) == ["shop.test", "blog.test", "web01"])
        #expect(page.domains[0].state == .down)
        #expect(page.domains[0].account == "Shop <Ltd> (#1042)")
        #expect(page.incidents.first?.ticket == "HW-2026-0042")
        #expect(page.incidents.first?.category == .siteOffline)
        #expect(page.incidents.first?.severity == .critical)
        let index = StatusPageHTML.index(page, writtenAt: now)
        #expect(index.contains("HW-2026-0042"))
        #expect(index.contains("down since 2026-12-01T01:50:00Z"))
        #expect(index.contains("<a href=d/shop.test.html>shop.test</a>"))
        let domain = StatusPageHTML.domain(page.domains[0], of: page, writtenAt: now)
        #expect(domain.contains("203.0.113.10:443/tcp"))
        #expect(domain.contains("Shop &lt;Ltd&gt; (#1042)"), "escaped, never raw")
        #expect(!domain.contains("<Ltd>"))
        #expect(domain.contains("HW-2026-0042"))
    }

    @Test func domainsWithNoResultYetAreNotCountedOk() {
        let never = StatusSnapshot.CheckStatus(check: "new.test/web", state: "ok", consecutiveFailures: 0, failuresToOpen: 3,
                                               downSince: nil, silencedUntil: nil, incident: nil, lastResult: nil, lastRun: nil)
        var started = snapshot
        started.checks.append(never)
        let page = StatusPage.build(snapshot: started, domains: infos, tickets: tickets, history: UptimeHistory(), isPublic: false, at: now)
        let index = StatusPageHTML.index(page, writtenAt: now)
        #expect(index.contains("<p>4 domains: 2 ok, 0 failing, 1 down, 1 with no result yet</p>"), "\(index)")
        #expect(StatusPageHTML.index(self.page(isPublic: false), writtenAt: now).contains("<p>3 domains: 2 ok, 0 failing, 1 down</p>"))
    }

    @Test func publicPageLeavesOutAddressesAccountsPlansResultsAndTicketDetails() {
        let page = page(isPublic: true)
        #expect(page.domains.map(\.name) == ["shop.test", "blog.test"], "not the server's own disks")
        let html = StatusPageHTML.index(page, writtenAt: now)
            + page.domains.map { StatusPageHTML.domain($0, of: page, writtenAt: now) }.joined()
        for secret in ["203.0.113.10", "Shop", "Blog &amp; Co", "plan", "HW-2026-0042", "refused", "200 OK", "web01/disk"] {
            #expect(!html.contains(secret), "\(secret) on the public page")
        }
        #expect(html.contains("site-offline"))
        #expect(html.contains("down since"))
    }

    @Test func aDomainPageHasOneCellPerDayWithItsFigure() {
        var history = UptimeHistory()
        for minute in 0..<(26 * 60) {
            let at = now.addingTimeInterval(Double(minute - 26 * 60) * 60)
            history.record("shop.test/web", ok: minute < 60 || minute >= 120, at: at, maxGap: .seconds(120))
        }
        let page = page(isPublic: false, history: history)
        let html = StatusPageHTML.domain(page.domains[0], of: page, writtenAt: now)
        #expect(html.components(separatedBy: "<rect ").count - 1 == StatusPage.barDays)
        #expect(html.contains("<title>2026-11-30: 95.83%</title>"), "1 h down of the 24 h observed")
        #expect(html.contains("<title>2026-11-29: no data</title>"))
        #expect(!html.contains("<script"))
        let index = StatusPageHTML.index(page, writtenAt: now)
        // Unquoted attribute values end at a space: `class=u0/>` would make the class "u0/".
        #expect(index.range(of: "[A-Za-z0-9]/>", options: .regularExpression) == nil)
        #expect(!html.contains("http://") && !html.contains("https://"), "nothing fetched from another host")
    }

    @Test(arguments: [
        ("a<b>&\"'", "a&lt;b&gt;&amp;&quot;&#39;"),
        ("plain.example.net", "plain.example.net"),
        ("ünïcode", "ünïcode"),
    ])
    func escapesHTML(raw: String, escaped: String) {
        #expect(StatusPageHTML.escape(raw) == escaped)
    }

    @Test(arguments: [
        ("Shop.Example.ORG", "d/shop.example.org.html"),
        ("../etc/passwd", "d/_.._etc_passwd.html"),
        ("", "d/_.html"),
    ])
    func domainFileNamesStayInTheirFolder(domain: String, file: String) {
        #expect(StatusPage.fileName(of: domain) == file)
    }

    @Test(arguments: [(1.0, "100%"), (0.99999, "99.99%"), (0.9505, "95.05%"), (0.5, "50%"), (nil, "-")] as [(Double?, String)])
    func percentsRoundDown(fraction: Double?, text: String) {
        #expect(StatusPageHTML.percent(fraction) == text)
    }

    @Test func tenThousandDomainsKeepTheIndexUnderTwoMegabytes() {
        var history = UptimeHistory()
        var checks: [StatusSnapshot.CheckStatus] = []
        for i in 0..<10_000 {
            let check = "customer-\(i).example.net/web"
            // Every tenth domain had a bad day: its bar has more than one run.
            for minute in stride(from: 0, to: 3 * 1440, by: 30) {
                history.record(check, ok: i % 10 != 0 || minute % 1440 > 60, at: now.addingTimeInterval(Double(minute - 3 * 1440) * 60),
                               maxGap: .seconds(3600))
            }
            checks.append(.init(check: check, state: i % 100 == 0 ? "down" : "ok", consecutiveFailures: 0, failuresToOpen: 3,
                                downSince: i % 100 == 0 ? now : nil, silencedUntil: nil, incident: nil, lastResult: "200 OK", lastRun: now))
        }
        let snapshot = StatusSnapshot(server: "web01", writtenAt: now, checks: checks, incidents: [])
        let page = StatusPage.build(snapshot: snapshot, domains: [], tickets: [], history: history, isPublic: false, at: now)
        let bytes = StatusPageHTML.index(page, writtenAt: now).utf8.count
        #expect(bytes < 2_000_000, "\(bytes) bytes")
    }

    @Test func tenThousandDomainsWithWeeklyBadDaysOnOneInTenStillFit() {
        // 90 days of bars straight from day cells: every tenth domain has a bad day (95.8 %) each
        // week, every hundredth a red one too: 26 extra runs on those bars.
        let domains = (0..<10_000).map { i in
            let days = (0..<StatusPage.barDays).map { day -> UInt16 in
                if i % 10 == 0, day % 7 == 3 { return i % 100 == 0 && day % 14 == 3 ? 4_000 : 9_583 }
                return day < 30 && i % 3 == 0 ? UptimeHistory.noData : 10_000
            }
            return StatusPage.Domain(name: "customer-\(i).example.net", checks: [
                .init(name: "web", state: .ok, days: days, figures: .init(last24h: 1, last30d: 1, last90d: 0.9988)),
            ])
        }
        let page = StatusPage(server: "web01", isPublic: false, domains: domains, incidents: [])
        let index = StatusPageHTML.index(page, writtenAt: now)
        #expect(index.utf8.count < 2_000_000, "\(index.utf8.count) bytes")
        #expect(index.contains(#"<path class=u2 d="M3 4.5h1M10 4.5h1"#), "runs of another colour as strokes")
    }
}
