import HostwatchCore
import Testing

@Suite struct ApacheReaderTests {
    let reading = ApacheReader.read(DiscoveryFixtures.text("apache2ctl-S.txt"),
                                    files: DiscoveryFixtures.Tree(mounts: ["/tmp/fx/apache": "apache"]))

    @Test func readsNameVhostsAliasesAndTheOneLineForm() {
        #expect(reading.warnings == [])
        #expect(reading.sites.map(\.name) == ["blog.test", "shop.test", "shop.test"])
        #expect(reading.sites[1].aliases == ["www.shop.test"])
        #expect(reading.sites[1].listens == [ListenAddress(address: "127.0.1.22", port: 8080, tls: false)])
        #expect(reading.sites[1].upstreams == ["unix:/run/php/php8.2-fpm.sock"])
        #expect(reading.sites[0].upstreams == [])
    }

    @Test func readsTheCertificateFromTheVhostBlockAtTheNamedLine() {
        let tls = reading.sites[2]
        #expect(tls.listens == [ListenAddress(address: "127.0.1.22", port: 8443, tls: true)])
        #expect(tls.certificateFile == "/tmp/fx/tls/cert.pem")
        #expect(tls.aliases == ["www.shop.test"])
    }

    @Test func readsSetHandlerProxyForms() {
        let tree = InMemoryFileTree(["/v.conf": "<VirtualHost *:80>\n ServerName a.test\n SetHandler \"proxy:fcgi://127.0.0.1:9000\"\n</VirtualHost>\n"])
        let reading = ApacheReader.read("VirtualHost configuration:\n*:80                   a.test (/v.conf:1)\n", files: tree)
        #expect(reading.sites.first?.upstreams == ["fcgi://127.0.0.1:9000"])
        #expect(reading.sites.first?.listens == [ListenAddress(address: nil, port: 80, tls: false)])
    }

    @Test func aVhostFileItCannotReadIsAWarningNamingIt() {
        let reading = ApacheReader.read(DiscoveryFixtures.text("apache2ctl-S.txt"), files: InMemoryFileTree())
        #expect(reading.sites.count == 3)
        #expect(reading.warnings.first == "apache: cannot read /tmp/fx/apache/sites/blog.conf (named by apache2ctl -S for blog.test)")
    }
}
