import Foundation
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

    /// Tickets name their checks by description; the scheduler reads the names back.
    @Test func readsBackEveryDescription() {
        for target in ["a.test", "bücher.test", "xn--bcher-kva.test", "web01"] {
            for kind in ["web", "smtp", "mail_roundtrip", "disk"] {
                for index in [nil, 0, 3, 12] as [Int?] {
                    let id = CheckID(target: target, kind: kind, index: index)
                    #expect(CheckID(description: id.description) == id)
                }
            }
        }
        for text in ["", "a.test", "/web", "a.test/", "a.test/web[", "a.test/web[x]", "a.test/web[-1]", "a.test/w/b", "a.test/[1]"] {
            #expect(CheckID(description: text) == nil, "\(text)")
        }
    }

    /// 24 bytes (the kind as a number): the saved tracker state reads and writes the kind by
    /// name as before, kinds outside the fixed ones keep their names, and equal IDs hash alike.
    @Test func isSmallAndKeepsItsNamesAndItsSavedForm() throws {
        #expect(MemoryLayout<CheckID>.stride == 24)
        let ids = [CheckID(target: "a.test", kind: "web", index: 1), CheckID(target: "a.test", kind: "web"),
                   CheckID(target: "web01", kind: "disk", index: 0), CheckID(target: "a.test", kind: "not-a-kind-\(Int.random(in: 0..<1_000_000))", index: 7)]
        for id in ids {
            let data = try JSONEncoder().encode(id)
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(object["kind"] as? String == id.kind)
            #expect(object["target"] as? String == id.target)
            #expect(object["index"] as? Int == id.index)
            #expect(object.count == (id.index == nil ? 2 : 3))
            #expect(try JSONDecoder().decode(CheckID.self, from: data) == id)
            let copy = CheckID(target: id.target, kind: String(id.kind), index: id.index)
            #expect(copy == id && copy.hashValue == id.hashValue)
        }
        #expect(ids[3].kind.hasPrefix("not-a-kind-"))
        #expect(CheckID(target: "a.test", kind: "web") != CheckID(target: "a.test", kind: "smtp"))
        #expect(CheckID(target: "a.test", kind: "web", index: 0) != CheckID(target: "a.test", kind: "web"))
        // The form a tracker state saved before this layout.
        let saved = Data(#"{"target":"b.test","kind":"smtp","index":2}"#.utf8)
        #expect(try JSONDecoder().decode(CheckID.self, from: saved) == CheckID(target: "b.test", kind: "smtp", index: 2))
        var id = CheckID(target: "c.test", kind: "dns")
        id.kind = "imap"
        id.index = 4
        #expect(id.description == "c.test/imap[4]")
        id.index = nil
        #expect(id.description == "c.test/imap")
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
