import Testing
@testable import HostwatchCore

@Suite struct RemediationConfigTests {
    func read(_ sections: String) -> (AgentConfig?, [String]) {
        let document = JSON5Document.parse("{ server: { name: \"w\", address: \"127.0.0.1\" },\n" + sections + " }")
        let problems = ConfigReader.Problems()
        let config = document.root.flatMap { AgentConfig.read($0, file: "a.json5", problems: problems, resolve: { $0 }) }
        return (config, problems.errors.map(\.description))
    }

    @Test func readsTheRuleAsDesignShowsIt() throws {
        let (config, problems) = read(#"""
        remediation: [{ when: { category: "site-offline", upstream: "unix:/run/php/php8.2-fpm.sock" },
                        run: ["sudo", "-n", "systemctl", "restart", "php8.2-fpm"], after: "2m", timeout: "30s" }],
        """#)
        #expect(problems.isEmpty, "\(problems)")
        let rule = try #require(config?.remediation.first)
        #expect(rule.name == "remediation[0]")
        #expect(rule.match == .init(category: .siteOffline, upstream: "unix:/run/php/php8.2-fpm.sock"))
        #expect(rule.run == ["sudo", "-n", "systemctl", "restart", "php8.2-fpm"])
        #expect(rule.after == .seconds(120) && rule.timeout == .seconds(30))
        #expect(rule.cooldown == .seconds(3600) && rule.maxPerHour == 3)
    }

    @Test func offUnlessConfigured() {
        #expect(read("").0?.remediation.isEmpty == true)
    }

    @Test(arguments: [
        (#"remediation: [{ when: { category: "site-down" }, run: ["true"] }],"#, "a.json5:2:35: remediation[0].when.category: expected one of"),
        (#"remediation: [{ when: { category: "site-offline" } }],"#, "remediation[0]: missing required key \"run\""),
        (#"remediation: [{ when: { category: "site-offline" }, run: [] }],"#, "remediation[0].run: a command is a non-empty list"),
        (#"remediation: [{ when: {}, run: ["true"] }],"#, "remediation[0].when: a rule needs at least one of"),
        (#"remediation: [{ when: { key: "x" }, run: ["true"], max_per_hour: 0 }],"#, "remediation[0].max_per_hour:"),
    ])
    func badRulesAreClearErrors(text: String, expected: String) {
        let (config, problems) = read(text)
        #expect(config == nil)
        #expect(problems.contains { $0.contains(expected) }, "\(problems)")
    }
}
