import Testing
@testable import HostwatchCore

@Suite struct DNSCheckConfigTests {
    func read(_ text: String) -> (DomainConfig?, [String]) {
        let document = JSON5Document.parse(text)
        let problems = ConfigReader.Problems()
        guard let root = document.root else { return (nil, document.diagnostics.map(\.message)) }
        let config = DomainConfig.read(root, file: "d.json5", defaults: AgentConfig.Defaults(), problems: problems)
        return (config, problems.errors.filter { !$0.isNotice }.map(\.description))
    }

    func dns(_ config: DomainConfig?) -> DNSCheck.Configuration? {
        for case .dns(let c) in config?.checks ?? [] { return c }
        return nil
    }

    @Test func readsTheContractExample() throws {
        let (config, errors) = read(#"""
        { domain: "example.org", web: { url: "https://example.org/" },
          dns: { nameservers: [{ name: "ns1.example.net", address: "203.0.113.53" }, "203.0.113.54", { address: "::1", port: 5353 }],
                 expect: { A: ["203.0.113.10"], AAAA: ["2001:DB8::10"], MX: ["10 mail.example.org."], NS: ["ns1.example.net", "ns2.example.net."],
                           TXT: ["v=spf1"], CAA: ["0 issue \"letsencrypt.org\""], CNAME: [] },
                 timeout: "2s" } }
        """#)
        #expect(errors.isEmpty, "\(errors)")
        let c = try #require(dns(config))
        #expect(c.nameservers.map(\.description) == ["ns1.example.net. (203.0.113.53)", "203.0.113.54", "[::1]:5353"])
        #expect(c.expect[.a] == .exactly([.a(IPAddress("203.0.113.10")!)]))
        #expect(c.expect[.aaaa] == .exactly([.aaaa(IPAddress("2001:db8::10")!)]))
        #expect(c.expect[.mx] == .exactly([.mx(preference: 10, exchange: try DNSName("mail.example.org"))]))
        #expect(c.expect[.ns] == .exactly([.ns(try DNSName("ns1.example.net")), .ns(try DNSName("ns2.example.net"))]))
        #expect(c.expect[.txt] == .contains(["v=spf1"]))
        #expect(c.expect[.caa] == .exactly([.caa(flags: 0, tag: "issue", value: Array("letsencrypt.org".utf8))]))
        #expect(c.expect[.cname] == .exactly([]))
        #expect(c.pointsHere)
        #expect(c.timing.timeout == .seconds(2))
        #expect(config?.checks.map(\.kind) == ["web", "dns"])
    }

    @Test(arguments: [
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"] } }"#, false),
        (#"{ domain: "a.test", web: { url: "http://a.test/" }, dns: { nameservers: ["127.0.0.1"] } }"#, true),
        (#"{ domain: "a.test", smtp: { port: 25 }, dns: { nameservers: ["127.0.0.1"] } }"#, true),
        (#"{ domain: "a.test", web: { url: "http://a.test/" }, dns: { nameservers: ["127.0.0.1"], points_here: false } }"#, false),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"], points_here: true } }"#, true),
    ])
    func pointsHereDefaultsOnWhenTheDomainHasAWebOrMailCheck(text: String, pointsHere: Bool) {
        #expect(dns(read(text).0)?.pointsHere == pointsHere)
    }

    /// One row per rule: the text and the exact error line.
    @Test(arguments: [
        (#"{ domain: "a.test", dns: { nameservers: ["ns1.a.test"] } }"#,
         #"d.json5:1:42: dns.nameservers[0]: "ns1.a.test" is not an IP address (nameservers are given by address: hostwatch never resolves names)"#),
        (#"{ domain: "a.test", dns: { nameservers: [{ name: "ns1.a.test" }] } }"#,
         #"d.json5:1:42: dns.nameservers[0]: missing required key "address""#),
        (#"{ domain: "a.test", dns: { nameservers: [{ name: "a..b", address: "127.0.0.1" }] } }"#,
         #"d.json5:1:50: dns.nameservers[0].name: "a..b" is not a domain name: "a..b" has an empty label"#),
        (#"{ domain: "a.test", dns: { nameservers: [{ address: "127.0.0.1", port: 0 }] } }"#,
         #"d.json5:1:72: dns.nameservers[0].port: 0 is out of range (1…65535)"#),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1", "127.0.0.1"] } }"#,
         #"d.json5:1:55: dns.nameservers[1]: 127.0.0.1:53 is listed twice"#),
        (#"{ domain: "a.test", dns: { nameservers: [] } }"#, #"d.json5:1:41: dns.nameservers: list at least one nameserver"#),
        (#"{ domain: "a.test", dns: { } }"#, #"d.json5:1:26: dns: missing required key "nameservers""#),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"], expect: { A: ["::1"] } } }"#,
         #"d.json5:1:70: dns.expect.A[0]: "::1" is not an IPv4 address"#),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"], expect: { MX: ["mail.a.test"] } } }"#,
         #"d.json5:1:71: dns.expect.MX[0]: "mail.a.test" is not an MX record (write "10 mail.example.org.")"#),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"], expect: { MX: "10 mail.a.test" } } }"#,
         #"d.json5:1:70: dns.expect.MX: expected a list, found "10 mail.a.test""#),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"], expect: { SRV: ["x"] } } }"#,
         #"d.json5:1:66: dns.expect.SRV: unknown key "SRV""#),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"], expect: { Mx: ["10 m.a.test"] } } }"#,
         #"d.json5:1:66: dns.expect.Mx: unknown key "Mx"; did you mean "MX"?"#),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"], points_here: "yes" } }"#,
         #"d.json5:1:69: dns.points_here: expected true or false, found "yes""#),
        (#"{ domain: "a.test", dns: { nameservers: ["127.0.0.1"], nameserver: [] } }"#,
         #"d.json5:1:56: dns.nameserver: unknown key "nameserver"; did you mean "nameservers"?"#),
    ])
    func everyRuleNamesThePlaceTheKeyAndTheValue(text: String, expected: String) {
        let (_, errors) = read(text)
        #expect(errors.contains(expected), "\(errors)")
    }
}

@Suite struct DiskCheckConfigTests {
    func read(_ text: String) -> (AgentConfig?, [String]) {
        let document = JSON5Document.parse(text)
        let problems = ConfigReader.Problems()
        let config = document.root.flatMap { AgentConfig.read($0, file: "a.json5", problems: problems, resolve: { $0 }) }
        return (config, problems.errors.filter { !$0.isNotice }.map(\.description))
    }

    @Test func readsTheContractExample() throws {
        let (config, errors) = read(#"""
        { server: { name: "web01", address: "203.0.113.10" },
          disks: [{ mount: "/",
                    warning:  { used_percent: 85, inodes_percent: 85, full_within: "24h" },
                    critical: { used_percent: 95.5, inodes_percent: 95, free_bytes: "1GB", full_within: "1h" } },
                  { mount: "/var/mail", warning: { used_percent: 70 }, growth_window: "6h", interval: "5m" }] }
        """#)
        #expect(errors.isEmpty, "\(errors)")
        let disks = try #require(config?.disks)
        #expect(disks.count == 2)
        #expect(disks[0].critical == DiskCheck.Limits(usedPercent: 95.5, inodesPercent: 95, freeBytes: 1_000_000_000, fullWithin: .seconds(3600)))
        #expect(disks[0].warning == .warningDefaults)
        // Limits left out keep their defaults.
        #expect(disks[1].warning == DiskCheck.Limits(usedPercent: 70, inodesPercent: 85, fullWithin: .seconds(86_400)))
        #expect(disks[1].critical == .criticalDefaults)
        #expect(disks[1].growthWindow == .seconds(6 * 3600))
        #expect(disks[1].timing.interval == .seconds(300))
    }

    @Test(arguments: [
        (#"{ server: { name: "w", address: "127.0.0.1" }, disks: [{ mount: "var" }] }"#,
         #"a.json5:1:65: disks[0].mount: "var" is not an absolute path without . or .."#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, disks: [{ mount: "/", warning: { used_percent: 101 } }] }"#,
         #"a.json5:1:95: disks[0].warning.used_percent: 101 is out of range (0…100)"#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, disks: [{ mount: "/", critical: { used_percent: "95%" } }] }"#,
         #"a.json5:1:96: disks[0].critical.used_percent: expected a percentage such as 90, found "95%""#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, disks: [{ mount: "/", critical: { full_within: 3600 } }] }"#,
         #"a.json5:1:95: disks[0].critical.full_within: expected a duration such as "15s", found 3600"#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, disks: [{ mount: "/", critical: { free: "1GB" } }] }"#,
         #"a.json5:1:82: disks[0].critical.free: unknown key "free""#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, disks: [{ mount: "/" }, { mount: "//" }] }"#,
         #"a.json5:1:72: disks[1]: "//" is listed twice"#),
        (#"{ server: { name: "w", address: "127.0.0.1" }, disks: [{ }] }"#, #"a.json5:1:56: disks[0]: missing required key "mount""#),
    ])
    func everyRuleNamesThePlaceTheKeyAndTheValue(text: String, expected: String) {
        #expect(read(text).1.contains(expected), "\(read(text).1)")
    }
}
