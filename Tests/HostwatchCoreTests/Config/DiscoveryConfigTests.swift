import Testing
@testable import HostwatchCore

@Suite struct DiscoveryConfigTests {
    func read(_ sections: String, server: String = #"name: "w", address: "127.0.0.1""#) -> (AgentConfig?, [String]) {
        let document = JSON5Document.parse("{ server: { \(server) },\n" + sections + " }")
        let problems = ConfigReader.Problems()
        let config = document.root.flatMap {
            AgentConfig.read($0, file: "a.json5", problems: problems, resolve: { $0.hasPrefix("/") ? $0 : "/etc/hostwatch/\($0)" })
        }
        return (config, problems.errors.map(\.description))
    }

    @Test func readsTheSectionAsDesignShowsIt() throws {
        let (config, problems) = read(#"""
        discovery: {
          every: "15m",
          nginx:   { command: ["nginx", "-T"] },
          apache:  { command: ["apache2ctl", "-S"] },
          postfix: { command: ["postconf"] },
          dovecot: { command: ["doveconf", "-n"] },
          nsd:     { config: "/etc/nsd/nsd.conf" },
          bind:    false,
          panel:   { kind: "cpanel", root: "/" },
          accounts_file: "accounts.tsv",
          plans: { "Premium*": "plus", "Basic": "free" },
          web:  { scheme: "auto", contains_domain: false },
          mail: true, dns: false,
        },
        """#, server: #"name: "web01", address: "203.0.113.10", mail_host: "mail.provider.test""#)
        #expect(problems.isEmpty, "\(problems)")
        let agent = try #require(config)
        let d = agent.discovery
        #expect(agent.discoveryConfigured)
        #expect(agent.server.mailHost == "mail.provider.test")
        #expect(d.every == .seconds(900))
        #expect(d.nginx == ["nginx", "-T"])
        #expect(d.bind == nil)
        #expect(d.panel == .cpanel)
        #expect(d.panelRoot == "/")
        #expect(d.accountsFile == "/etc/hostwatch/accounts.tsv")
        #expect(d.plans.plan(for: "Premium Gold") == .plus)
        #expect(d.webScheme == .auto)
        #expect(d.mail && !d.dns)
    }

    @Test func absentOrZeroEveryMeansOnlyTheCommand() throws {
        #expect(try #require(read("").0).discovery.every == nil)
        #expect(try #require(read(#"discovery: { every: "0" }"#).0).discovery.every == nil)
        #expect(try #require(read("discovery: { every: 0 }").0).discovery.every == nil)
    }

    @Test(arguments: [
        (#"discovery: { panel: { kind: "ispconfig" } }"#, "a.json5:2:29: discovery.panel.kind: expected one of \"cpanel\", \"directadmin\", \"plesk\", \"hestia\", \"virtualmin\", \"none\", found \"ispconfig\""),
        (#"discovery: { every: 15 }"#, "a.json5:2:21: discovery.every: expected a duration such as \"15s\", found 15"),
        (#"discovery: { plans: { "Gold*": "gold" } }"#, "a.json5:2:32: discovery.plans[\"Gold*\"]: expected \"free\" or \"plus\", found \"gold\""),
        (#"discovery: { nginx: { command: [] } }"#, "a.json5:2:32: discovery.nginx.command: the command is empty"),
        (#"discovery: { web: { scheme: "ftp" } }"#, "a.json5:2:29: discovery.web.scheme: expected \"auto\", \"https\" or \"http\", found \"ftp\""),
        (#"discovery: { nginks: {} }"#, "a.json5:2:14: discovery.nginks: unknown key \"nginks\"; did you mean \"nginx\"?"),
    ])
    func reportsProblemsWithTheirPlace(section: String, expected: String) {
        let (_, problems) = read(section)
        #expect(problems == [expected])
    }

    @Test func mailHostMustBeAHostName() {
        let (config, problems) = read("", server: #"name: "w", address: "127.0.0.1", mail_host: "not a name""#)
        #expect(config == nil)
        #expect(problems == ["a.json5:1:57: server.mail_host: \"not a name\" is not a host name"])
    }
}
