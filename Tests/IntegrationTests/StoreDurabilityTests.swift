import Foundation
import HostwatchCore
import HostwatchIO
import Testing

/// The store killed at random instants and written by several processes at once: no ticket
/// lost, duplicated or unreadable.
@Suite(.serialized)
struct StoreDurabilityTests {
    var benchPath: String {
        get throws {
            let path = PathText.parent(of: try HostwatchBinary().path) + "/hostwatch-bench"
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw FixtureError.fileSystem(path: path, reason: "hostwatch-bench is not built next to the tests")
            }
            return path
        }
    }

    /// Every ticket file parses, ids are unique, and after a repair the index lists exactly the files.
    func verify(_ folder: String, committed: [String: Int]) throws {
        let store = try FileTicketStore(folder: folder)
        try store.repair()
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/tickets").filter { $0.hasSuffix(".json") }
        var tickets: [String: Ticket] = [:]
        for file in files {
            let data = try #require(FileManager.default.contents(atPath: folder + "/tickets/" + file))
            let ticket = try FileTicketStore.decoder.decode(Ticket.self, from: data)
            #expect(tickets[ticket.id] == nil, "duplicate \(ticket.id)")
            #expect(file == ticket.id + ".json")
            tickets[ticket.id] = ticket
        }
        for (id, steps) in committed {
            let ticket = try #require(tickets[id], "committed \(id) is missing")
            #expect(ticket.steps.count >= steps, "\(id) lost a committed step")
        }
        let listed = try store.list(includingArchive: true)
        #expect(Set(listed.map(\.id)) == Set(tickets.keys))
        #expect(listed.count == tickets.count)
        for summary in listed { #expect(summary == TicketSummary(tickets[summary.id]!)) }
    }

    @Test func aWriterKilledAtRandomPointsAHundredTimesLosesNothing() throws {
        let dir = try TempDirectory(prefix: "hostwatch-kill")
        defer { try? dir.remove() }
        let folder = dir.appending("state")
        let bench = try benchPath
        var committed: [String: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<100 {
            let log = dir.appending("writer-\(round).log")
            let writer = try ChildProcess(executable: bench, arguments: ["store-writer", "--state", folder], logFile: log)
            // Once it has committed something, let it go on for a random 0–20 ms (mid-write,
            // most likely), then kill it without warning.
            _ = waitUntil(timeout: .seconds(20), poll: .milliseconds(1)) {
                (FileManager.default.contents(atPath: log)?.count ?? 0) > 0
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.02, using: &generator))
            try writer.signalGroup(SIGKILL)
            _ = writer.waitForExit(timeout: .seconds(10))
            let output = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
            for line in output.split(separator: "\n") where line.hasPrefix("committed ") {
                let parts = line.split(separator: " ")
                let id = String(parts[1])
                committed[id] = max(committed[id] ?? 0, parts[2] == "updated" ? Int(parts[3]) ?? 1 : 1)
            }
        }
        #expect(committed.count >= 100, "every round commits at least one ticket before the kill")
        try verify(folder, committed: committed)
    }

    @Test func anAgentAndTwoCommandLinesWritingAtOnceLoseNothing() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-concurrent")
        defer { try? dir.remove() }
        let folder = dir.appending("state")
        let binary = try HostwatchBinary()
        let store = try FileTicketStore(folder: folder)
        let target = try store.open(StoreBenchDraft.make("target.test"))
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try #"{ server: { name: "c", address: "127.0.0.1" }, state_dir: "state" }"#
            .write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        let config = dir.appending("hostwatch.json5")
        // Two CLIs adding notes to one ticket while a writer process opens and updates others.
        let writer = try ChildProcess(executable: try benchPath, arguments: ["store-writer", "--state", folder, "--count", "60"],
                                      logFile: dir.appending("writer.log"))
        async let first = notes(binary, config: config, id: target.id, by: "ann", count: 25)
        async let second = notes(binary, config: config, id: target.id, by: "bob", count: 25)
        let results = try await [first, second]
        #expect(writer.waitForExit(timeout: .seconds(60)) == 0)
        #expect(results.allSatisfy { $0 })
        let ticket = try #require(try FileTicketStore(folder: folder).ticket(id: target.id))
        for by in ["ann", "bob"] {
            let texts = Set(ticket.steps.filter { $0.actor == by }.map(\.text))
            #expect(texts == Set((0..<25).map { "note: \(by) \($0)" }))
        }
        let output = String(decoding: FileManager.default.contents(atPath: dir.appending("writer.log")) ?? Data(), as: UTF8.self)
        var committed: [String: Int] = [target.id: 51]
        for line in output.split(separator: "\n") where line.hasPrefix("committed ") {
            let parts = line.split(separator: " ")
            committed[String(parts[1])] = max(committed[String(parts[1])] ?? 0, parts[2] == "updated" ? Int(parts[3]) ?? 1 : 1)
        }
        #expect(committed.count == 61)
        try verify(folder, committed: committed)
    }

    func notes(_ binary: HostwatchBinary, config: String, id: String, by: String, count: Int) async throws -> Bool {
        for n in 0..<count {
            let out = try binary.run(["tickets", "note", id, "\(by) \(n)", "--by", by, "--config", config])
            guard out.status == 0 else { return false }
        }
        return true
    }
}

/// A draft for store tests.
enum StoreBenchDraft {
    static func make(_ domain: String) -> TicketDraft {
        let now = Date()
        return TicketDraft(key: "check:\(domain)/web", severity: .critical, category: .siteOffline, cause: .infrastructure,
                           subject: "\(domain): site offline", server: .init(name: "c", address: "127.0.0.1"),
                           accounts: [.init(name: "A", plan: .free)], domains: [domain], checks: ["\(domain)/web"],
                           since: now, openedAt: now, steps: [.init(at: now, text: "failed")], attachments: [])
    }
}
