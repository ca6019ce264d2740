import HostwatchCore
import Testing

@Suite struct NSDReaderTests {
    @Test func readsZonesThroughIncludesAndTheServerAddress() {
        let reading = NSDReader.read(config: "/etc/nsd/nsd.conf", files: DiscoveryFixtures.Tree(mounts: ["/etc/nsd": "nsd"]))
        #expect(reading.warnings == [])
        #expect(reading.sites.map(\.name) == ["shop.test", "blog.test"])
        #expect(reading.nameservers == [NameserverAddress(address: "127.0.1.23", port: 5353)])
    }
}

@Suite struct BindReaderTests {
    @Test func readsMasterAndSlaveZonesButNotHintForwardOrLocalZones() {
        let reading = BindReader.read(config: "/etc/bind/named.conf", files: DiscoveryFixtures.Tree(mounts: ["/etc/bind": "bind"]))
        #expect(reading.warnings == [])
        #expect(reading.sites.map(\.name) == ["shop.test", "blog.test"])
        #expect(reading.nameservers == [NameserverAddress(address: "127.0.1.24", port: 5354)])
    }
}
