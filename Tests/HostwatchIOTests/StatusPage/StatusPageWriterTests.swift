import Foundation
import HostwatchTestKit
import HostwatchCore
import Testing
@testable import HostwatchIO

@Suite struct StatusPageWriterTests {
    let now = Date(timeIntervalSince1970: 1_796_090_400)

    func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "hostwatch-status-page-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func page(_ domains: [String], downFirst: Bool = false) -> StatusPage {
        StatusPage(server: "web01", isPublic: false, domains: domains.enumerated().map { i, name in
            StatusPage.Domain(name: name, checks: [.init(name: "web", state: downFirst && i == 0 ? .down : .ok,
                                                         days: Array(repeating: 10_000, count: StatusPage.barDays),
                                                         figures: .init(last24h: 1, last30d: 1, last90d: 1))])
        }, incidents: [])
    }

    @Test func writesEveryPageReadableByTheWebServerAndRewritesOnlyWhatChanged() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = StatusPageWriter(folder: dir + "/www")
        #expect(try writer.write(page(["a.test", "b.test"]), at: now) == 3)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/www/d/a.test.html")[.posixPermissions] as? Int
        #expect(mode == 0o644)
        let folderMode = try FileManager.default.attributesOfItem(atPath: dir + "/www/d")[.posixPermissions] as? Int
        #expect(folderMode == 0o755)
        // Nothing changed but the time: nothing is written.
        #expect(try writer.write(page(["a.test", "b.test"]), at: now.addingTimeInterval(60)) == 0)
        // a.test goes down: its page and the index.
        #expect(try writer.write(page(["a.test", "b.test"], downFirst: true), at: now.addingTimeInterval(120)) == 2)
        let index = try String(contentsOfFile: dir + "/www/index.html", encoding: .utf8)
        #expect(index.contains("1 failing, 1 down") || index.contains("0 failing, 1 down"))
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/www").sorted() == ["d", "index.html"])
    }

    @Test func removesThePagesOfDomainsNoLongerShown() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = StatusPageWriter(folder: dir)
        try writer.write(page(["a.test", "b.test"]), at: now)
        try writer.write(page(["b.test"]), at: now)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/d") == ["b.test.html"])
    }

    @Test func rewritesAPageSomeoneDeleted() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = StatusPageWriter(folder: dir)
        try writer.write(page(["a.test"]), at: now)
        try FileManager.default.removeItem(atPath: dir + "/d/a.test.html")
        #expect(try writer.write(page(["a.test"]), at: now) == 1)
    }

    @Test func anUnwritableFolderIsAnErrorNotACrash() throws {
        let writer = StatusPageWriter(folder: "/proc/hostwatch-cannot-be-here")
        #expect(throws: TicketStoreError.self) { try writer.write(page(["a.test"]), at: now) }
    }
}

@Suite struct HistoryFilesTests {
    func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "hostwatch-history-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func uptimeSurvivesASaveAndALoad() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = UptimeFile(stateDir: dir)
        #expect(try file.load() == UptimeHistory(), "no file: an empty history")
        var history = UptimeHistory()
        let start = Date(timeIntervalSince1970: 1_796_083_200)
        for minute in 0..<600 {
            history.record("a.test/web", ok: minute % 7 != 0, at: start.addingTimeInterval(Double(minute) * 60), maxGap: .seconds(120))
        }
        try file.save(history)
        #expect(try file.load() == history)
    }

    @Test func aDamagedUptimeFileIsReportedAsCorrupt() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("HWUPTIME\u{1}garbage".utf8).write(to: URL(fileURLWithPath: dir + "/uptime.bin"))
        #expect { try UptimeFile(stateDir: dir).load() } throws: { error in
            if case .corrupt = error as? TicketStoreError { return true }
            return false
        }
    }

    @Test func diskGrowthSamplesSurviveASaveAndALoad() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = DiskGrowthFile(stateDir: dir)
        #expect(try file.load().isEmpty)
        let samples = (0..<5).map { DiskGrowth.Sample(time: Date(timeIntervalSince1970: 1_796_083_200 + Double($0) * 60),
                                                      availableBytes: 10_000_000_000 - UInt64($0) * 50_000_000) }
        try file.save(["/": samples, "/srv": []])
        let loaded = try file.load()
        #expect(loaded["/"] == samples)
        #expect(loaded["/srv"] == [])
        // A history started from them projects at once, without waiting for a new window.
        let history = DiskCheck.History(samples: loaded["/"] ?? [])
        #expect(DiskGrowth.project(history.samples, minimumSpan: .seconds(120)) != nil)
    }
}
