import Foundation
import Glibc
import HostwatchCore
import HostwatchIO
import HostwatchTestKit
import Testing

/// Issue 15, item 2: the state folder on a small tmpfs that fills up (or turns read-only) during
/// an incident. The agent logs a clear error (once, not at every retry), tells systemd it is
/// degraded (`STATUS=` on the agent's `$NOTIFY_SOCKET`, and the normal line back when writing works
/// again), keeps checking, keeps the ticket event and writes it once space returns, and leaves
/// nothing half-written.
@Suite(.serialized, .enabled(if: Tmpfs.canMount, "mounting a tmpfs needs root"))
struct FullStateDiskTests {
    enum Fault: String, CaseIterable, Sendable {
        case full
        case readOnly = "read-only"
    }

    /// The agent's config and a.test's check file in `dir`: one site, checked every second;
    /// `extra` adds top-level keys.
    func writeConfig(in dir: TempDirectory, address: String, extra: String = "") throws {
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try """
        {
          server: { name: "fulldisk", address: "\(address)" },
          state_dir: "state",
          checks: "checks",
          defaults: { interval: "1s", retry_interval: "300ms", timeout: "2s", failures: 2, recoveries: 1 },
        \(extra)
        }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "a.test", account: "A Ltd (#7)", web: { url: "http://a.test/" } }
        """.write(toFile: dir.appending("checks/a.test.json5"), atomically: true, encoding: .utf8)
    }

