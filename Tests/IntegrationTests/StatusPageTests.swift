import Foundation
import HostwatchCore
import HostwatchIO
import Testing

/// The status page end to end: a real nginx on loopback serves two sites and the page itself,
/// the real `hostwatch run` writes the page, one site breaks and mends, and Debian's chromium
/// renders the page headless each time (DOM and screenshot), as a person opening it would see it.
@Suite(.serialized)
struct StatusPageTests {
    @Test func theRenderedPageShowsTheDownDomainWithItsTicketAndThenTheRecovery() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-status-page")
        defer { try? dir.remove() }
        let www = dir.appending("www")
        let address = freeLoopbackAddress(ports: [80])
        // The page is served the way the README's snippet serves it: a server block of its own.
        let nginx = try NginxServer(directory: dir.path, address: address, sites: [
            .init(domain: "shop.test"),
            .init(domain: "blog.test"),
            .init(domain: "status.test", extraServerConfig: "    location / { root \"\(www)\"; index index.html; }"),
        ])
        defer { nginx.shutdown() }
        try nginx.start()

        let checks = dir.appending("checks")
        try FileManager.default.createDirectory(atPath: checks, withIntermediateDirectories: true)
        try """
        {
          server: { name: "web-test", address: "\(address)" },
          state_dir: "state", checks: "checks",
          // A generous timeout: chromium starting beside the agent must not fail blog.test's run
          // (its bar must stay all green).
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "8s", failures: 2, recoveries: 2 },
          status_page: { dir: "www", public: false, interval: "1s" },
        }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        for (domain, account) in [("shop.test", "Shop Ltd (#1001)"), ("blog.test", "Blog Owner (#1002)")] {
            try """
            { domain: "\(domain)", account: "\(account)", web: { url: "http://\(domain)/", contains: "Welcome to \(domain)" } }
            """.write(toFile: checks + "/\(domain).json5", atomically: true, encoding: .utf8)
        }
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let validation = try binary.run(["validate", "--config", config])
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")

        var agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        let agentLog = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }
        let index = { (try? String(contentsOfFile: www + "/index.html", encoding: .utf8)) ?? "" }
        // Both sites up, each with observed time today (two results at least), so both bars have
        // a green day before the shop breaks: the outage picture must show blog.test's green.
        #expect(try await waitUntil(timeout: .seconds(15)) {
            let page = index()
            return page.contains("2 domains: 2 ok") && page.components(separatedBy: "<title>90d: 100%</title>").count == 3
        }, "\(index())\n\(agentLog())")

        let browser = HeadlessChromium(directory: dir.appending("chromium"), hosts: ["status.test": address])
        try FileManager.default.createDirectory(atPath: browser.directory, withIntermediateDirectories: true)

        // The shop breaks (its page no longer says what the check expects): a ticket opens.
        try "<h1>Down for maintenance</h1>".write(toFile: nginx.prefix + "/sites/shop.test/index.html", atomically: true, encoding: .utf8)
        var ticket: Ticket?
        #expect(try await waitUntil(timeout: .seconds(20)) {
            ticket = try binary.tickets(config: config).first { $0.domains == ["shop.test"] && $0.status == .open }
            return ticket.map { index().contains($0.id) } ?? false
        }, "\(index())\n\(agentLog())")
        let opened = try #require(ticket)

        let outage = try browser.render("http://status.test/", width: 1024, height: 768, name: "outage")
        #expect(outage.dom.contains("<a href=\"d/shop.test.html\">shop.test</a>"), "\(outage.dom)")
        #expect(outage.dom.contains(opened.id))
        #expect(outage.dom.contains(opened.category.rawValue))
        #expect(outage.dom.contains("down since"))
        #expect(outage.dom.contains("1 down"))
        // Green days (blog.test) and a red one (shop.test's today) in exactly the page's colours.
        let outagePicture = try HeadlessChromium.checkPicture(outage.screenshot, width: 1024, height: 768, colours: ["#2da44e", "#cf222e"])
        #expect(outagePicture == nil, "\(outagePicture ?? "")\n\(outage.dom)\n\(agentLog())")

        // The domain's own page: the check, its last result and the ticket, on a phone's width.
        let phone = try browser.render("http://status.test/d/shop.test.html", width: 390, height: 844, name: "domain")
        #expect(phone.dom.contains(opened.id))
        #expect(phone.dom.contains("Shop Ltd (#1001)"))
        #expect(phone.dom.contains("<title>"), "the day cells carry their figures")
        let phonePicture = try HeadlessChromium.checkPicture(phone.screenshot, width: 390, height: 844, colours: ["#cf222e"])
        #expect(phonePicture == nil, "\(phonePicture ?? "")\n\(phone.log)")

        // It mends: the ticket resolves and the page says so.
        try "<h1>Welcome to shop.test</h1>".write(toFile: nginx.prefix + "/sites/shop.test/index.html", atomically: true, encoding: .utf8)
        #expect(try await waitUntil(timeout: .seconds(20)) {
            index().contains("2 domains: 2 ok") && !index().contains(opened.id)
        }, "\(index())\n\(agentLog())")
        #expect(try binary.tickets(config: config).first { $0.id == opened.id }?.status == .resolved)
        let after = try browser.render("http://status.test/", width: 1024, height: 768, name: "recovered")
        #expect(!after.dom.contains(opened.id))
        #expect(after.dom.contains("2 ok, 0 failing, 0 down"))
        #expect(after.dom.contains("Open incidents</h2><p>None.</p>"))
        let afterPicture = try HeadlessChromium.checkPicture(after.screenshot, width: 1024, height: 768, colours: ["#2da44e"])
        #expect(afterPicture == nil, "\(afterPicture ?? "")\n\(after.log)")

        // The uptime survives the agent: `status --json` reads what it saved when it stopped.
        #expect(agent.terminate() == 0)
        let status = try binary.run(["status", "--json", "--config", config])
        #expect(status.status == 0, "\(status.stderr)")
        let snapshot = try FileTicketStore.decoder.decode(StatusSnapshot.self, from: Data(status.stdout.utf8))
        let shop = try #require(snapshot.checks.first { $0.check == "shop.test/web" })
        let blog = try #require(snapshot.checks.first { $0.check == "blog.test/web" })
        #expect(try #require(shop.uptime24h) < 1)
        #expect(blog.uptime24h == 1)
        #expect(shop.uptime90d != nil && blog.uptime30d == 1)

        // A restart keeps the history: the page written by the new agent still shows the bad day.
        agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent2.log"))
        try FileManager.default.removeItem(atPath: www + "/d/shop.test.html")
        let shopPage = { (try? String(contentsOfFile: www + "/d/shop.test.html", encoding: .utf8)) ?? "" }
        #expect(try await waitUntil(timeout: .seconds(15)) { shopPage().contains("class=\"u3\"") }, "\(shopPage())")
    }
}

/// Disk growth samples survive a restart of the real agent: what the first run measured is still
/// in `disk-growth.json` after the second, so time to full does not start over.
@Suite struct DiskGrowthRestartTests {
    @Test func theSecondAgentKeepsTheFirstAgentsSamples() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-disk-growth")
        defer { try? dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        // Limits nobody reaches: the test is about the samples, not a ticket.
        try """
        { server: { name: "disk-test", address: "127.0.0.1" }, state_dir: "state", checks: "checks",
          disks: [{ mount: "/", interval: "1s", warning: { used_percent: 100, inodes_percent: 100 },
                    critical: { used_percent: 100, inodes_percent: 100 } }] }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let file = dir.appending("state/disk-growth.json")
        struct Saved: Decodable { var mounts: [String: [[Double]]] }
        let samples = { () -> [[Double]] in
            guard let data = FileManager.default.contents(atPath: file),
                  let saved = try? JSONDecoder().decode(Saved.self, from: data) else { return [] }
            return saved.mounts["/"] ?? []
        }

        var counts: [Int] = []
        for round in 1...2 {
            let log = dir.appending("agent\(round).log")
            let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--verbose", "--config", config], logFile: log)
            let results = { String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
                .components(separatedBy: "event=check.ok check=disk-test/disk[0]").count - 1 }
            // Three results of the disk check, then a clean stop, which saves the samples.
            #expect(try await waitUntil(timeout: .seconds(15)) { results() >= 3 }, "\(results()) results")
            #expect(agent.terminate() == 0)
            counts.append(samples().count)
        }
        let kept = samples().compactMap(\.first)
        #expect(counts[0] >= 3, "\(counts)")
        #expect(counts[1] >= counts[0] + 3, "the second run added to the first run's samples: \(counts)")
        #expect(kept == kept.sorted())
    }
}
