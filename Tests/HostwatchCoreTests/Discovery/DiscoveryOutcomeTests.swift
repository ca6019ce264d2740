import HostwatchCore
import Testing

@Suite struct DiscoveryOutcomeTests {
    func reading(_ source: String, _ names: [String], service: DiscoveredSite.Service = .web) -> SourceReading {
        var reading = SourceReading(source: source)
        reading.sites = names.map { DiscoveredSite(name: $0, service: service) }
        return reading
    }

    let server = AgentConfig.Server(name: "web01.lab.test", address: "127.0.0.1")

    @Test func aFailedSourceRemovesNothing() {
        let outcome = DiscoveryOutcome(readings: [reading("nginx", ["a.test"])], accounts: nil, settings: DiscoverySettings(), server: server,
                                       existing: ["a.test": "x", "b.test": "y"], handWritten: [], failedSources: ["apache"])
        #expect(outcome.gone == [])
        #expect(outcome.keptForFailedSources == ["a.test", "b.test"], "a.test would change, b.test go: both stay")
        #expect(!outcome.holdsBack)
    }

    @Test func aFileThatWouldChangeWhileASourceFailsIsKept() throws {
        let outcome = DiscoveryOutcome(readings: [reading("postfix", ["a.test", "n.test"], service: .mail)], accounts: nil,
                                       settings: DiscoverySettings(), server: server,
                                       existing: ["a.test": "web and mail"], handWritten: [], failedSources: ["nginx"])
        let a = try #require(outcome.entries.first { $0.domain.domain == "a.test" })
        #expect(a.change == .changed && a.keptForFailedSources && !a.writes)
        #expect(try #require(outcome.entries.first { $0.domain.domain == "n.test" }).writes, "new domains are still added")
        #expect(outcome.keptForFailedSources == ["a.test"])
    }

    @Test func dropsOverTwentyPercentAreHeldBack() {
        let existing = Dictionary(uniqueKeysWithValues: (0..<10).map { ("s\($0).test", "x") })
        let two = DiscoveryOutcome(readings: [reading("nginx", (0..<8).map { "s\($0).test" })], accounts: nil, settings: DiscoverySettings(),
                                   server: server, existing: existing, handWritten: [], failedSources: [])
        #expect(two.gone == ["s8.test", "s9.test"])
        #expect(!two.holdsBack, "20 % exactly is not more than 20 %")
        let three = DiscoveryOutcome(readings: [reading("nginx", (0..<7).map { "s\($0).test" })], accounts: nil, settings: DiscoverySettings(),
                                     server: server, existing: existing, handWritten: [], failedSources: [])
        #expect(three.holdsBack)
    }

    @Test func theConfiguredMailHostWinsAndIsNotWrittenIntoFiles() throws {
        var postfix = reading("postfix", ["a.test"], service: .mail)
        postfix.hostNames = ["mx.lab.test"]
        postfix.mail.hostName = "mx.lab.test"
        postfix.mail.endpoints = [.init(kind: "smtp", address: nil, port: 25, tls: .starttls)]
        let discovered = DiscoveryOutcome(readings: [postfix], accounts: nil, settings: DiscoverySettings(), server: server,
                                          existing: [:], handWritten: [], failedSources: [])
        #expect(discovered.mailHost == "mx.lab.test")
        #expect(try #require(discovered.entries.first).file.text.contains("host: \"mx.lab.test\""))
        var shared = server
        shared.mailHost = "mail.provider.test"
        let configured = DiscoveryOutcome(readings: [postfix], accounts: nil, settings: DiscoverySettings(), server: shared,
                                          existing: [:], handWritten: [], failedSources: [])
        #expect(configured.mailHost == "mail.provider.test")
        #expect(try !#require(configured.entries.first).file.text.contains("host:"))
    }

    @Test func theServersOwnNameIsNotADomain() {
        let outcome = DiscoveryOutcome(readings: [reading("nginx", ["web01.lab.test", "a.test"])], accounts: nil, settings: DiscoverySettings(),
                                       server: server, existing: [:], handWritten: [], failedSources: [])
        #expect(outcome.entries.map(\.domain.domain) == ["a.test"])
    }
}
