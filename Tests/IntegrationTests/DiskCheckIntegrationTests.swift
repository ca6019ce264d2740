import Foundation
import HostwatchCore
import HostwatchIO
import Testing

/// The disk check against real filesystems: a 16 MiB tmpfs filled past its thresholds, out of
/// inodes, remounted read-only; a read-only bind inside a private mount namespace; growth over
/// injected time. Root only (mounting).
@Suite(.serialized, .enabled(if: Tmpfs.canMount, "mounting a tmpfs needs root"))
struct DiskCheckIntegrationTests {
    func writeConfig(in dir: TempDirectory, disks: [String]) throws -> String {
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        let entries = disks.map { """
            { mount: "\($0)", warning: { used_percent: 50, inodes_percent: 50 }, critical: { used_percent: 90, inodes_percent: 90 } }
            """ }.joined(separator: ", ")
        try """
        { server: { name: "disk-test", address: "127.0.0.1" }, state_dir: "state", checks: "checks",
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "5s", failures: 2, recoveries: 1 },
          disks: [\(entries)] }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        return dir.appending("hostwatch.json5")
    }

    @Test func fillingPastThresholdsRunningOutOfInodesAndARemountReadOnly() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-disk")
        defer { try? dir.remove() }
        let tmpfs = try await blocking { try Tmpfs(at: dir.appending("srv"), sizeMiB: 16, inodes: 400) }
        defer { tmpfs.unmount() }
        // Another filesystem mounted inside: its contents must not be counted.
        let inner = try await blocking { try Tmpfs(at: tmpfs.path + "/backup", sizeMiB: 64) }
        defer { inner.unmount() }
        try await blocking { try inner.write("archive.tar", bytes: 20 << 20) }
        let config = try writeConfig(in: dir, disks: [tmpfs.path])
        let binary = try HostwatchBinary()
        let id = "disk-test/disk[0]"

        let empty = try await blocking { try binary.check(config: config) }
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.results[id]?.summary.hasPrefix("\(tmpfs.path): 0.0% used, 16.0 MiB free, inodes ") == true, "\(empty.stderr)")

        try await blocking { try tmpfs.write("www/site/big.bin", bytes: 10 << 20) }
        let warning = try await blocking { try binary.check(config: config) }
        #expect(warning.status == 1, "\(warning.stderr)")
        let w = try #require(warning.results[id])
        #expect(w.severity == "warning")
        #expect(w.category == "disk")
        #expect(w.summary.hasPrefix("disk: \(tmpfs.path) is 62.") && w.summary.contains("% full (warning above 50%)"), "\(w.summary)")
        #expect(w.transcript.contains("largest directories under \(tmpfs.path) (one level, this filesystem only"))
        #expect(w.transcript.contains("not counted (other filesystems): \(tmpfs.path)/backup"))

        try await blocking { try tmpfs.write("mail/spool.bin", bytes: 5 << 20) }
        let critical = try await blocking { try binary.check(config: config) }
        #expect(critical.status == 2, "\(critical.stderr)")
        let c = try #require(critical.results[id])
        #expect(c.severity == "critical")
        #expect(c.summary.contains("% full (critical above 90%)"))
        // Largest first: www (10 MiB) before mail (5 MiB); the 20 MiB on the inner mount not at all.
        let lines = c.transcript.split(separator: "\n")
        let www = try #require(lines.firstIndex { $0.hasSuffix("\t\(tmpfs.path)/www") && $0.contains("10.0 MiB") }, "\(c.transcript)")
        let mail = try #require(lines.firstIndex { $0.hasSuffix("\t\(tmpfs.path)/mail") && $0.contains("5.0 MiB") }, "\(c.transcript)")
        #expect(www < mail)

        try await blocking { try tmpfs.remove("www") }
        try await blocking { try tmpfs.remove("mail") }
        try await blocking { try tmpfs.touch("sessions", count: 380) }
        let inodes = try await blocking { try binary.check(config: config) }
        #expect(inodes.status == 2, "\(inodes.stderr)")
        let i = try #require(inodes.results[id])
        #expect(i.summary.contains("of its inodes used (critical above 90%)"), "\(i.summary)")
        let first = i.transcript.split(separator: "\n").first { $0.hasPrefix("*   ") }
        #expect(first?.hasSuffix("\t\(tmpfs.path)/sessions") == true, "\(i.transcript)")

        try await blocking { try tmpfs.remove("sessions") }
        let recovered = try await blocking { try binary.check(config: config) }
        #expect(recovered.status == 0, "\(recovered.stderr)")

        try await blocking { try tmpfs.remountReadOnly() }
        let readOnly = try await blocking { try binary.check(config: config) }
        #expect(readOnly.status == 2, "\(readOnly.stderr)")
        let r = try #require(readOnly.results[id])
        #expect(r.summary.hasPrefix("disk: \(tmpfs.path) is read-only"))
        #expect(r.transcript.contains("superblock ro, this mount ro"))
    }

    /// Inside a private mount namespace: a read-only bind of a writable tmpfs (what a sandbox
    /// such as ProtectSystem=strict does to every mount) is not reported; a superblock remount is.
    @Test func aReadOnlyBindIsNotReportedButASuperblockRemountIs() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-disk")
        defer { try? dir.remove() }
        let bound = dir.appending("bound"), remounted = dir.appending("remounted")
        for path in [bound, remounted] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        let config = try writeConfig(in: dir, disks: [bound, remounted])
        let binary = try HostwatchBinary()
        let output = dir.appending("check.json")
        let script = """
        set -e
        mount -t tmpfs -o size=16m tmpfs '\(bound)'
        mount -o bind,ro '\(bound)' '\(bound)'
        mount -t tmpfs -o size=16m tmpfs '\(remounted)'
        mount -o remount,ro '\(remounted)'
        grep -F '\(dir.path)' /proc/self/mountinfo >&2
        '\(binary.path)' check --json --config '\(config)' > '\(output)' || echo "exit $?" >&2
        """
        let run = try await blocking { try ChildProcess.run("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script], timeout: .seconds(60)) }
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("exit 2"), "\(run.output)")
        let results = try FileTicketStore.decoder.decode([CheckResult].self, from: Data(contentsOf: URL(fileURLWithPath: output)))
        let byID = Dictionary(uniqueKeysWithValues: results.map { ($0.check, $0) })
        let view = try #require(byID["disk-test/disk[0]"])
        #expect(view.status == "ok", "\(view.summary)")
        #expect(view.transcript.contains("superblock rw, this mount ro"), "\(view.transcript)")
        let ro = try #require(byID["disk-test/disk[1]"])
        #expect(ro.severity == "critical")
        #expect(ro.summary.hasPrefix("disk: \(remounted) is read-only"))
        // Nothing leaked out of the namespace.
        #expect(!(String(decoding: FileManager.default.contents(atPath: "/proc/self/mountinfo") ?? Data(), as: UTF8.self)).contains(bound))
    }

    /// Growth from real writes, judged at injected times: 1 MiB a minute into a 16 MiB tmpfs is
    /// projected full within the hour well before any space threshold is crossed.
    @Test func writesOverTimeAreProjectedToAFullDisk() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-disk")
        defer { try? dir.remove() }
        let tmpfs = try await blocking { try Tmpfs(at: dir.appending("grow"), sizeMiB: 16) }
        defer { tmpfs.unmount() }
        let configuration = DiskCheck.Configuration(
            mount: tmpfs.path, warning: DiskCheck.Limits(usedPercent: 95, fullWithin: .seconds(86_400)),
            critical: DiskCheck.Limits(usedPercent: 99, fullWithin: .seconds(3600)), timing: CheckTiming(timeout: .seconds(5)))
        let check = DiskCheck(id: CheckID(target: "disk-test", kind: "disk", index: 0), configuration: configuration,
                              transport: LocalDiskTransport())
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var last: Observation?
        for minute in 0...10 {
            try await blocking { try tmpfs.write("logs/app-\(minute).log", bytes: 1 << 20) }
            last = await check.run(now: t0.addingTimeInterval(Double(minute) * 60))
            if minute < 10 { #expect(last?.outcome == .ok, "minute \(minute): \(last?.summary ?? "")") }
        }
        let failure = try #require(last?.failure)
        #expect(failure.severity == .critical)
        #expect(failure.message.hasPrefix("disk: \(tmpfs.path) will be full in about "), "\(failure.message)")
        #expect(failure.message.contains("at the rate of the last 10m (1.0 MiB/min; critical within 1h)"), "\(failure.message)")
        #expect(last?.transcript.text.contains("growth: 11 samples over 10m: 1.0 MiB/min used; full in about") == true)
    }
}
