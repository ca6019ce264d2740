import Testing
@testable import HostwatchCore

@Suite struct AgentConfigSelfMonitoringTests {
    func read(_ sections: String) -> (AgentConfig?, [String]) {
        let document = JSON5Document.parse(#"{ server: { name: "w", address: "127.0.0.1" }, "# + sections + " }")
        let problems = ConfigReader.Problems()
        let config = document.root.flatMap {
            AgentConfig.read($0, file: "a.json5", problems: problems, resolve: { $0.hasPrefix("/") ? $0 : "/etc/hostwatch/\($0)" })
        }
        return (config, problems.errors.map(\.description))
    }

    @Test func readsHeartbeatAndMetricsWithoutNotices() throws {
        let (config, problems) = read(#"""
        heartbeat: { url: "https://hc.example.net/ping/0b7e-secret", every: "30s", timeout: "5s", address: "203.0.113.7" },
        metrics: { textfile: "/var/lib/prometheus/node-exporter/hostwatch.prom", every: "20s" },
        """#)
        #expect(problems.isEmpty, "\(problems)")
        let agent = try #require(config)
        let heartbeat = try #require(agent.heartbeat)
        #expect(heartbeat.url == "https://hc.example.net/ping/0b7e-secret")
        #expect(heartbeat.every == .seconds(30))
        #expect(heartbeat.timeout == .seconds(5))
        #expect(heartbeat.address == "203.0.113.7")
        #expect(heartbeat.target == "https://hc.example.net:443")
        #expect(agent.metrics == AgentConfig.Metrics(textfile: "/var/lib/prometheus/node-exporter/hostwatch.prom", every: .seconds(20)))
    }

    @Test func defaultsAndRelativePaths() throws {
        let (config, problems) = read(#"heartbeat: { url: "http://127.0.0.1:9/ping" }, metrics: { textfile: "metrics/hostwatch.prom" }"#)
        #expect(problems.isEmpty, "\(problems)")
        let agent = try #require(config)
        #expect(agent.heartbeat?.every == .seconds(60))
        #expect(agent.heartbeat?.timeout == .seconds(10))
        #expect(agent.heartbeat?.target == "http://127.0.0.1:9")
        #expect(agent.metrics?.textfile == "/etc/hostwatch/metrics/hostwatch.prom")
        #expect(agent.metrics?.every == .seconds(15))
    }

    @Test func neitherIsOnWhenAbsent() throws {
        let agent = try #require(read("").0)
        #expect(agent.heartbeat == nil)
        #expect(agent.metrics == nil)
    }

    @Test(arguments: [
        (#"heartbeat: { url: "ftp://hc.example.net/ping/secret-uuid" }"#,
         #"a.json5:1:66: heartbeat.url: expected an http:// or https:// URL, found "ftp://…""#),
        (#"heartbeat: { url: "https://hc.example.net/p", every: 60 }"#,
         #"a.json5:1:101: heartbeat.every: expected a duration such as "15s", found 60"#),
        (#"heartbeat: { every: "1m" }"#, #"a.json5:1:59: heartbeat: missing required key "url""#),
        (#"heartbeat: { url: "https://hc.example.net/p", address: "hc.example.net" }"#,
         #"a.json5:1:103: heartbeat.address: "hc.example.net" is not an IP address"#),
        (#"heartbeat: { url: "https://hc.example.net/p", evry: "1m" }"#,
         #"a.json5:1:94: heartbeat.evry: unknown key "evry"; did you mean "every"?"#),
        (#"metrics: { textfile: "/tmp/hostwatch.txt" }"#,
         #"a.json5:1:69: metrics.textfile: "/tmp/hostwatch.txt" does not end in .prom (node_exporter reads only *.prom files)"#),
        (#"metrics: { every: "10s" }"#, #"a.json5:1:57: metrics: missing required key "textfile""#),
        (#"metrics: { textfile: "a.prom", every: "500ms" }"#,
         #"a.json5:1:86: metrics.every: "500ms" is shorter than the minimum 1s"#),
    ])
    func errorsNameThePlaceAndNeverEchoTheSecretURL(text: String, expected: String) {
        let problems = read(text).1
        #expect(problems.contains(expected), "\(problems)")
        #expect(!problems.joined().contains("secret-uuid"))
    }
}
