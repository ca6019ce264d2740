import HostwatchCore
import Testing

@Suite struct PanelReaderTests {
    let fixtures = DiscoveryFixtures.Tree(mounts: [:])

    @Test func cpanelGivesUserContactPlanAndSuspension() throws {
        let reading = CPanelReader.read(root: DiscoveryFixtures.folder + "/cpanel", files: fixtures)
        #expect(reading.sites.map(\.name) == ["shop.test", "addon-shop.test", "blog.test", "closed.test"])
        let shop = reading.sites[0]
        #expect(shop.account == "shopuser")
        #expect(shop.contact == "owner@shop.test")
        #expect(shop.plan == "Premium_Business")
        #expect(!shop.suspended)
        #expect(reading.sites[2].contact == nil)
        #expect(reading.sites[3].suspended)
        #expect(reading.warnings.count == 1)
        #expect(reading.warnings[0].hasSuffix("userdomains:5: expected \"domain: user\", found \"this line is broken\""))
    }

    @Test func directAdminReadsDomainsListAndUserConf() {
        let reading = DirectAdminReader.read(root: DiscoveryFixtures.folder + "/directadmin", files: fixtures)
        #expect(reading.sites.map(\.name) == ["blog.test", "shop.test", "shop-outlet.test"])
        #expect(reading.sites[0].suspended)
        #expect(reading.sites[1].account == "shop")
        #expect(reading.sites[1].contact == "Shop Ltd owner@shop.test")
        #expect(reading.sites[1].plan == "premium_plus")
    }

    @Test func hestiaReadsWebConfByKeyInEitherOrder() {
        let reading = HestiaReader.read(root: DiscoveryFixtures.folder + "/hestia", files: fixtures)
        #expect(reading.sites.map(\.name) == ["old.test", "shop.test", "legacy.test"])
        #expect(reading.sites[0].aliases == ["www.old.test"])
        #expect(reading.sites[0].contact == "old@old.test")
        #expect(reading.sites[1].aliases == ["www.shop.test", "cdn.shop.test"])
        #expect(reading.sites[1].listens == [ListenAddress(address: nil, port: 443, tls: true)])
        #expect(reading.sites[1].contact == "Shop Ltd owner@shop.test")
        #expect(reading.sites[1].plan == "Premium Hosting")
        #expect(reading.sites[2].suspended)
        #expect(reading.warnings.count == 1)
    }

    @Test(arguments: [PanelKind.cpanel, .directadmin, .hestia])
    func aMissingTreeIsAWarningNotACrash(kind: PanelKind) {
        let root = "/nonexistent"
        let reading: SourceReading
        switch kind {
        case .cpanel: reading = CPanelReader.read(root: root, files: InMemoryFileTree())
        case .directadmin: reading = DirectAdminReader.read(root: root, files: InMemoryFileTree())
        default: reading = HestiaReader.read(root: root, files: InMemoryFileTree())
        }
        #expect(reading.sites.isEmpty)
        #expect(reading.warnings.count == 1)
    }
}
