import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct DiskCheckTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    let id = CheckID(target: "web01", kind: "disk", index: 0)
    static let gib: UInt64 = 1 << 30

    /// A 100 GiB filesystem at `/srv` with `usedGiB` used (no root reserve) and 1,000,000 inodes.
    static func stats(usedGiB: UInt64 = 40, inodesUsed: UInt64 = 10_000, readOnly: Bool = false, mountReadOnly: Bool = false,
                      mountPoint: String = "/srv") -> VolumeStats {
        VolumeStats(mountPoint: mountPoint, filesystemType: "ext4", source: "/dev/vdb1", totalBytes: 100 * gib,
                    freeBytes: (100 - usedGiB) * gib, availableBytes: (100 - usedGiB) * gib, totalInodes: 1_000_000,
                    freeInodes: 1_000_000 - inodesUsed, readOnly: readOnly, mountReadOnly: mountReadOnly)
    }

    func check(_ stub: StubDiskTransport, _ configuration: DiskCheck.Configuration = .init(mount: "/srv/")) -> DiskCheck {
        DiskCheck(id: id, configuration: configuration, transport: stub)
    }

    @Test func aRoomyDiskPasses() async {
        let o = await check(StubDiskTransport(Self.stats())).run(now: t0)
        #expect(o.outcome == .ok)
        #expect(o.summary == "/srv: 40.0% used, 60.0 GiB free, inodes 1.0% used")
        #expect(o.transcript.text.contains("* /srv: ext4 /dev/vdb1 mounted at /srv; superblock rw, this mount rw"))
    }

    /// Threshold edges with the default limits (warning above 85%, critical above 95%).
    @Test(arguments: [(85, nil), (86, Severity.warning), (95, .warning), (96, .critical)] as [(UInt64, Severity?)])
    func usedSpaceAboveALimitTakesItsSeverity(usedGiB: UInt64, severity: Severity?) async {
        let o = await check(StubDiskTransport(Self.stats(usedGiB: usedGiB))).run(now: t0)
        #expect(o.failure?.severity == severity)
        if let severity {
            #expect(o.failure?.kind == .thresholdBreached)
            #expect(o.failure?.category == .disk)
            #expect(o.failure?.message == "disk: /srv is \(usedGiB).0% full (\(severity.rawValue) above \(severity == .critical ? 95 : 85)%): "
                + "\(100 - usedGiB).0 GiB free of 100.0 GiB")
        }
    }

    @Test(arguments: [(850_000, nil), (850_001, Severity.warning), (950_001, .critical)] as [(UInt64, Severity?)])
    func usedInodesAboveALimitTakeItsSeverity(used: UInt64, severity: Severity?) async {
        let o = await check(StubDiskTransport(Self.stats(inodesUsed: used))).run(now: t0)
        #expect(o.failure?.severity == severity)
        if severity != nil { #expect(o.failure?.message.contains("of its inodes used") == true) }
    }

    @Test func freeBytesBelowTheCriticalMinimumIsCritical() async {
        var c = DiskCheck.Configuration(mount: "/srv")
        c.critical.freeBytes = 70 * Self.gib
        let o = await check(StubDiskTransport(Self.stats()), c).run(now: t0)
        #expect(o.failure?.severity == .critical)
        #expect(o.failure?.message == "disk: /srv has 60.0 GiB free (critical below 70.0 GiB)")
    }

    @Test func aReadOnlySuperblockIsCriticalButAReadOnlyViewIsNot() async {
        let ro = await check(StubDiskTransport(Self.stats(readOnly: true, mountReadOnly: true))).run(now: t0)
        #expect(ro.failure?.severity == .critical)
        #expect(ro.failure?.message.hasPrefix("disk: /srv is read-only") == true)
        let view = await check(StubDiskTransport(Self.stats(mountReadOnly: true))).run(now: t0)
        #expect(view.outcome == .ok)
        #expect(view.transcript.text.contains("superblock rw, this mount ro"))
    }

    @Test func theWorstFindingLeadsTheMessage() async {
        let o = await check(StubDiskTransport(Self.stats(usedGiB: 90, inodesUsed: 990_000, readOnly: true))).run(now: t0)
        #expect(o.failure?.severity == .critical)
        let message = o.failure?.message ?? ""
        #expect(message.hasPrefix("disk: /srv is read-only"))
        #expect(message.contains("; /srv has 99.0% of its inodes used (critical above 95%)"))
        #expect(message.hasSuffix("; /srv is 90.0% full (warning above 85%): 10.0 GiB free of 100.0 GiB"))
    }

    @Test func aPathThatIsNotAMountPointIsReportedNotMeasured() async {
        let o = await check(StubDiskTransport(Self.stats(usedGiB: 99, mountPoint: "/"))).run(now: t0)
        #expect(o.failure?.kind == .misconfigured)
        #expect(o.failure?.severity == .warning)
        #expect(o.failure?.message == "disk: /srv is not a mount point (nothing is mounted there; it lies on the filesystem mounted at /)")
    }

    @Test(arguments: [
        (DiskReadError.Kind.timeout, Severity.critical, CheckFailure.Kind.timeout),
        (.noSuchPath, .warning, .misconfigured),
        (.other, .warning, .unreachable),
    ])
    func measurementErrorsHaveTheirOwnSeverity(error: DiskReadError.Kind, severity: Severity, kind: CheckFailure.Kind) async {
        let stub = StubDiskTransport(Self.stats())
        stub.set(DiskReading(error: DiskReadError(kind: error, detail: "what happened")))
        let o = await check(stub).run(now: t0)
        #expect(o.failure?.severity == severity)
        #expect(o.failure?.kind == kind)
        #expect(o.failure?.message == "disk: /srv: what happened")
    }

    /// The growth fit over samples the check keeps itself, driven by injected times: 1 GiB used
    /// per minute with 60 GiB free is full within the hour (critical); at 1 GiB per 10 minutes,
    /// within the day (warning).
    @Test(arguments: [(60.0, Severity.critical, "1h"), (600.0, .warning, "1d")] as [(Double, Severity, String)])
    func aSteadyFillIsProjectedFromSamplesOverTime(secondsPerGiB: Double, severity: Severity, within: String) async {
        let stub = StubDiskTransport(Self.stats())
        let disk = check(stub)
        var last: Observation?
        for step in 0...10 {
            stub.set(Self.stats(usedGiB: 40 + UInt64(step)))
            last = await disk.run(now: t0.addingTimeInterval(Double(step) * secondsPerGiB))
            // Fewer than 3 samples, or less than 10 minutes of them, make no projection yet.
            if step < 2 || Double(step) * secondsPerGiB < 600 { #expect(last?.outcome == .ok, "step \(step)") }
        }
        let failure = last?.failure
        #expect(failure?.severity == severity)
        #expect(failure?.kind == .thresholdBreached)
        #expect(failure?.message.hasPrefix("disk: /srv will be full in about ") == true)
        #expect(failure?.message.hasSuffix("; \(severity.rawValue) within \(within))") == true, "\(failure?.message ?? "")")
        // The window is an hour: at 10 minutes per step only the last 7 samples are in it.
        #expect(disk.history.samples.count == (secondsPerGiB == 60 ? 11 : 7))
    }

    @Test func samplesOlderThanTheWindowAreForgotten() async {
        let stub = StubDiskTransport(Self.stats())
        var c = DiskCheck.Configuration(mount: "/srv")
        c.growthWindow = .seconds(600)
        let disk = check(stub, c)
        for step in 0..<20 { _ = await disk.run(now: t0.addingTimeInterval(Double(step) * 60)) }
        #expect(disk.history.samples.count == 11)
    }

    @Test func spaceProblemsListTheLargestDirectoriesAndReuseTheWalkForAWhile() async throws {
        let report = DirectoryUsageReport(entries: [
            DirectoryUsage(path: "/srv/small", bytes: 1 << 20, inodes: 900),
            DirectoryUsage(path: "/srv/www", bytes: 80 * Self.gib, inodes: 20),
            DirectoryUsage(path: "/srv/*", bytes: 4096, inodes: 3),
        ], otherFilesystems: ["/srv/backup"], duration: .milliseconds(250))
        let stub = StubDiskTransport(Self.stats(usedGiB: 97), report: report)
        let disk = check(stub)
        let first = await disk.run(now: t0)
        let text = first.transcript.text
        #expect(text.contains("* largest directories under /srv (one level, this filesystem only, walked in 250ms):\n"
            + "*   80.0 GiB\t20 inodes\t/srv/www\n*   1.0 MiB\t900 inodes\t/srv/small\n*   4.0 KiB\t3 inodes\t/srv/*\n"
            + "*   not counted (other filesystems): /srv/backup\n"))
        _ = await disk.run(now: t0.addingTimeInterval(60))
        #expect(stub.walks == 1)
        _ = await disk.run(now: t0.addingTimeInterval(301))
        #expect(stub.walks == 2)
    }

    @Test func inodeProblemsSortTheDirectoriesByInodes() async throws {
        let report = DirectoryUsageReport(entries: [
            DirectoryUsage(path: "/srv/www", bytes: 80 * Self.gib, inodes: 20),
            DirectoryUsage(path: "/srv/sessions", bytes: 1 << 20, inodes: 900_000),
        ], complete: false, duration: .seconds(5))
        let o = await check(StubDiskTransport(Self.stats(inodesUsed: 960_000), report: report)).run(now: t0)
        let text = o.transcript.text
        #expect(text.contains("walked in 5s; time budget ran out: sizes are at least these):\n*   1.0 MiB\t900000 inodes\t/srv/sessions\n"))
    }

    @Test(arguments: [(95, "1m35s"), (2533, "42m"), (2555, "43m"), (97_250, "1d3h1m")] as [(Int64, String)])
    func projectionsReadToTheMinute(seconds: Int64, text: String) {
        #expect(DiskCheck.approximately(.seconds(seconds)) == text)
    }

    @Test func aReadOnlyFilesystemAloneWalksNothing() async {
        let stub = StubDiskTransport(Self.stats(readOnly: true))
        _ = await check(stub).run(now: t0)
        #expect(stub.walks == 0)
    }
}
