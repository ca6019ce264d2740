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
        #expect(text.contains("\"since\" : \"2027-01-15T08:00:00Z\""))
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

    @Test func aLostIndexIsRebuiltFromTheTicketFiles() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        _ = try store.open(draft("check:a/web"))
        _ = try store.open(draft("check:b/web"))
        try FileManager.default.removeItem(atPath: folder + "/index.log")
        let fresh = try FileTicketStore(folder: folder)
        #expect(try fresh.list().map(\.id) == ["HW-2", "HW-1"])
        #expect(try fresh.open(draft("check:c/web")).id == "HW-3")
    }

    @Test func aWriterKilledBetweenTheIndexLineAndTheTicketFileIsRepaired() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        let a = try store.open(draft("check:a/web"))
        // Killed after appending the line of a new ticket, before its file: a line for nothing.
        var ghost = TicketSummary(Ticket(id: "HW-2", draft: draft("check:ghost/web")))
        ghost.archived = false
        try appendLine(TicketIndexLine.format(ghost), folder: folder)
        let other = try FileTicketStore(folder: folder)
        try other.repair()
        #expect(try other.list().map(\.id) == ["HW-1"])
        #expect(try other.open(draft("check:b/web")).id == "HW-3", "an id that may have been seen is never reused")
        // Killed after the line of an update, before the file: the line claims a change that did not happen.
        var resolved = a
        resolved.resolve(at: t0.addingTimeInterval(60), step: "recovered")
        try appendLine(TicketIndexLine.format(TicketSummary(resolved)), folder: folder)
        let third = try FileTicketStore(folder: folder)
        #expect(try third.list().first { $0.id == "HW-1" }?.status == .resolved)
        try third.repair()
        #expect(try third.list().first { $0.id == "HW-1" }?.status == .open)
    }

    @Test func aNewTicketKilledBeforeItsFileIsCompletedFromItsOutboxEvent() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        let opened = try store.open(draft("check:a/web"))
        // Killed after the event and the index line, before the ticket file: as if never written.
        #expect(unlink(folder + "/tickets/\(opened.id).json") == 0)
        let restarted = try FileTicketStore(folder: folder)
        try restarted.repair()
        #expect(try restarted.list().map(\.id) == [opened.id], "the opening is completed, not rolled back")
        #expect(try restarted.ticket(id: opened.id) == opened)
        #expect(try restarted.discardOrphanEvents() == 0, "its event is delivered, not discarded")
    }

    @Test func aChangeKilledBeforeItsFileIsCompletedFromItsOutboxEvent() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        let opened = try store.open(draft("check:a/web"))
        let before = try #require(FileManager.default.contents(atPath: folder + "/tickets/\(opened.id).json"))
        let resolved = try store.update(id: opened.id) { ticket throws(TicketStoreError) in
            ticket.resolve(at: t0.addingTimeInterval(60), step: "recovered")
        }
        // Killed after the event and the index line, before the ticket file: the old file is there.
        try before.write(to: URL(fileURLWithPath: folder + "/tickets/\(opened.id).json"))
        let restarted = try FileTicketStore(folder: folder)
        try restarted.repair()
        #expect(try restarted.ticket(id: opened.id) == resolved, "the resolution is completed, not rolled back")
        #expect(try restarted.list().first?.status == .resolved)
        #expect(try restarted.discardOrphanEvents() == 0, "its event is delivered, not discarded")
    }

    func appendLine(_ line: String, folder: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/index.log"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
        try handle.close()
    }

    @Test func oldResolvedTicketsMoveToTheArchiveWhereRelatedStillFindsThem() throws {
        let folder = makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try FileTicketStore(folder: folder)
        let old = try store.open(draft("check:a/web", domain: "a.test"))
        _ = try store.update(id: old.id) { ticket throws(TicketStoreError) in ticket.resolve(at: t0.addingTimeInterval(60), step: "ok") }
        _ = try store.open(draft("check:b/web", domain: "b.test"))
        #expect(try store.archive(resolvedBefore: t0.addingTimeInterval(3600)) == 1)
        #expect(try store.list().map(\.id) == ["HW-2"])
        #expect(try store.list(includingArchive: true).map(\.id) == ["HW-2", "HW-1"])
        #expect(try store.ticket(id: "HW-1")?.status == .resolved)
        #expect(FileManager.default.fileExists(atPath: folder + "/archive/HW-1.json"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/tickets/HW-1.json"))
        // Still found as history by the next ticket for the same domain, and rebuilt from files.
        let again = try store.open(draft("check:a/web", domain: "a.test"))
        #expect(again.related.map(\.id) == ["HW-2", "HW-1"], "HW-1 by domain (archived), HW-2 by account")
        try FileManager.default.removeItem(atPath: folder + "/index.log")
        #expect(try FileTicketStore(folder: folder).list(includingArchive: true).filter(\.archived).map(\.id) == ["HW-1"])
    }

    @Test(arguments: ["plain", "tab\there", "line\nbreak", "back\\slash", "ünïcödé — “quotes”"])
    func indexLinesRoundTripAnyText(text: String) throws {
        var ticket = Ticket(id: "HW-7", draft: draft("check:\(text)/web"))
        ticket.subject = text
        ticket.solution = text
        ticket.accounts = [.init(name: text, plan: .free), .init(name: "b", plan: .plus)]
        let line = TicketIndexLine.format(TicketSummary(ticket))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let parsed = try #require(TicketIndexLine.parse(line.dropLast())?.summary)
        #expect(parsed == TicketSummary(ticket))
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
