import Foundation
import Testing
@testable import HostwatchCore
@testable import HostwatchIO

@Suite struct ConfigFileTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test(arguments: ["packaging/demo.json5", "packaging/hostwatch.json5"])
    func theShippedConfigsAndExamplesAreValid(path: String) throws {
        let config = try ConfigFile.load(path: "\(Self.repo)/\(path)")
        #expect(!config.domains.isEmpty)
        #expect(config.domains.allSatisfy { !$0.checks.isEmpty })
    }

    @Test func demoTargetsOnlyLoopback() throws {
        let config = try ConfigFile.load(path: "\(Self.repo)/packaging/demo.json5")
        #expect(config.agent.server.address.hasPrefix("127."))
        for domain in config.domains {
            for case .web(let web, _) in domain.checks { #expect(web.address == nil || web.address!.hasPrefix("127.")) }
        }
    }

    @Test func everyFileIsReadAndEveryErrorReportedInOrder() throws {
        let dir = NSTemporaryDirectory() + "hostwatch-config-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir + "/checks", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{ server: { name: "w", address: "127.0.0.1" }, defaults: { failures: 0 }, bogus: 1 }"#
            .write(toFile: dir + "/hostwatch.json5", atomically: true, encoding: .utf8)
        try "{ domain: \"a.test\",\n  web: { url: \"http://a.test/\", expect_status: [200, \"ok\"] } }"
            .write(toFile: dir + "/checks/a.test.json5", atomically: true, encoding: .utf8)
        try "{ domain: \"b.test\", web: { url: \"http://b.test/\" }".write(toFile: dir + "/checks/b.test.json5", atomically: true, encoding: .utf8)
        try #"{ domain: "c.test" }"#.write(toFile: dir + "/checks/c.json5", atomically: true, encoding: .utf8)
        try #"{ domain: "C.test" }"#.write(toFile: dir + "/checks/d.json5", atomically: true, encoding: .utf8)
        try "not json5 at all".write(toFile: dir + "/checks/README.txt", atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigLoadError.self) { try ConfigFile.load(path: dir + "/hostwatch.json5") }
        let lines = error.errors.map(\.description)
        #expect(lines == [
            "\(dir)/hostwatch.json5:1:70: defaults.failures: 0 is out of range (1…100)",
            "\(dir)/hostwatch.json5:1:75: bogus: unknown key \"bogus\"",
            "\(dir)/checks/a.test.json5:2:54: web.expect_status[1]: expected a number, found \"ok\"",
            "\(dir)/checks/b.test.json5:1:51: unexpected end of input: '{' at 1:1 is never closed",
            "\(dir)/checks/d.json5: domain: \"C.test\" is already configured in \(dir)/checks/c.json5",
        ], "\(lines)")
    }

    /// A running agent keeps only where each domain came from; a hand-written file wins over a
    /// generated one for the same domain, and the domain counts as hand-written.
    @Test func theOriginsOfTheDomainsAreKeptWhenTheFilesAreLetGo() throws {
        let dir = NSTemporaryDirectory() + "hostwatch-config-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir + "/checks/discovered", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{ server: { name: "w", address: "127.0.0.1" } }"#.write(toFile: dir + "/hostwatch.json5", atomically: true, encoding: .utf8)
        try #"{ domain: "Hand.test" }"#.write(toFile: dir + "/checks/hand.test.json5", atomically: true, encoding: .utf8)
        try #"{ domain: "hand.test" }"#.write(toFile: dir + "/checks/discovered/hand.test.json5", atomically: true, encoding: .utf8)
        try #"{ domain: "found.test" }"#.write(toFile: dir + "/checks/discovered/found.test.json5", atomically: true, encoding: .utf8)
        let config = try ConfigFile.load(path: dir + "/hostwatch.json5")
        #expect(config.domains.map(\.domain).sorted() == ["Hand.test", "found.test"])
        let slim = config.releasingDomains()
        #expect(slim.domains.isEmpty)
        #expect(slim.origins.handWritten == ["hand.test"])
        #expect(slim.origins.generated == ["found.test"])
    }

    @Test func aMissingOrUnreadableFileIsAClearError() throws {
        let error = try #require(throws: ConfigLoadError.self) { try ConfigFile.load(path: "/nonexistent/hostwatch.json5") }
        #expect(error.description == "/nonexistent/hostwatch.json5: no such file")
    }
}
