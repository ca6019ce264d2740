import Testing
@testable import HostwatchCore

@Suite struct DomainConfigTests {
    func read(_ text: String) -> (DomainConfig?, [String]) {
        let document = JSON5Document.parse(text)
        let problems = ConfigReader.Problems()
        for d in document.diagnostics { problems.add(ConfigError(file: "d.json5", position: d.position, path: d.path, message: d.message)) }
        guard let root = document.root else { return (nil, problems.errors.map(\.description)) }
        let config = DomainConfig.read(root, file: "d.json5", defaults: AgentConfig.Defaults(), problems: problems)
        return (config, problems.errors.map(\.description))
    }

    @Test func readsADomainWithOneWebCheckAndItsDefaults() throws {
        let (config, errors) = read(#"{ domain: "example.org", account: "Ex (#1)", plan: "plus", web: { url: "https://example.org/", expect_status: [200, 301], contains: "Ex", forbids: ["hacked by"], interval: "30s" } }"#)
        #expect(errors.isEmpty)
        let domain = try #require(config)
        #expect(domain.plan == .plus)
        guard case .web(let web, let index) = try #require(domain.checks.first) else { return }
        #expect(index == nil)
        #expect(web.expectStatus == [200, 301])
        #expect(web.forbids == ["hacked by"])
        #expect(web.timing.interval == .seconds(30))
        #expect(web.timing.retryInterval == .seconds(15))
        #expect(web.timing.failures == 3)
        #expect(web.certWarningDays == 14)
    }

    @Test func aListOfWebChecksIsIndexed() throws {
        let (config, errors) = read(#"{ domain: "a.test", web: [{ url: "http://a.test/" }, { url: "https://a.test/x", address: "127.0.0.2" }] }"#)
        #expect(errors.isEmpty)
        #expect(config?.checks.map(\.index) == [0, 1])
        #expect(config?.account == "a.test")
        #expect(config?.plan == .free)
    }

    /// One row per rule: the text, and the exact error line it must produce.
    @Test(arguments: [
        (#"{ domain: "a.test", web: { url: "http://a.test/", expect_status: [200, "ok"] } }"#,
         #"d.json5:1:72: web.expect_status[1]: expected a number, found "ok""#),
        (#"{ domain: "a.test", web: { url: "http://a.test/", expect_satus: [200] } }"#,
         #"d.json5:1:51: web.expect_satus: unknown key "expect_satus"; did you mean "expect_status"?"#),
        (#"{ domain: "a.test", web: { url: "http://a.test/", interval: 60 } }"#,
         #"d.json5:1:61: web.interval: expected a duration such as "15s", found 60"#),
        (#"{ domain: "a.test", web: { url: "http://a.test/", timeout: "10 seconds" } }"#,
         #"d.json5:1:60: web.timeout: "10 seconds" is not a duration (use ms, s, m, h, d: "500ms", "15s", "1h30m")"#),
        (#"{ domain: "a.test", web: { url: "ftp://a.test/" } }"#,
         #"d.json5:1:33: web.url: expected an http:// or https:// URL, found "ftp://a.test/""#),
        (#"{ domain: "a.test", web: { } }"#, #"d.json5:1:26: web: missing required key "url""#),
        (#"{ web: { url: "http://a.test/" } }"#, #"d.json5:1:1: missing required key "domain""#),
        (#"{ domain: "a.test", plan: "gold" }"#, #"d.json5:1:27: plan: expected "free" or "plus", found "gold""#),
        (#"{ domain: "a..test" }"#, #"d.json5:1:11: domain: "a..test" is not a domain name"#),
        (#"{ domain: "a.test", web: { url: "http://a.test/", address: "web.example.net" } }"#,
         #"d.json5:1:60: web.address: "web.example.net" is not an IP address"#),
        (#"{ domain: "a.test", web: { url: "http://a.test/", failures: 1.5 } }"#,
         #"d.json5:1:61: web.failures: expected a whole number, found 1.5"#),
        (#"{ domain: "a.test", domain: "b.test" }"#, #"d.json5:1:21: domain: duplicate key "domain" (first at 1:3)"#),
        (#"{ domain: "a.test", web: [{ url: "http://a.test/" }, "x"] }"#, #"d.json5:1:54: web[1]: expected an object, found "x""#),
    ])
    func everyRuleNamesThePlaceTheKeyAndTheValue(text: String, expected: String) {
        let (_, errors) = read(text)
        #expect(errors.contains(expected), "\(errors)")
    }

    @Test func everyErrorIsReportedNotJustTheFirst() {
        let (config, errors) = read(#"{ domain: "a.test", plan: "x", web: { url: "ftp://a/", interval: 5, bogus: 1 } }"#)
        #expect(config == nil)
        #expect(errors.count == 4, "\(errors)")
    }
}

@Suite struct AgentConfigTests {
    func read(_ text: String) -> (AgentConfig?, [String]) {
        let document = JSON5Document.parse(text)
        let problems = ConfigReader.Problems()
        let config = document.root.flatMap { AgentConfig.read($0, file: "a.json5", problems: problems, resolve: { $0.hasPrefix("/") ? $0 : "/etc/hostwatch/\($0)" }) }
        return (config, problems.errors.filter { !$0.isNotice }.map(\.description))
    }

    @Test func readsTheContractKeysAndResolvesPaths() throws {
        let (config, errors) = read(#"""
        { server: { name: "web01", address: "203.0.113.10" }, state_dir: "/var/lib/hostwatch", checks: "checks",
          tls: { ca_file: "/etc/ssl/certs/ca-certificates.crt" },
          defaults: { interval: "60s", timeout: "10s", retry_interval: "15s", failures: 3, recoveries: 2, cert_warning_days: 21 },
          limits: { in_flight: 128, body_bytes: "2KiB", evidence_bytes: "1MiB", keep_connections: 0 } }
        """#)
        #expect(errors.isEmpty)
        let agent = try #require(config)
        #expect(agent.limits.keepConnections == 0)
        #expect(AgentConfig.Limits().keepConnections == 1000)
        #expect(agent.server.address == "203.0.113.10")
        #expect(agent.checksDir == "/etc/hostwatch/checks")
        #expect(agent.defaults.certWarningDays == 21)
        #expect(agent.limits.inFlight == 128)
        #expect(agent.limits.bodyBytes == 2048)
    }

    @Test(arguments: [
        (#"{ server: { name: "w", address: "localhost" } }"#,
         #"a.json5:1:33: server.address: "localhost" is not an IP address (hostwatch never resolves names through the system resolver)"#),
        (#"{ server: { name: "w", address: "::1" }, limits: { body_bytes: "lots" } }"#,
         #"a.json5:1:64: limits.body_bytes: "lots" is not a size (a number of bytes, or with KB, MB, GB, KiB, MiB, GiB)"#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, defaults: { recoveries: 0 } }"#,
         #"a.json5:1:72: defaults.recoveries: 0 is out of range (1…100)"#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, sever: {} }"#,
         #"a.json5:1:48: sever: unknown key "sever"; did you mean "server"?"#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, limits: { keep_connections: -1 } }"#,
         #"a.json5:1:76: limits.keep_connections: -1 is out of range (0…100000)"#),
        (#"{ }"#, #"a.json5:1:1: missing required key "server""#),
    ])
    func agentFileErrorsNameThePlace(text: String, expected: String) {
        #expect(read(text).1.contains(expected), "\(read(text).1)")
    }

    @Test func readsTheIncidentsSectionAndMaintenanceWindows() throws {
        let (config, errors) = read(#"""
        { server: { name: "w", address: "127.0.0.1" },
          incidents: { k_of_n: [4, 6], flap_window: "20m", flap_changes: 6, storm: { max_tickets: 5, within: "5m" },
                       reopen_within: "2h", remind_every: "1h",
                       policy: { "site-offline": { application: { free: "critical" } }, dns: { infrastructure: { plus: "critical" } } } },
          maintenance: [{ target: "server", start: "2026-12-01T02:00:00Z", duration: "1h", reason: "kernel update" },
                        { target: "endpoint:127.0.0.1:443", start: "2026-12-02T02:00:00Z", duration: "30m" }] }
        """#)
        #expect(errors.isEmpty, "\(errors)")
        let agent = try #require(config)
        #expect(agent.incidents.kOfN == Debounce.KOfN(k: 4, n: 6))
        #expect(agent.incidents.flapWindow == .seconds(1200))
        #expect(agent.incidents.flapChanges == 6)
        #expect(agent.incidents.stormMaxTickets == 5)
        #expect(agent.incidents.stormWithin == .seconds(300))
        #expect(agent.incidents.reopenWithin == .seconds(7200))
        #expect(agent.incidents.remindEvery == .seconds(3600))
        #expect(agent.incidents.policy.rows[.siteOffline]?[.application] == .init(free: .critical, plus: .critical))
        #expect(agent.incidents.policy.rows[.dns]?[.infrastructure] == .init(free: .warning, plus: .critical))
        #expect(agent.maintenance.map(\.target) == [.server, .endpoint("127.0.0.1:443")])
        #expect(agent.maintenance.first?.end == RFC3339.parse("2026-12-01T03:00:00Z"))
        #expect(agent.maintenance.first?.id == "maintenance[0]")
    }

    @Test(arguments: [
        (#"{ server: { name: "w", address: "127.0.0.1" }, incidents: { k_of_n: [5, 3] } }"#,
         #"a.json5:1:69: incidents.k_of_n: expected [k, n] with k ≤ n, such as [3, 5]"#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, incidents: { policy: { "site-down": {} } } }"#,
         #"a.json5:1:84: incidents.policy["site-down"]: unknown category "site-down" (one of: server-down, site-offline, security, email-down, dns, disk, certificate)"#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, incidents: { policy: { dns: { infrastructure: { free: "high" } } } } }"#,
         #"a.json5:1:102: incidents.policy.dns.infrastructure.free: expected "warning" or "critical", found "high""#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, maintenance: [{ target: "the server", start: "2026-12-01T02:00:00Z", duration: "1h" }] }"#,
         #"a.json5:1:72: maintenance[0].target: expected a domain, endpoint:ADDRESS:PORT, server or all, found "the server""#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, maintenance: [{ target: "server", start: "tomorrow", duration: "1h" }] }"#,
         #"a.json5:1:89: maintenance[0].start: expected an RFC 3339 time such as "2026-12-01T02:00:00Z", found "tomorrow""#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, maintenance: [{ target: "server", start: "2026-12-01T02:00:00Z" }] }"#,
         #"a.json5:1:62: maintenance[0]: missing required key "duration""#),
    ])
    func incidentAndMaintenanceErrorsNameThePlace(text: String, expected: String) {
        #expect(read(text).1.contains(expected), "\(read(text).1)")
    }

    @Test(arguments: [("127.0.0.1", true), ("203.0.113.10", true), ("::1", true), ("2001:db8::10", true),
                      ("::ffff:127.0.0.1", true), ("256.1.1.1", false), ("1.2.3", false), ("example.net", false),
                      ("1::2::3", false), ("", false)])
    func recognisesAddressLiterals(text: String, isLiteral: Bool) {
        #expect((IPAddress(text) != nil) == isLiteral)
    }
}
