import Foundation
import HostwatchCore
import Testing
@testable import HostwatchIO

@Suite struct MetricsExporterTests {
    func folder() throws -> String {
        let dir = NSTemporaryDirectory() + "hostwatch-metrics-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func snapshot(at seconds: Double) -> MetricsSnapshot {
        MetricsSnapshot(checks: [.init(check: CheckID(target: "a.test", kind: "web"), up: false, startedAt: Date(timeIntervalSince1970: seconds),
                                       duration: .milliseconds(3))],
                        openIncidents: [.warning: 2], outboxPending: 0, takenAt: Date(timeIntervalSince1970: seconds))
    }

    @Test func writesTheRenderedSnapshotWorldReadableWithNoTemporaryFileLeft() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/hostwatch.prom"
        try MetricsExporter.write(snapshot(at: 1_790_000_000), to: path)
        try MetricsExporter.write(snapshot(at: 1_790_000_060), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == MetricsText.render(snapshot(at: 1_790_000_060)))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["hostwatch.prom"])
    }

    @Test func aMissingFolderIsAnErrorNamingThePath() throws {
        let error = #expect(throws: MetricsExporter.WriteError.self) {
            try MetricsExporter.write(snapshot(at: 0), to: "/nonexistent-hostwatch/hostwatch.prom")
        }
        #expect(error?.description.contains("/nonexistent-hostwatch/") == true)
    }

    @Test func rewritesTheFileEveryCycle() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/hostwatch.prom"
        let cycles = LockedCounter()
        let exporter = MetricsExporter(configuration: AgentConfig.Metrics(textfile: path, every: .milliseconds(20)),
                                       logger: Logger(label: "test", level: .error)) {
            cycles.increment()
            return snapshot(at: Double(1_790_000_000 + cycles.value))
        }
        let task = Task { await exporter.run() }
        defer { task.cancel() }
        // Cycle n writes the time 1790000000 + n: a file from the third cycle or later proves the rewrites.
        func lastCycle() -> Int? {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("hostwatch_last_cycle_timestamp_seconds ") }
            return line.flatMap { Int($0.split(separator: " ")[1]) }
        }
        #expect(try await waitFor { (lastCycle() ?? 0) >= 1_790_000_003 })
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#"hostwatch_open_incidents{severity="warning"} 2"#))
    }
}
