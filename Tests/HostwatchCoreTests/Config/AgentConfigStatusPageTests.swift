import Testing
@testable import HostwatchCore

@Suite struct AgentConfigStatusPageTests {
    func read(_ sections: String) -> (AgentConfig?, [String]) {
        let document = JSON5Document.parse(#"{ server: { name: "w", address: "127.0.0.1" }, "# + sections + " }")
        let problems = ConfigReader.Problems()
        let config = document.root.flatMap {
            AgentConfig.read($0, file: "a.json5", problems: problems, resolve: { $0.hasPrefix("/") ? $0 : "/etc/hostwatch/\($0)" })
        }
        return (config, problems.errors.map(\.description))
    }

    @Test func readsTheFolderAudienceAndInterval() throws {
        let (config, problems) = read(#"defaults: { interval: "30s" }, status_page: { dir: "www", public: true }"#)
        #expect(problems.isEmpty, "\(problems)")
        let page = try #require(config?.statusPage)
        #expect(page == AgentConfig.StatusPageSettings(dir: "/etc/hostwatch/www", isPublic: true, interval: .seconds(30)))
    }

    @Test func staffPageByDefaultAndNoPageWithoutTheSection() throws {
        let (config, _) = read(#"status_page: { dir: "/var/lib/hostwatch/www", interval: "5s" }"#)
        #expect(config?.statusPage?.isPublic == false)
        #expect(config?.statusPage?.interval == .seconds(5))
        let (without, _) = read("")
        #expect(without != nil)
        #expect(without?.statusPage == nil)
    }

    @Test(arguments: [
        (#"status_page: { public: true }"#, "a.json5:1:61: status_page: missing required key \"dir\""),
        (#"status_page: { dir: "www", public: "yes" }"#, "a.json5:1:83: status_page.public: expected true or false, found \"yes\""),
        (#"status_page: { dir: "www", interval: 60 }"#, "status_page.interval: expected a duration"),
        (#"status_page: { dir: "www", colour: "red" }"#, "status_page.colour"),
        (#"status_page: { dir: "" }"#, "status_page.dir: expected a folder"),
    ])
    func reportsMistakesWithTheirPlace(section: String, message: String) {
        let (config, problems) = read(section)
        #expect(config == nil)
        #expect(problems.contains { $0.contains(message) }, "\(problems)")
    }
}
