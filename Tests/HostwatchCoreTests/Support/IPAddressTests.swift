import Testing
@testable import HostwatchCore

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("203.0.113.10", "203.0.113.10"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("010.001.0.9", "10.1.0.9"),
        ("::1", "::1"),
        ("::", "::"),
        ("2001:DB8:0:0:0:0:0:10", "2001:db8::10"),
        ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
        ("2001:db8:1:0:1:0:0:1", "2001:db8:1:0:1::1"),
        ("2001:db8::1:0:0:0", "2001:db8:0:0:1::"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"),
    ])
    func parsesAndPrintsInCanonicalForm(text: String, canonical: String) throws {
        #expect(try #require(IPAddress(text)).description == canonical)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.256", "01.2.3.4.5", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", ":1", "1:", "g::", "[::1]",
                      "example.org", "1.2.3.4 ",
                      "1..2.3", "1.2.3.4.", ".1.2.3", "1.2.3.", "1234.1.1.1", "0001.1.1.1", "+1.2.3.4", "1.2.3.-4", "256.0.0.1", "1.2.3.999"])
    func rejectsWhatIsNotAnAddress(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func twoSpellingsOfOneAddressAreEqual() {
        #expect(IPAddress("::1") == IPAddress("0:0:0:0:0:0:0:1"))
        #expect(IPAddress("2001:db8::a") == IPAddress("2001:DB8::A"))
    }
}
