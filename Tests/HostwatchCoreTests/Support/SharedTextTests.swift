import HostwatchTestKit
import Testing
@testable import HostwatchCore

/// One suite, serialized: the table is the process's, and the bound's test empties it.
@Suite(.serialized) struct SharedTextTests {
    /// Where a string's bytes are: two strings with the same address share one heap block.
    static func storage(_ text: String) -> UnsafeRawPointer? {
        var text = text
        return text.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func equalTextsMadeApartComeBackAsOneCopy() {
        let number = Int.random(in: 1_000_000...9_999_999)
        let first = "endpoint:203.0.113.\(number % 250):443/https \(number)"
        let second = "endpoint:203.0.113.\(number % 250):443/https \(number)"
        #expect(Self.storage(first) != Self.storage(second))
        let kept = SharedText.one(first)
        #expect(Self.storage(kept) == Self.storage(first))
        #expect(Self.storage(SharedText.one(second)) == Self.storage(first))
        #expect(SharedText.one(second) == second)
    }

    @Test func shortTextsAreLeftAsTheyAre() {
        let before = SharedText.count
        #expect(SharedText.one("ok") == "ok")
        #expect(SharedText.one("127.0.0.1:80/tcp") == "127.0.0.1:80/tcp")   // 16 bytes: shared
        #expect(SharedText.count <= before + 1)
    }

    @Test func theTableNeverHoldsMoreThanItsLimit() {
        for i in 0..<(SharedText.limit + 100) { _ = SharedText.one("unique text number \(i) of a long run") }
        #expect(SharedText.count <= SharedText.limit)
        #expect(SharedText.count >= 100)
    }

    @Test func checksOfOneServerHoldOneCopyOfTheirEndpoint() {
        let transport = StubHTTPTransport([HTTPResponse()])
        let checks = (0..<3).map { i in
            HTTPCheck(id: CheckID(target: "site\(i).example", kind: "web"), configuration: .init(url: "https://site\(i).example/"),
                      serverAddress: "203.0.113.10", transport: transport)
        }
        #expect(checks.map(\.endpoint) == Array(repeating: "203.0.113.10:443/https", count: 3))
        #expect(Set(checks.map { Self.storage($0.endpoint!) }).count == 1)
    }
}