    @Test(arguments: Fault.allCases)
    func aStateFolderThatCannotBeWrittenLosesNoTicketEvent(fault: Fault) async throws {
        let dir = try TempDirectory(prefix: "hostwatch-fulldisk")
        defer { try? dir.remove() }
        let disk = try Tmpfs(at: dir.appending("state"), sizeMiB: 4, inodes: 2_000)
        defer { disk.unmount() }
        let site = try NginxServer(directory: dir.path, address: freeLoopbackAddress(ports: [80]), sites: [.init(domain: "a.test")])
        try site.start()
        defer { site.shutdown() }
        try writeConfig(in: dir, address: site.address)
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let agentLog = dir.appending("agent.log")
        let notify = try NotifySocketListener(dir.appending("notify.sock"))
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--verbose", "--config", config],
                                     environment: ["NOTIFY_SOCKET": notify.name], logFile: agentLog)
        defer { agent.terminate() }
        var notes: [String] = []
        let log = { String(decoding: FileManager.default.contents(atPath: agentLog) ?? Data(), as: UTF8.self) }
        let failedChecks = { log().components(separatedBy: "event=check.failed").count - 1 }
        // Up and writing its state.
        #expect(try await waitUntil(timeout: .seconds(20)) {
            log().contains("event=agent.started") && !((try? FileManager.default.contentsOfDirectory(atPath: disk.path)) ?? []).isEmpty
        }, "\(log())")
        #expect(await Self.notification(from: notify, timeout: .seconds(10), seen: &notes) { $0.hasPrefix("READY=1\nSTATUS=watching ") } != nil,
                "\(notes)")

        switch fault {
        case .full:
            // Fill every byte: 64 KiB files until the disk refuses (the shell stops at the first failed write).
            _ = try ChildProcess.run("/bin/sh", ["-c", "n=0; while head -c 65536 /dev/zero > filler-$n 2>/dev/null; do n=$((n+1)); done"],
                                     workingDirectory: disk.path, timeout: .seconds(30))
        case .readOnly:
            try disk.remountReadOnly()
        }
        try site.stop()
        // A clear error, and the checks go on.
        let reason = fault == .full ? "No space left on device" : "Read-only file system"
        #expect(try await waitUntil(timeout: .seconds(30)) {
            log().split(separator: "\n").contains { $0.hasPrefix("level=error") && $0.contains(reason) }
        }, "\(log())")
        // systemd hears of it: which folder, and why.
        let degraded = await Self.notification(from: notify, timeout: .seconds(10), seen: &notes) { $0.hasPrefix("STATUS=degraded: ") }
        #expect(degraded?.contains("cannot write state to \(dir.appending("state")): ") == true, "\(notes)")
        #expect(degraded?.contains(reason) == true, "\(notes)")
        let failedBefore = failedChecks()
        #expect(try await waitUntil(timeout: .seconds(15)) { failedChecks() >= failedBefore + 3 }, "\(log())")
        #expect(agent.isRunning)
        // Every write is retried each second, but the log said it once per writer, not at every
        // retry (the writers: tracker.json, status.json, the ticket store, uptime.bin).
        let errorLines = log().split(separator: "\n").filter { $0.hasPrefix("level=error") && $0.contains(reason) }
        #expect(log().components(separatedBy: "event=state.degraded").count - 1 == 1, "\(log())")
        #expect(errorLines.count <= 8, "\(errorLines.joined(separator: "\n"))")
        #expect(try binary.run(["tickets", "list", "--all", "--json", "--config", config]).status == 0)

        // Space returns: the ticket is written, once.
        switch fault {
        case .full:
            for name in try FileManager.default.contentsOfDirectory(atPath: disk.path) where name.hasPrefix("filler-") {
                try FileManager.default.removeItem(atPath: disk.path + "/" + name)
            }
        case .readOnly:
            try ChildProcess.output(of: "/bin/mount", ["-o", "remount,rw", disk.path])
        }
        var tickets: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(30)) {
            tickets = try binary.tickets(config: config)
            return tickets.count == 1
        }, "\(log())")
        // Writing works again: the normal status line, once every writer that failed has written.
        let recovered = await Self.notification(from: notify, timeout: .seconds(30), seen: &notes) { $0.hasPrefix("STATUS=watching ") }
        #expect(recovered == "STATUS=watching 1 checks of 1 domains", "\(notes)")
        #expect(log().contains("event=state.writable_again"), "\(log())")
        // While degraded, each STATUS line differs from the one before it: a change, never a repeat.
        let statuses = notes.filter { $0.hasPrefix("STATUS=") }
        #expect(zip(statuses, statuses.dropFirst()).allSatisfy { $0 != $1 }, "\(notes)")
        try site.start()
        #expect(try await waitUntil(timeout: .seconds(30)) { try binary.tickets(config: config).first?.status == .resolved }, "\(log())")
        #expect(agent.terminate() == 0)

        // Nothing half-written: every ticket file parses, no temporary file is left, one ticket.
        let folder = disk.path + "/tickets"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(!files.contains { $0.hasSuffix(".tmp") }, "\(files)")
        let ticketFiles = files.filter { $0.hasSuffix(".json") }
        for file in ticketFiles {
            _ = try FileTicketStore.decoder.decode(Ticket.self, from: try #require(FileManager.default.contents(atPath: folder + "/" + file)))
        }
        #expect(ticketFiles.count == 1, "\(ticketFiles)")
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: disk.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        let ticket = try #require(try binary.tickets(config: config).first)
        #expect(ticket.steps.filter { $0.text.contains("recovered") }.count == 1, "\(ticket.steps.map(\.text))")
    }

    /// Evidence is collected in the background after the ticket is filed; when the disk fills
    /// in between, it waits in memory and is attached once space returns (it was dropped before).
    @Test func evidenceCollectedWhileTheDiskIsFullIsAttachedOnceSpaceReturns() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-fulldisk-evidence")
        defer { try? dir.remove() }
        let disk = try Tmpfs(at: dir.appending("state"), sizeMiB: 4, inodes: 2_000)
        defer { disk.unmount() }
        let site = try NginxServer(directory: dir.path, address: freeLoopbackAddress(ports: [80]), sites: [.init(domain: "a.test")])
        try site.start()
        defer { site.shutdown() }
        // The web evidence takes 3 s to collect: time enough to fill the disk after the ticket is filed.
        try writeConfig(in: dir, address: site.address, extra: """
          evidence: { command_timeout: "10s", web: { commands: [["/bin/sh", "-c", "sleep 3; echo slow evidence of a.test"]] } },
        """)
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let agentLog = dir.appending("agent.log")
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: agentLog)
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: agentLog) ?? Data(), as: UTF8.self) }
        #expect(try await waitUntil(timeout: .seconds(20)) { log().contains("event=agent.started") }, "\(log())")

        try site.stop()
        #expect(try await waitUntil(timeout: .seconds(20)) { log().contains("event=ticket.opened") }, "\(log())")
        _ = try ChildProcess.run("/bin/sh", ["-c", "n=0; while head -c 65536 /dev/zero > filler-$n 2>/dev/null; do n=$((n+1)); done"],
                                 workingDirectory: disk.path, timeout: .seconds(30))
        // The evidence is ready, the disk is not: kept, not attached.
        #expect(try await waitUntil(timeout: .seconds(20)) { log().contains("event=evidence.not_stored") }, "\(log())")
        let filed = try #require(try binary.tickets(config: config).first)
        #expect(!filed.steps.contains { $0.text.hasPrefix("evidence collected") }, "\(filed.steps.map(\.text))")

        for name in try FileManager.default.contentsOfDirectory(atPath: disk.path) where name.hasPrefix("filler-") {
            try FileManager.default.removeItem(atPath: disk.path + "/" + name)
        }
        var ticket: Ticket?
        #expect(try await waitUntil(timeout: .seconds(20)) {
            ticket = try binary.tickets(config: config).first
            return ticket?.steps.contains { $0.text.hasPrefix("evidence collected") } == true
        }, "\(log())")
        #expect(ticket?.attachments.contains { $0.content.contains("slow evidence of a.test") } == true, "\(ticket?.attachments.map(\.name) ?? [])")
        #expect(ticket?.steps.filter { $0.text.hasPrefix("evidence collected") }.count == 1)
        #expect(log().contains("event=evidence.attached") && log().contains("late=yes"), "\(log())")
        #expect(agent.terminate() == 0)
    }

    /// Reads notifications (off the cooperative pool) until one matches or `timeout` passes;
    /// every one read is appended to `seen`.
    static func notification(from listener: NotifySocketListener, timeout: Duration, seen: inout [String],
                             where match: (String) -> Bool) async -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            guard let message = await listener.next(timeout: clock.now.duration(to: deadline)) else { return nil }
            seen.append(message)
            if match(message) { return message }
        }
        return nil
    }
}
