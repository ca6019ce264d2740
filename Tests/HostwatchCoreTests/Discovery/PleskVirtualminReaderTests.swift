import HostwatchCore
import Testing

@Suite struct PleskReaderTests {
    @Test func readsSitesOwnersStatusAndTLS() {
        let info = ["shop.test", "blog.test"].reduce(into: [String: String]()) {
            $0[$1] = DiscoveryFixtures.text("plesk-subscription-info-\($1).txt")
        }
        let reading = PleskReader.read(siteList: DiscoveryFixtures.text("plesk-site-list.txt"), info: info)
        #expect(reading.warnings == [])
        #expect(reading.sites.map(\.name) == ["shop.test", "blog.test"])
        #expect(reading.sites[0].account == "shopadmin")
        #expect(reading.sites[0].contact == "Shop Ltd")
        #expect(reading.sites[0].listens == [ListenAddress(address: nil, port: 443, tls: true)])
        #expect(!reading.sites[0].suspended)
        #expect(reading.sites[1].suspended)
        #expect(reading.sites[1].listens == [])
    }

    @Test func aSiteWithoutInfoIsStillListed() {
        let reading = PleskReader.read(siteList: "a.test\nError: something went wrong\n", info: [:])
        #expect(reading.sites.map(\.name) == ["a.test"])
        #expect(reading.sites[0].account == nil)
        #expect(reading.warnings.count == 1)
    }
}

@Suite struct VirtualminReaderTests {
    @Test func readsDomainsUsersPlansAndAliases() {
        let reading = VirtualminReader.read(DiscoveryFixtures.text("virtualmin-list-domains-multiline.txt"))
        #expect(reading.warnings == [])
        #expect(reading.sites.map(\.name) == ["shop.test", "blog.test"])
        #expect(reading.sites[0].account == "shop")
        #expect(reading.sites[0].contact == "owner@shop.test")
        #expect(reading.sites[0].plan == "Premium Hosting")
        #expect(reading.sites[0].aliases == ["shop-alias.test"])
        #expect(reading.sites[0].listens == [ListenAddress(address: nil, port: 443, tls: true)])
        #expect(reading.sites[1].suspended)
    }

    @Test func garbageIsAWarning() {
        let reading = VirtualminReader.read("Usage: virtualmin list-domains [--multiline]\n")
        #expect(reading.sites.isEmpty)
        #expect(reading.warnings.count == 1)
    }
}
