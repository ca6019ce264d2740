import HostwatchCore
import Testing

@Suite struct ApacheReaderTests {
    let reading = ApacheReader.read(DiscoveryFixtures.text("apache2ctl-S.txt"),
                                    files: DiscoveryFixtures.Tree(mounts: ["/etc/apache2": "apache"]))

    @Test func readsNameVhostsAliasesAndTheOneLineForm() {
        #expect(reading.warnings == [])
        #expect(reading.sites.map(\.name) == ["shop.test", "blog.test", "shop.test"])
        #expect(reading.sites[0].aliases == ["www.shop.test"])
        #expect(reading.sites[0].listens == [ListenAddress(address: "127.0.1.22", port: 80, tls: false)])
        #expect(reading.sites[0].upstreams == ["unix:/run/php/php8.2-fpm.sock"])
        #expect(reading.sites[1].upstreams == ["fcgi://127.0.0.1:9000"])
    }

    @Test func readsTheCertificateFromTheVhostBlockAtTheNamedLine() {
        let tls = reading.sites[2]
        #expect(tls.listens == [ListenAddress(address: "127.0.1.22", port: 443, tls: true)])
        #expect(tls.certificateFile == "/etc/ssl/shop.test.pem")
        #expect(tls.aliases == ["www.shop.test", "shop-old.test"])
    }

    @Test func aVhostFileItCannotReadIsAWarningNamingIt() {
        let reading = ApacheReader.read(DiscoveryFixtures.text("apache2ctl-S.txt"), files: InMemoryFileTree())
        #expect(reading.sites.count == 3)
        #expect(reading.warnings.first == "apache: cannot read /etc/apache2/sites-enabled/shop.conf (named by apache2ctl -S for shop.test)")
    }
}
