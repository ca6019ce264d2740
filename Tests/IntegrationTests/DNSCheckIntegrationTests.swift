import Foundation
import HostwatchCore
import Testing

/// The dns check against real nsd instances on loopback addresses: the checks pass on healthy
/// zones (over UDP, TCP after a truncated reply, IPv4 and IPv6), a secondary with another serial
/// fails consistency, and stopping nameservers fails at the right severity.
@Suite(.serialized)
struct DNSCheckIntegrationTests {
    /// A zone served identically by `ns1`, `ns2` and `ns3`, with enough TXT records that the TXT
    /// answer (over 1232 bytes) comes back truncated over UDP.
    static func zone(serial: Int, address: String, ns: [String] = ["ns1", "ns2", "ns3"]) -> NSDServer.Zone {
        var records = "@ IN SOA ns1.site.test. hostmaster.site.test. \(serial) 3600 600 86400 300\n"
        records += ns.map { "@ IN NS \($0).site.test.\n" }.joined()
        records += "@ IN A \(address)\n@ IN MX 10 mail.site.test.\n@ IN CAA 0 issue \"ca.test\"\n"
        records += "@ IN TXT \"v=spf1 a mx -all\"\n"
        for i in 0..<12 { records += "@ IN TXT \"verification-\(i)=\(String(repeating: "x", count: 100))\"\n" }
        return NSDServer.Zone(name: "site.test", records: records)
    }

    func writeConfig(in dir: TempDirectory, serverAddress: String, nameservers: String, expect: String = "") throws -> String {
        let checks = dir.appending("checks")
        try FileManager.default.createDirectory(atPath: checks, withIntermediateDirectories: true)
        try """
        { server: { name: "dns-test", address: "\(serverAddress)" }, state_dir: "state", checks: "checks",
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "2s", failures: 2, recoveries: 1 } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "site.test", account: "Site Ltd (#7)",
          dns: { nameservers: [\(nameservers)],
                 expect: { \(expect.isEmpty ? #"A: ["\#(serverAddress)"], MX: ["10 mail.site.test."], TXT: ["v=spf1"], CAA: ["0 issue \"ca.test\""]"# : expect) },
                 points_here: true } }
        """.write(toFile: checks + "/site.test.json5", atomically: true, encoding: .utf8)
        return dir.appending("hostwatch.json5")
    }

    @Test func healthyNameserversPassAndStoppingThemFailsAtTheRightSeverity() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-dns")
        defer { try? dir.remove() }
        let here = "127.0.0.1"
        let a1 = freeLoopbackAddress(ports: [53]), a2 = freeLoopbackAddress(ports: [53])
        let v6 = NSDServer.freeIPv6Port()
        let primary = try NSDServer(directory: dir.path, address: a1, ipv6Port: v6, zones: [Self.zone(serial: 2024010101, address: here)])
        let secondary = try NSDServer(directory: dir.path, address: a2, zones: [Self.zone(serial: 2024010101, address: here)])
        defer { primary.shutdown(); secondary.shutdown() }
        try await blocking { try primary.start() }
        try await blocking { try secondary.start() }
        let config = try writeConfig(in: dir, serverAddress: here, nameservers: """
            { name: "ns1.site.test", address: "\(a1)" }, { name: "ns2.site.test", address: "\(a2)" },
            { name: "ns3.site.test", address: "::1", port: \(v6) }
            """)
        let binary = try HostwatchBinary()

        let healthy = try await blocking { try binary.check(config: config) }
        #expect(healthy.status == 0, "\(healthy.stderr)")
        let ok = try #require(healthy.results["site.test/dns"], "\(healthy.stderr)")
        #expect(ok.status == "ok")
        #expect(ok.summary.hasPrefix("3 nameservers answer with authority, serial 2024010101"))
        #expect(ok.transcript.contains("* nameserver ns3.site.test. [::1]:\(v6)"))
        // The TXT answer did not fit in 1232 bytes: asked again over TCP, at every server.
        #expect(ok.transcript.components(separatedBy: "* UDP reply truncated (tc, ").count == 4, "\(ok.transcript)")
        #expect(ok.transcript.contains("< site.test. 300 IN TXT \"v=spf1 a mx -all\""))
        #expect(ok.transcript.contains("bytes over tcp in "))

