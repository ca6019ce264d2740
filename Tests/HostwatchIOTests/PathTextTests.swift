import Testing
@testable import HostwatchIO

@Suite struct PathTextTests {
    @Test(arguments: [("../.demo-state", "packaging", ".demo-state"),
                      ("state", "/etc/hostwatch", "/etc/hostwatch/state"),
                      ("/var/lib/hostwatch/", "/etc", "/var/lib/hostwatch"),
                      ("../x", ".", "../x"), ("./a//b/.", "/r", "/r/a/b"), ("/../a", "/", "/a")])
    func resolvesRelativePathsAgainstTheConfigFolder(path: String, base: String, expected: String) {
        #expect(PathText.resolve(path, against: base) == expected)
    }

    @Test func splitsFolderAndName() {
        #expect(PathText.parent(of: "/etc/hostwatch/hostwatch.json5") == "/etc/hostwatch")
        #expect(PathText.parent(of: "hostwatch.json5") == ".")
        #expect(PathText.parent(of: "/x") == "/")
        #expect(PathText.lastComponent(of: "/var/lib/hostwatch/index.json") == "index.json")
    }
}
