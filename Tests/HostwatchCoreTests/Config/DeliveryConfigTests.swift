import Testing
@testable import HostwatchCore

@Suite struct DeliveryConfigTests {
    func read(_ text: String) -> (AgentConfig?, [ConfigError]) {
        let document = JSON5Document.parse(text)
        let problems = ConfigReader.Problems()
        for d in document.diagnostics { problems.add(ConfigError(file: "a.json5", position: d.position, path: d.path, message: d.message)) }
        guard let root = document.root else { return (nil, problems.errors) }
        let config = AgentConfig.read(root, file: "a.json5", problems: problems) { $0 == "." ? "/etc/hostwatch" : ($0.hasPrefix("/") ? $0 : "/etc/hostwatch/" + $0) }
        return (config, problems.errors)
    }

    func agent(_ tickets: String, oncall: String = "") -> String {
        "{ server: { name: \"web01\", address: \"127.0.0.1\" }, tickets: \(tickets), \(oncall) }"
    }

    @Test func theDesignExampleReadsIntoThreeSinks() throws {
        let (config, errors) = read(agent("""
        { deliver: [
            { type: "email", to: ["support@example.net"], from: "hostwatch@web01.example.net",
              reply_to: "support@example.net", smtp: "smtp://127.0.0.1:25", tls: "starttls",
              user: "hostwatch", password_file: "smtp.pw", subject_prefix: "[hw]", helpdesk_tag: "\\\\[example #(\\\\d+)\\\\]" },
            { type: "rt", url: "https://rt.example.net/", queue: "Hosting-24x7", token_file: "rt.token",
              custom_fields: { fingerprint: "FP", domain: "Domain", severity: "Severity" }, resolve_status: "resolved" },
            { type: "webhook", url: "https://hooks.example.net/hostwatch", token_file: "/run/webhook.token", timeout: "3s" },
          ], retry: { first: "1s", max: "2m" }, warn_after: "10m" }
        """, oncall: "oncall: { email: [\"oncall@example.net\"] }"))
        #expect(errors.filter { !$0.isNotice }.isEmpty, "\(errors)")
        let delivery = try #require(config?.delivery)
        #expect(delivery.sinks.map(\.name) == ["email", "rt", "webhook"])
        #expect(delivery.retry == RetryPolicy(first: .seconds(1), maximum: .seconds(120), warnAfter: .seconds(600)))
        guard case .email(let email) = delivery.sinks[0], case .rt(let rt) = delivery.sinks[1], case .webhook(let hook) = delivery.sinks[2] else {
            Issue.record("wrong cases: \(delivery.sinks)")
            return
        }
        #expect(email.to == ["support@example.net"])
        #expect(email.oncall == ["oncall@example.net"])
        #expect(email.tls == .starttls)
        #expect(email.password?.value == "smtp.pw")
        #expect(email.password?.configFolder == "/etc/hostwatch")
        #expect(email.helpdeskTag == "\\[example #(\\d+)\\]")
        #expect(rt.url == "https://rt.example.net")
        #expect(rt.customFields.fingerprint == "FP")
        #expect(rt.token?.keyPath == "tickets.deliver[1].token_file")
        #expect(hook.timeout == .seconds(3))
        #expect(hook.token?.value == "/run/webhook.token")
    }

    /// Each row: one bad sink, and words its error must contain (with its key path).
    @Test(arguments: [
        ("{ type: \"pager\" }", "tickets.deliver[0].type: unknown sink type \"pager\""),
        ("{ url: \"http://127.0.0.1/\" }", "missing required key \"type\""),
        ("{ type: \"webhook\", url: \"ftp://127.0.0.1/\" }", "tickets.deliver[0].url: \"ftp://127.0.0.1/\" is not a URL"),
        ("{ type: \"webhook\", url: \"http://127.0.0.1:99999/\" }", "is not a port"),
        ("{ type: \"webhook\", url: \"http://user:pw@127.0.0.1/\" }", "credentials do not belong in the URL"),
        ("{ type: \"rt\", url: \"http://127.0.0.1/\", queue: \"Q\" }", "missing required key \"token_file\""),
        ("{ type: \"rt\", url: \"http://127.0.0.1/\", token_file: \"t\" }", "missing required key \"queue\""),
        ("{ type: \"rt\", url: \"http://127.0.0.1/\", queue: \"Q\", token_file: \"t\", custom_field: {} }", "unknown key \"custom_field\""),
        ("{ type: \"email\", to: [\"support\"], from: \"a@b.test\", smtp: \"smtp://127.0.0.1\" }", "\"support\" is not an e-mail address"),
        ("{ type: \"email\", to: [\"s@h.test\"], from: \"a@b.test\", smtp: \"http://127.0.0.1\" }", "is not a URL starting with smtp://"),
        ("{ type: \"email\", to: [\"s@h.test\"], from: \"a@b.test\", smtp: \"smtp://127.0.0.1\", user: \"u\", password_file: \"p\" }",
         "a password is sent only over TLS"),
        ("{ type: \"email\", to: [\"s@h.test\"], from: \"a@b.test\", smtp: \"smtp://127.0.0.1\", user: \"u\" }", "\"user\" and \"password_file\" go together"),
        ("{ type: \"email\", to: [\"s@h.test\"], from: \"a@b.test\", smtp: \"smtp://127.0.0.1\", helpdesk_tag: \"[unclosed\" }", "is not a regular expression"),
        ("{ type: \"email\", to: [\"s@h.test\"], from: \"a@b.test\", smtp: \"smtp://127.0.0.1\", tls: \"maybe\" }", "expected one of"),
    ])
    func aBadSinkIsReportedWithItsPath(sink: String, message: String) {
        let (config, errors) = read(agent("{ deliver: [\(sink)] }"))
        #expect(config == nil)
        #expect(errors.contains { $0.description.contains(message) }, "\(errors.map(\.description))")
    }

    @Test func twoSinksOfOneTypeNeedDistinctNames() {
        let hook = "{ type: \"webhook\", url: \"http://127.0.0.1/\" }"
        let (config, errors) = read(agent("{ deliver: [\(hook), \(hook)] }"))
        #expect(config == nil)
        #expect(errors.contains { $0.description.contains("a second sink named \"webhook\"") })
        let (named, none) = read(agent("{ deliver: [\(hook), { type: \"webhook\", name: \"backup\", url: \"http://127.0.0.1/\" }] }"))
        #expect(none.filter { !$0.isNotice }.isEmpty)
        #expect(named?.delivery.sinks.map(\.name) == ["webhook", "backup"])
    }

    @Test func noTicketsSectionMeansNoSinks() throws {
        let (config, errors) = read("{ server: { name: \"web01\", address: \"127.0.0.1\" } }")
        #expect(errors.isEmpty)
        #expect(try #require(config).delivery.sinks.isEmpty)
    }
}