        try await blocking { try secondary.stop() }
        let one = try await blocking { try binary.check(config: config) }
        #expect(one.status == 1, "\(one.stderr)")
        let warning = try #require(one.results["site.test/dns"])
        #expect(warning.severity == "warning")
        #expect(warning.category == "dns")
        #expect(warning.summary.hasPrefix("DNS: 1 of 3 nameservers of site.test. fail: ns2.site.test. (\(a2)): site.test. SOA: port unreachable"))
        #expect(warning.endpoint == "\(a2):53/dns")

        try await blocking { try primary.stop() }
        let all = try await blocking { try binary.check(config: config) }
        #expect(all.status == 2, "\(all.stderr)")
        let critical = try #require(all.results["site.test/dns"])
        #expect(critical.severity == "critical")
        #expect(critical.summary.hasPrefix("DNS: site.test. every nameserver fails: ns1.site.test. (\(a1)): site.test. SOA: port unreachable"))
    }

    @Test func aSecondaryWithAnotherSerialFailsConsistency() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-dns")
        defer { try? dir.remove() }
        let a1 = freeLoopbackAddress(ports: [53]), a2 = freeLoopbackAddress(ports: [53])
        let primary = try NSDServer(directory: dir.path, address: a1, zones: [Self.zone(serial: 2024010102, address: "127.0.0.1", ns: ["ns1", "ns2"])])
        let secondary = try NSDServer(directory: dir.path, address: a2, zones: [Self.zone(serial: 2024010101, address: "127.0.0.1", ns: ["ns1", "ns2"])])
        defer { primary.shutdown(); secondary.shutdown() }
        try await blocking { try primary.start() }
        try await blocking { try secondary.start() }
        let config = try writeConfig(in: dir, serverAddress: "127.0.0.1", nameservers: """
            { name: "ns1.site.test", address: "\(a1)" }, { name: "ns2.site.test", address: "\(a2)" }
            """)
        let result = try await blocking { try HostwatchBinary().check(config: config) }
        #expect(result.status == 1, "\(result.stderr)")
        let dns = try #require(result.results["site.test/dns"])
        #expect(dns.severity == "warning")
        #expect(dns.summary == "DNS: SOA serials of site.test. differ: ns1.site.test. (\(a1)) has 2024010102, ns2.site.test. (\(a2)) has 2024010101")
    }

    @Test func aZonePointingElsewhereAndAStaleNSSetAreWarnings() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-dns")
        defer { try? dir.remove() }
        let a1 = freeLoopbackAddress(ports: [53])
        // The customer moved: the zone sends visitors to another (documentation) address.
        let moved = try NSDServer(directory: dir.path, address: a1, zones: [Self.zone(serial: 7, address: "192.0.2.7", ns: ["ns1", "ns9"])])
        defer { moved.shutdown() }
        try await blocking { try moved.start() }
        let config = try writeConfig(in: dir, serverAddress: "127.0.0.1",
                                     nameservers: #"{ name: "ns1.site.test", address: "\#(a1)" }"#, expect: #"MX: ["10 mail.site.test."]"#)
        let result = try await blocking { try HostwatchBinary().check(config: config) }
        #expect(result.status == 1, "\(result.stderr)")
        let dns = try #require(result.results["site.test/dns"])
        #expect(dns.severity == "warning")
        #expect(dns.summary == "DNS points away from this server: site.test. A is 192.0.2.7 at ns1.site.test. (\(a1)), not 127.0.0.1 (server.address) "
            + "(and 1 more problem: see the transcript)")
        #expect(dns.transcript.contains("* problem: DNS: NS set of site.test. is ns1.site.test., ns9.site.test. at ns1.site.test. (\(a1)), expected ns1.site.test."))
    }
}
