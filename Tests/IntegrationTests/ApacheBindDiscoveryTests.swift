import Foundation
import Glibc
import HostwatchCore
import Testing

/// `hostwatch discover` from a real Apache 2.4 (`apache2ctl -f CONFIG -S` and the vhost files it
/// names) and a real bind9 (its named.conf with includes), and `check` of what it found.
@Suite struct ApacheBindDiscoveryTests {
    @Test func discoversApacheVhostsAndBindZonesAndTheirChecksPass() throws {
        let dir = try TempDirectory(prefix: "hostwatch-apache-bind")
        defer { try? dir.remove() }
        chmod(dir.path, 0o755)
        let ca = try TestCA(directory: dir.appending("ca"))
        let web = freeLoopbackAddress(ports: [80, 443])
        let apache = try ApacheServer(directory: dir.appending("apache"), address: web, sites: [
            .init(domain: "shop.test", aliases: ["www.shop.test"], tls: try ca.issue(names: ["shop.test", "www.shop.test"], days: 90)),
            .init(domain: "blog.test"),
        ])
        defer { apache.shutdown() }
        let dnsPort = UInt16.random(in: 20_000...60_000)
        // bind refuses a zone whose in-zone nameserver has no address.
        let records = { (name: String) in
            "@ IN SOA ns1.\(name). hostmaster.\(name). 1 3600 600 86400 300\n@ IN NS ns1.\(name).\n@ IN A \(web)\nns1 IN A 127.0.0.1\n"
        }
        let bind = try BindServer(directory: dir.appending("bind"), port: dnsPort,
                                  zones: [.init(name: "shop.test", records: records("shop.test")), .init(name: "blog.test", records: records("blog.test"))])
        defer { bind.shutdown() }
        try apache.start()
        try bind.start()
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        let config = dir.appending("hostwatch.json5")
        try """
        { server: { name: "web01", address: "\(web)" }, state_dir: "state", checks: "checks",
          tls: { ca_file: "\(ca.caFile)" }, defaults: { timeout: "3s" },
          discovery: { apache: { command: ["apache2ctl", "-f", "\(apache.configFile)", "-S"] },
                       bind: { config: "\(bind.configFile)" },
                       nginx: false, postfix: false, dovecot: false, nsd: false } }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let hostwatch = try HostwatchBinary()

        let shown = try hostwatch.run(["discover", "--json", "--config", config])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stderr == "")
        let found = try DiscoveryIntegrationTests.documents(shown.stdout)
        #expect(Set(found.keys) == ["shop.test", "blog.test"], "localhost is not a domain")
        let shop = try #require(found["shop.test"])
        #expect(shop["sources"] as? [String] == ["apache", "bind"])
        #expect(shop["aliases"] as? [String] == ["www.shop.test"])
        #expect(shop["checks"] as? [String] == ["web https://shop.test/", "dns at 127.0.0.1:\(dnsPort)"])
        #expect((found["blog.test"]?["checks"] as? [String])?.first == "web http://blog.test/")

        let written = try hostwatch.run(["discover", "--write", "--config", config])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try hostwatch.run(["validate", "--config", config]).status == 0)
        let check = try hostwatch.check(config: config)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.results.count == 4)
    }
}
