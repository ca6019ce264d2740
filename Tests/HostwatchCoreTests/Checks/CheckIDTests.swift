import Testing
@testable import HostwatchCore

/// `CheckID`'s order is its descriptions' order, although it never builds them for ASCII names.
@Suite struct CheckIDTests {
    @Test func ordersAsItsDescriptionsDo() {
        let targets = ["a.test", "a.test-x", "a.testa", "a", "b.test", "a.test.", "xn--bcher-kva.test", "bücher.test", "Z.test", ""]
        let kinds = ["web", "smtp", "web-x", "w", "dns", "disk"]
        let indexes: [Int?] = [nil, 0, 1, 10, 2]
        var ids: [CheckID] = []
        for target in targets { for kind in kinds { for index in indexes { ids.append(CheckID(target: target, kind: kind, index: index)) } } }
        var generator = SystemRandomNumberGenerator()
        ids.shuffle(using: &generator)
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
        for lhs in ids.prefix(60) {
            for rhs in ids.prefix(60) {
                #expect((lhs < rhs) == (lhs.description < rhs.description), "\(lhs) < \(rhs)")
            }
        }
    }
}

@Suite struct ByteSearchTests {
    @Test(arguments: [
        ("hello world", "world", true), ("hello world", "hello", true), ("hello", "hello!", false),
        ("aaab", "aab", true), ("abc", "", true), ("", "a", false), ("Grüße aus Köln", "Köln", true),
        ("Grüße", "Gruße", false), ("xyxyz", "xyz", true), ("xyxy", "xyz", false),
    ])
    func findsWhatStringContainsFinds(haystack: String, needle: String, found: Bool) {
        #expect(ByteSearch.contains(Array(haystack.utf8), needle) == found)
        #expect(haystack.contains(needle) == found || needle.isEmpty)
    }
}
