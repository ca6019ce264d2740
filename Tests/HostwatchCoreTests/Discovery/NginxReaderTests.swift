import HostwatchCore
import Testing

@Suite struct NginxReaderTests {
    let reading = NginxReader.read(DiscoveryFixtures.text("nginx-T.txt"))

    func site(_ name: String) -> DiscoveredSite? { reading.sites.first { $0.name == name } }

    @Test func readsEveryServerBlockOfTheIncludedFilesAndSkipsTheCatchAll() {
        #expect(reading.warnings == [])
        #expect(Set(reading.sites.map(\.name)) == ["shop.test", "blog.test", "wiki.test"])
        #expect(reading.sites.filter { $0.name == "shop.test" }.count == 2)
    }

    @Test func filesWwwUnderTheBareNameWhateverTheOrder() throws {
        let tls = try #require(reading.sites.first { $0.name == "shop.test" && $0.certificateFile != nil })
        #expect(tls.aliases == ["www.shop.test"])
        #expect(tls.listens == [ListenAddress(address: "127.0.1.20", port: 443, tls: true)])
        #expect(tls.certificateFile == "/tmp/fx/tls/cert.pem")
        #expect(tls.upstreams == ["unix:/run/php/php8.2-fpm.sock"])
    }

    @Test func dropsWildcardsRegexesAndLocalhostAndExpandsUpstreamBlocks() throws {
        let blog = try #require(site("blog.test"))
        #expect(blog.aliases == [])
        #expect(blog.listens == [ListenAddress(address: nil, port: 8080, tls: false)])
        #expect(blog.upstreams == ["http://127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:9000"])
    }

    @Test func aServerWithoutListenIsOnPort80() throws {
        #expect(try #require(site("wiki.test")).listens == [ListenAddress(address: nil, port: 80, tls: false)])
    }

    @Test(arguments: [
        ("listen 80;", ListenAddress(address: nil, port: 80, tls: false)),
        ("listen 127.0.0.1;", ListenAddress(address: "127.0.0.1", port: 80, tls: false)),
        ("listen [::1]:8443 ssl;", ListenAddress(address: "::1", port: 8443, tls: true)),
        ("listen *:443 ssl http2 default_server;", ListenAddress(address: nil, port: 443, tls: true)),
    ])
    func readsListenForms(line: String, expected: ListenAddress) throws {
        let reading = NginxReader.read("http { server { server_name a.test; \(line) } }")
        #expect(try #require(reading.sites.first).listens == [expected])
    }

    @Test func plainConfigTextWithoutMarkersIsOneFile() {
        let reading = NginxReader.read("http {\n server { listen 80; server_name a.test; }\n}\n")
        #expect(reading.sites.map(\.name) == ["a.test"])
    }
}
