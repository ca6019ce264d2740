import FoundationEssentials
import Testing
@testable import HostwatchCore

@Suite struct TicketFormatTests {
    static let t0 = RFC3339.parse("2026-11-25T03:02:11Z")!

    /// A realistic ticket: nginx refusing on 443 for two sites, evidence attached, an earlier
    /// ticket for one of the accounts.
    static func ticket() -> Ticket {
        let at = { (seconds: Double) in t0.addingTimeInterval(seconds) }
        let draft = TicketDraft(
            key: "endpoint:203.0.113.10:443/https", severity: .critical, category: .siteOffline, cause: .infrastructure,
            subject: "site offline on 203.0.113.10:443/https (blog.example.org, shop.example.net): 2 of 2 checks down — HTTP: connect to 203.0.113.10:443 refused",
            server: .init(name: "web01", address: "203.0.113.10"),
            accounts: [.init(name: "Shop Example GmbH (#2077)", plan: .plus), .init(name: "Blog Owner (#1002)", plan: .free)],
            domains: ["shop.example.net", "blog.example.org"], checks: ["shop.example.net/web", "blog.example.org/web"],
            since: at(0), openedAt: at(30),
            steps: [.init(at: at(0), text: "shop.example.net/web failed: HTTP: connect to 203.0.113.10:443 refused"),
                    .init(at: at(15), text: "shop.example.net/web failed: HTTP: connect to 203.0.113.10:443 refused"),
                    .init(at: at(30), text: "shop.example.net/web failed: HTTP: connect to 203.0.113.10:443 refused"),
                    .init(at: at(30), text: "shop.example.net/web timings: dns=0.0ms connect=0.2ms tls=0.0ms first_byte=0.0ms total=0.3ms")],
            attachments: [.init(name: "transcript-shop.example.net-web.txt",
                                content: "*   Trying 203.0.113.10:443...\n* connect to 203.0.113.10 port 443 failed: Connection refused\n")])
        var t = Ticket(id: "HW-12", draft: draft)
        t.addStep(.init(at: at(31), text: "blog.example.org/web joined"))
        t.addStep(.init(at: at(40), text: "evidence collected: 2 pieces, 0 KiB (transcript-shop.example.net-web.txt, system.txt)"))
        t.attachments.append(.init(name: "system.txt", content: "load: 0.52 0.40 0.33 (1, 5, 15 min); runnable/total: 1/311\n"))
        t.addStep(.init(at: at(600), actor: "ann", text: "acknowledged"))
        t.status = .acknowledged
        t.related = [.init(id: "HW-7", subject: "shop.example.net: site offline — HTTP: expected status 200, got 502 Bad Gateway",
                           openedAt: RFC3339.parse("2026-10-02T14:00:00Z")!, resolvedAt: RFC3339.parse("2026-10-02T14:20:00Z")!,
                           solution: "php-fpm pool exhausted; raised pm.max_children")]
        return t
    }

    @Test func aTicketReadsTopDownForThePersonOnCall() {
        let text = TicketFormat.full(Self.ticket(), now: Self.t0.addingTimeInterval(47 * 60))
        #expect(text == Self.golden, "\n\(text)")
    }

    @Test func aResolvedTicketWithoutASolutionAsksForOne() {
        var t = Self.ticket()
        t.resolve(at: Self.t0.addingTimeInterval(720), step: "recovered by itself after 12 min")
        let text = TicketFormat.full(t, now: Self.t0.addingTimeInterval(3600))
        #expect(text.contains("  down from 2026-11-25T03:02:11Z to 2026-11-25T03:14:11Z (12m); resolved\n"))
        #expect(text.contains("  none written yet; add what was done: hostwatch tickets resolve HW-12 --solution TEXT\n"))
    }

    @Test func theJSONFormIsTheStoredSchema() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.format(date))
        }
        let json = String(decoding: try encoder.encode(Self.ticket()), as: UTF8.self)
        for key in ["\"schema\":\"hostwatch.ticket\\/1\"", "\"around_the_clock\":true", "\"opened_at\":\"2026-11-25T03:02:41Z\"",
                    "\"since\":\"2026-11-25T03:02:11Z\"", "\"related\":[{", "\"solution\":\"php-fpm pool exhausted; raised pm.max_children\"",
                    "\"plan\":\"plus\"", "\"actor\":\"ann\""] {
            #expect(json.contains(key), "\(key) missing from \(json)")
        }
    }

    static let golden = """
    HW-12  CRITICAL · 24/7  site offline on 203.0.113.10:443/https (blog.example.org, shop.example.net): 2 of 2 checks down — HTTP: connect to 203.0.113.10:443 refused

    WHAT IS DOWN
      site-offline (cause: infrastructure) on web01 (203.0.113.10)
      down since 2026-11-25T03:02:11Z (47m, still down, acknowledged)
      ticket opened 2026-11-25T03:02:41Z, last change 2026-11-25T03:12:11Z

    WHOM IT HITS
      Shop Example GmbH (#2077)  [+Plus]
      Blog Owner (#1002)  [free]
      domains: shop.example.net, blog.example.org
      checks:  shop.example.net/web, blog.example.org/web

    WHERE TO LOOK FIRST
      last failure (2026-11-25T03:02:41Z): shop.example.net/web failed: HTTP: connect to 203.0.113.10:443 refused
      shop.example.net/web timings: dns=0.0ms connect=0.2ms tls=0.0ms first_byte=0.0ms total=0.3ms
      evidence below: transcript-shop.example.net-web.txt, system.txt

    WHAT HOSTWATCH SAW AND DID
      2026-11-25T03:02:11Z  hostwatch: shop.example.net/web failed: HTTP: connect to 203.0.113.10:443 refused
      2026-11-25T03:02:26Z  hostwatch: shop.example.net/web failed: HTTP: connect to 203.0.113.10:443 refused
      2026-11-25T03:02:41Z  hostwatch: shop.example.net/web failed: HTTP: connect to 203.0.113.10:443 refused
      2026-11-25T03:02:41Z  hostwatch: shop.example.net/web timings: dns=0.0ms connect=0.2ms tls=0.0ms first_byte=0.0ms total=0.3ms
      2026-11-25T03:02:42Z  hostwatch: blog.example.org/web joined
      2026-11-25T03:02:51Z  hostwatch: evidence collected: 2 pieces, 0 KiB (transcript-shop.example.net-web.txt, system.txt)
      2026-11-25T03:12:11Z  ann: acknowledged

    SOLUTION
      open: hostwatch tickets ack HW-12 · note HW-12 TEXT · resolve HW-12 --solution TEXT

    RELATED EARLIER TICKETS
      HW-7  2026-10-02T14:00:00Z → 2026-10-02T14:20:00Z  shop.example.net: site offline — HTTP: expected status 200, got 502 Bad Gateway; solution: php-fpm pool exhausted; raised pm.max_children

    key: endpoint:203.0.113.10:443/https

    --- attachment transcript-shop.example.net-web.txt (93 bytes) ---
    *   Trying 203.0.113.10:443...
    * connect to 203.0.113.10 port 443 failed: Connection refused

    --- attachment system.txt (59 bytes) ---
    load: 0.52 0.40 0.33 (1, 5, 15 min); runnable/total: 1/311

    """
}
