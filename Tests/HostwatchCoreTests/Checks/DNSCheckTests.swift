import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct DNSCheckTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let id = CheckID(target: "example.org", kind: "dns")
    let zone = try! DNSName("example.org")
    let ns1 = DNSServer(address: "203.0.113.53")
    let ns2 = DNSServer(address: "203.0.113.54")
    let here = IPAddress("203.0.113.10")!

    func name(_ text: String) -> DNSName { try! DNSName(text) }

    /// The zone as a healthy server holds it; `change` edits one copy.
    func records(serial: UInt32 = 2024010101, a: String = "203.0.113.10", ns: [String] = ["ns1.example.net", "ns2.example.net"],
                 mx: String = "mail.example.org", txt: String = "v=spf1 mx -all") -> [DNSRecord] {
        [DNSRecord(name: zone, data: .soa(DNSSOA(primary: name("ns1.example.net"), responsible: name("hostmaster.example.org"), serial: serial))),
         DNSRecord(name: zone, data: .a(IPAddress(a)!)),
         DNSRecord(name: zone, data: .mx(preference: 10, exchange: name(mx))),
         DNSRecord(name: zone, data: .txt([Array(txt.utf8)]))]
            + ns.map { DNSRecord(name: zone, data: .ns(name($0))) }
    }

    func configuration(pointsHere: Bool = true, named: Bool = true) -> DNSCheck.Configuration {
        DNSCheck.Configuration(
            nameservers: [.init(name: named ? name("ns1.example.net") : nil, server: ns1),
                          .init(name: named ? name("ns2.example.net") : nil, server: ns2)],
            expect: [.a: .exactly([.a(here)]), .mx: .exactly([.mx(preference: 10, exchange: name("mail.example.org"))]),
                     .txt: .contains(["v=spf1"])],
            pointsHere: pointsHere, timing: CheckTiming(timeout: .seconds(2)))
    }

    func run(_ transport: StubDNSTransport, _ configuration: DNSCheck.Configuration? = nil, domain: DNSName? = nil,
             serverAddress: IPAddress? = nil) async -> Observation {
        let check = DNSCheck(id: id, domain: domain ?? zone, configuration: configuration ?? self.configuration(),
                             serverAddress: serverAddress ?? here, transport: transport)
        return await check.run(now: now)
    }

    @Test func healthyServersPassAndTheTranscriptShowsWhoAnsweredWhat() async {
        let stub = StubDNSTransport(servers: [ns1: records(), ns2: records()])
        let o = await run(stub)
        #expect(o.outcome == .ok, "\(o.summary)")
        #expect(o.summary.hasPrefix("2 nameservers answer with authority, serial 2024010101"))
        let text = o.transcript.text
        #expect(text.contains("* nameserver ns1.example.net. 203.0.113.53:53"))
        #expect(text.contains("* nameserver ns2.example.net. 203.0.113.54:53"))
        #expect(text.contains("> example.org. MX (id 4242, no recursion, EDNS0 1232)"))
        #expect(text.contains("< example.org. 300 IN MX 10 mail.example.org."))
        #expect(o.timings.map(\.name) == ["ns1.example.net.", "ns2.example.net.", "total"])
    }

    /// The agent's checks leave a passing run's answers unwritten and write out a failing run
    /// in full, exactly as `hostwatch check` shows it; the verdict is the same either way.
    @Test func withoutPassingTranscriptsOnlyAFailingRunIsWrittenOut() async {
        for servers in [[ns1: records(), ns2: records()], [ns1: records(), ns2: records(serial: 7)], [ns1: records()]] {
            let stub = StubDNSTransport(servers: servers)
            let full = await run(stub)
            let lean = await DNSCheck(id: id, domain: zone, configuration: configuration(), serverAddress: here, transport: stub,
                                      transcribesPassingRuns: false).run(now: now)
            #expect(lean.outcome == full.outcome)
            #expect(lean.summary == full.summary)
            #expect(lean.endpoint == full.endpoint)
            #expect(lean.timings.map(\.name) == full.timings.map(\.name))
            #expect(full.transcript.text.contains("* nameserver ns1.example.net. 203.0.113.53:53"))
            #expect(lean.transcript.text == (full.failure == nil ? "" : full.transcript.text))
        }
    }

    @Test func asksEveryServerEveryTypeWithoutRecursion() async {
        let stub = StubDNSTransport(servers: [ns1: records(), ns2: records()])
        _ = await run(stub)
        let asked = Set(stub.queries.map { "\($0.server.address) \($0.type)" })
        #expect(asked == Set(["203.0.113.53", "203.0.113.54"].flatMap { s in ["SOA", "NS", "A", "MX", "TXT"].map { "\(s) \($0)" } }))
        #expect(stub.queries.allSatisfy { !$0.recursionDesired && $0.timeout == .seconds(2) && $0.name == zone })
    }

    @Test func anIPv6ServerAddressMakesPointsHereAskForAAAA() {
        var c = configuration()
        c.expect = [:]
        let check = DNSCheck(id: id, domain: zone, configuration: c, serverAddress: IPAddress("2001:db8::10"), transport: StubDNSTransport(servers: [:]))
        #expect(check.queryTypes == [.soa, .ns, .aaaa])
    }

    @Test func oneServerDownIsAWarningOfItsEndpoint() async throws {
        let stub = StubDNSTransport(servers: [ns1: records()])
        let o = await run(stub)
        let failure = try #require(o.failure)
        #expect(failure.severity == .warning)
        #expect(failure.category == .dns)
        #expect(failure.kind == .unreachable)
        #expect(failure.message == "DNS: 1 of 2 nameservers of example.org. fail: ns2.example.net. (203.0.113.54): example.org. SOA: "
            + "port unreachable: nothing listens on 203.0.113.54:53 (UDP)")
        #expect(o.endpoint == "203.0.113.54:53/dns")
    }

    @Test func everyServerDownIsCritical() async throws {
        let o = await run(StubDNSTransport(servers: [:]))
        let failure = try #require(o.failure)
        #expect(failure.severity == .critical)
        #expect(failure.kind == .unreachable)
        #expect(failure.message.hasPrefix("DNS: example.org. every nameserver fails: ns1.example.net. (203.0.113.53): example.org. SOA: port unreachable"))
        #expect(failure.message.contains("; ns2.example.net. (203.0.113.54): "))
        #expect(o.endpoint == "203.0.113.53:53/dns 203.0.113.54:53/dns")
    }

    @Test func everyServerTimingOutIsACriticalTimeout() async throws {
        let stub = StubDNSTransport { DNSExchange(query: $0, error: DNSQueryError(kind: .timeout, detail: "no reply within 2s"), duration: .seconds(2)) }
        var c = configuration()
        c.nameservers.removeLast()
        let o = await run(stub, c)
        #expect(o.failure?.kind == .timeout)
        #expect(o.failure?.severity == .critical)
        #expect(o.failure?.message == "DNS: example.org. its only nameserver fails: ns1.example.net. (203.0.113.53): example.org. SOA: no reply within 2s")
    }

    @Test func serialsThatDisagreeAreAWarning() async throws {
        let stub = StubDNSTransport(servers: [ns1: records(serial: 2024010102), ns2: records(serial: 2024010101)])
        let o = await run(stub)
        #expect(o.failure?.severity == .warning)
        #expect(o.failure?.kind == .protocolViolation)
        #expect(o.failure?.message == "DNS: SOA serials of example.org. differ: ns1.example.net. (203.0.113.53) has 2024010102, "
            + "ns2.example.net. (203.0.113.54) has 2024010101")
        #expect(o.endpoint == nil)
    }

    @Test func anAddressElsewhereAtEveryServerPointsAway() async throws {
        let stub = StubDNSTransport(servers: [ns1: records(a: "198.51.100.7"), ns2: records(a: "198.51.100.7")])
        var c = configuration()
        c.expect = [:]
        let o = await run(stub, c)
        #expect(o.failure?.severity == .warning)
        #expect(o.failure?.message == "DNS points away from this server: example.org. A is 198.51.100.7 at every nameserver, "
            + "not 203.0.113.10 (server.address)")
    }

    @Test func anAddressElsewhereAtOneServerNamesThatServer() async throws {
        let stub = StubDNSTransport(servers: [ns1: records(), ns2: records(a: "198.51.100.7")])
        var c = configuration()
        c.expect = [:]
        let o = await run(stub, c)
        #expect(o.failure?.message.hasPrefix("DNS points away from this server: example.org. A is 198.51.100.7 at ns2.example.net. (203.0.113.54)") == true)
        // It also makes the servers disagree: the second problem stays in the transcript.
        #expect(o.failure?.message.hasSuffix("(and 1 more problem: see the transcript)") == true)
        #expect(o.transcript.text.contains("* problem: DNS: nameservers disagree on example.org. A: ns1.example.net. (203.0.113.53) has 203.0.113.10; "
            + "ns2.example.net. (203.0.113.54) has 198.51.100.7"))
    }

    @Test func withoutPointsHereAnotherAddressIsFine() async {
        let stub = StubDNSTransport(servers: [ns1: records(a: "198.51.100.7"), ns2: records(a: "198.51.100.7")])
        var c = configuration(pointsHere: false)
        c.expect = [:]
        #expect(await run(stub, c).outcome == .ok)
    }

    @Test func anNSSetOtherThanTheConfiguredNamesIsAWarning() async {
        let extra = ["ns1.example.net", "ns2.example.net", "ns3.old-host.test"]
        let stub = StubDNSTransport(servers: [ns1: records(ns: extra), ns2: records(ns: extra)])
        let o = await run(stub)
        #expect(o.failure?.message == "DNS: NS set of example.org. is ns1.example.net., ns2.example.net., ns3.old-host.test. at every nameserver, "
            + "expected ns1.example.net., ns2.example.net.")
    }

    @Test func withBareAddressesOnlyTheGivenNamesMustBeInTheNSSet() async {
        var c = configuration()
        c.nameservers[1].name = nil
        let extra = ["ns1.example.net", "ns9.example.net"]
        let ok = await run(StubDNSTransport(servers: [ns1: records(ns: extra), ns2: records(ns: extra)]), c)
        #expect(ok.outcome == .ok, "\(ok.summary)")
        let other = ["ns8.example.net", "ns9.example.net"]
        let o = await run(StubDNSTransport(servers: [ns1: records(ns: other), ns2: records(ns: other)]), c)
        #expect(o.failure?.message == "DNS: NS set of example.org. is ns8.example.net., ns9.example.net. at every nameserver, "
            + "expected to include ns1.example.net.")
    }

    @Test func recordsOtherThanExpectedAreAWarningNamingBoth() async {
        let stub = StubDNSTransport(servers: [ns1: records(mx: "mx.elsewhere.test"), ns2: records(mx: "mx.elsewhere.test")])
        let o = await run(stub)
        #expect(o.failure?.severity == .warning)
        #expect(o.failure?.message == "DNS: example.org. MX is 10 mx.elsewhere.test. at every nameserver, expected 10 mail.example.org.")
    }

    @Test func aMissingTXTTextIsAWarning() async {
        let stub = StubDNSTransport(servers: [ns1: records(), ns2: records(txt: "google-site-verification=x")])
        let o = await run(stub)
        #expect(o.failure?.message.hasPrefix("DNS: no example.org. TXT record contains \"v=spf1\" at ns2.example.net. (203.0.113.54)") == true)
    }

    @Test func aRefusalIsAFailingServerThatAnsweredWrongly() async throws {
        let stub = StubDNSTransport { query in
            if query.server == ns2 {
                var exchange = StubDNSTransport.answer(query, from: [])
                exchange.reply?.flags.authoritative = false
                exchange.reply?.flags.rcodeLow = 5
                return exchange
            }
            return StubDNSTransport.answer(query, from: records())
        }
        let o = await run(stub)
        #expect(o.failure?.severity == .warning)
        #expect(o.failure?.kind == .protocolViolation)
        #expect(o.failure?.message.contains("ns2.example.net. (203.0.113.54): answered REFUSED to example.org. SOA (it does not serve the zone)") == true)
        #expect(o.endpoint == nil)
    }

    @Test func anAnswerWithoutAuthorityIsALameDelegation() async throws {
        let stub = StubDNSTransport { query in
            var exchange = StubDNSTransport.answer(query, from: records())
            exchange.reply?.flags.authoritative = false
            return exchange
        }
        let o = await run(stub)
        #expect(o.failure?.severity == .critical)
        #expect(o.failure?.kind == .protocolViolation)
        #expect(o.failure?.message.contains("answered example.org. SOA without authority (AA bit clear)") == true)
    }

    @Test func aNameInsideAZoneTakesTheZonesSerialAndSkipsTheNSSet() async {
        let shop = name("shop.example.org")
        let zoneRecords = records() + [DNSRecord(name: shop, data: .a(here))]
        let stub = StubDNSTransport(servers: [ns1: zoneRecords, ns2: zoneRecords])
        var c = configuration()
        c.expect = [:]
        let o = await run(stub, c, domain: shop)
        #expect(o.outcome == .ok, "\(o.summary)")
        #expect(o.summary.contains("serial 2024010101"))
        #expect(o.transcript.text.contains("shop.example.org. is inside the zone example.org.: its NS set is not checked"))
    }

    @Test func serversDisagreeingWhereNoExpectationPinsThemDownIsAWarning() async {
        let stub = StubDNSTransport(servers: [ns1: records(txt: "v=spf1 mx -all"), ns2: records(txt: "v=spf1 ~all")])
        let o = await run(stub)
        #expect(o.failure?.message == "DNS: nameservers disagree on example.org. TXT: ns1.example.net. (203.0.113.53) has \"v=spf1 mx -all\"; "
            + "ns2.example.net. (203.0.113.54) has \"v=spf1 ~all\"")
    }

    @Test func theTranscriptRecordsErrorsAndNotes() async {
        let stub = StubDNSTransport { query in
            if query.server == ns2 {
                return DNSExchange(query: query, id: 9, error: DNSQueryError(kind: .malformed, detail: "malformed reply (40 bytes over UDP): compression pointers loop (at byte 12)"),
                                   duration: .milliseconds(1), notes: ["ignored a reply with ID 1 instead of 9"])
            }
            var exchange = StubDNSTransport.answer(query, from: records())
            exchange.usedTCP = true
            return exchange
        }
        let o = await run(stub)
        #expect(o.failure?.kind == .protocolViolation)
        #expect(o.transcript.text.contains("* ignored a reply with ID 1 instead of 9\n* error after 1.0 ms: malformed reply (40 bytes over UDP): compression pointers loop (at byte 12)"))
        #expect(o.transcript.text.contains("bytes over tcp in 0.3 ms"))
    }
}
