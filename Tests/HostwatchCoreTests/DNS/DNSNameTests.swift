import Testing
@testable import HostwatchCore

@Suite struct DNSNameTests {
    @Test(arguments: [
        ("example.org", [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0]),
        ("example.org.", [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0]),
        (".", [0]),
        ("a\\.b.test", [3] + Array("a.b".utf8) + [4] + Array("test".utf8) + [0]),
        ("a\\032b.test", [3, 97, 32, 98, 4] + Array("test".utf8) + [0]),
        ("a\\\\.test.", [2, 97, 92, 4] + Array("test".utf8) + [0]),
    ] as [(String, [UInt8])])
    func parsesPresentationTextIntoWireForm(text: String, wire: [UInt8]) throws {
        #expect(try DNSName(text).wire == wire)
    }

    @Test(arguments: ["example.org.", ".", "a\\.b.test.", "a\\032b.test.", "x\\\\.test."])
    func printsWhatItParses(text: String) throws {
        #expect(try DNSName(text).description == text)
    }

    @Test func comparesAndHashesWithoutCase() throws {
        let a = try DNSName("Mail.Example.ORG")
        let b = try DNSName("mail.example.org.")
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a.description == "Mail.Example.ORG.")
        #expect(a.lowercased.description == "mail.example.org.")
    }

    @Test(arguments: [
        ("a..b", DNSWireError.emptyLabel("a..b")),
        (String(repeating: "x", count: 64) + ".test", .labelTooLong(length: 64, offset: nil)),
        (Array(repeating: String(repeating: "x", count: 63), count: 4).joined(separator: "."), .nameTooLong(length: 257, offset: nil)),
        ("a\\", .badText("a\\")),
        ("a\\999.test", .badText("a\\999.test")),
    ])
    func rejectsWhatCannotBeAName(text: String, error: DNSWireError) {
        #expect(throws: error) { try DNSName(text) }
    }

    @Test func the255ByteLimitCountsTheWireForm() throws {
        // Three 63-byte labels and one 61-byte label: 4 + 63·3 + 61 + 1 = 255 bytes.
        let text = Array(repeating: String(repeating: "x", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "y", count: 61)
        #expect(try DNSName(text).wire.count == 255)
    }

    @Test func knowsWhatLiesBelowWhat() throws {
        let zone = try DNSName("example.org")
        #expect(try DNSName("www.Example.org").isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: zone))
        #expect(zone.isSubdomain(of: .root))
        #expect(try !DNSName("badexample.org").isSubdomain(of: zone))
        #expect(try !DNSName("org").isSubdomain(of: zone))
    }
}
