import Foundation
import Testing
@testable import HostwatchCore
@testable import HostwatchIO

@Suite struct FileTicketStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func draft(_ key: String, domain: String = "shop.test") -> TicketDraft {
        TicketDraft(key: key, severity: .critical, category: .siteOffline, cause: .infrastructure,
                    subject: "\(domain): site offline", server: .init(name: "web01", address: "127.0.0.1"),
                    accounts: [.init(name: "Shop", plan: .plus)], domains: [domain], checks: ["\(domain)/web"],
                    since: t0, openedAt: t0.addingTimeInterval(30),
                    steps: [.init(at: t0, text: "failed")], attachments: [.init(name: "transcript-web.txt", content: "* Trying\n")])
    }

    func makeFolder() -> String {
        let path = NSTemporaryDirectory() + "hostwatch-store-\(UInt64.random(in: 0...UInt64.max))"
        return path
    }

    @Test func opensTicketsWithSequentialIDsAndReadsThemBack() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        let a = try store.open(draft("check:a/web"))
        let b = try store.open(draft("check:b/web"))
        #expect(a.id == "HW-1")
        #expect(b.id == "HW-2")
        let read = try #require(try store.ticket(id: "HW-1"))
        #expect(read == a)
        #expect(try store.list().map(\.id) == ["HW-2", "HW-1"])
        #expect(try store.openTickets().map(\.key).sorted() == ["check:a/web", "check:b/web"])
    }

    @Test func theOnDiskTicketFollowsTheSchema() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        _ = try store.open(draft("check:a/web"))
        let text = try String(contentsOfFile: folder + "/tickets/HW-1.json", encoding: .utf8)
        #expect(text.contains("\"schema\" : \"hostwatch.ticket/1\""))
        #expect(text.contains("\"opened_at\" : \"2027-01-15T08:00:30Z\""))
        #expect(text.contains("\"around_the_clock\" : true"))
        #expect(text.contains("\"external_refs\" : {"))
    }

    @Test func resolvingRecordsTheDowntimeFromTheFirstFailure() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        let ticket = try store.open(draft("check:a/web"))
        let t1 = t0.addingTimeInterval(600)
        let resolved = try store.update(id: ticket.id) { ticket throws(TicketStoreError) in ticket.resolve(at: t1, step: "recovered") }
        #expect(resolved.status == .resolved)
        #expect(resolved.downtimeSeconds == 600)
        #expect(try store.list().first?.status == .resolved)
        #expect(try store.openTickets().isEmpty)
    }

    @Test func aNewTicketNamesTheEarlierTicketsItWasGivenWithTheirSolution() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        let first = try store.open(draft("check:a/web"))
        _ = try store.update(id: first.id) { ticket throws(TicketStoreError) in
            ticket.resolve(at: t0.addingTimeInterval(60), step: "recovered", solution: "restarted php-fpm")
        }
        var next = draft("check:a/web")
        next.relatedIDs = [first.id]
        let second = try store.open(next)
        #expect(second.related.map(\.id) == ["HW-1"])
        #expect(second.related.first?.solution == "restarted php-fpm")
        #expect(second.related.first?.resolvedAt == t0.addingTimeInterval(60))
    }

    @Test func silencesAreAddedListedAndRemovedEvenBeforeTheAgentMadeTheFolder() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let silences = FileSilenceStore(folder: folder)
        let a = try silences.add(target: .server, start: t0, end: t0.addingTimeInterval(3600), reason: "kernel", by: "ann")
        let b = try silences.add(target: .domain("a.test"), start: t0, end: t0.addingTimeInterval(60), reason: "deploy", by: "bob")
        #expect([a.id, b.id] == ["S-1", "S-2"])
        #expect(try silences.list(at: t0.addingTimeInterval(30)).map(\.id) == ["S-1", "S-2"])
        #expect(try silences.list(at: t0.addingTimeInterval(90)).map(\.id) == ["S-1"])
        #expect(try silences.remove(id: "S-1"))
        #expect(try !silences.remove(id: "S-1"))
        #expect(try silences.list(at: t0).map(\.id) == ["S-2"])
    }

    @Test func anUnknownIDIsReportedNotCreated() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        #expect(try store.ticket(id: "HW-9") == nil)
        #expect(try store.ticket(id: "../../etc/passwd") == nil)
        #expect(throws: TicketStoreError.self) { try store.update(id: "HW-9") { _ throws(TicketStoreError) in } }
    }

    @Test func aLostOrStaleIndexIsRebuiltFromTheTicketFiles() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        _ = try store.open(draft("check:a/web"))
        _ = try store.open(draft("check:b/web"))
        try FileManager.default.removeItem(atPath: folder + "/index.json")
        #expect(try store.list().map(\.id) == ["HW-2", "HW-1"])
        // A crash between the ticket write and the index write leaves a ticket the index lacks.
        let orphan = Ticket(id: "HW-3", draft: draft("check:c/web"))
        try FileTicketStore.encoder.encode(orphan).write(to: URL(fileURLWithPath: folder + "/tickets/HW-3.json"))
        #expect(try store.list().map(\.id) == ["HW-3", "HW-2", "HW-1"])
        #expect(try store.open(draft("check:d/web")).id == "HW-4")
    }

    @Test func twoStoresOnOneFolderNeverHandOutTheSameID() async throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try FileTicketStore(folder: folder)
        let second = try FileTicketStore(folder: folder)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<40 {
                let store = i.isMultiple(of: 2) ? first : second
                let d = draft("check:\(i)/web")
                group.addTask { try store.open(d).id }
            }
            var ids: [String] = []
            for try await id in group { ids.append(id) }
            return ids
        }
        #expect(Set(ids).count == 40)
        #expect(try first.list().count == 40)
    }
}
