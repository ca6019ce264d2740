import Foundation
import Glibc
import Testing
@testable import HostwatchCore
@testable import HostwatchIO

@Suite struct LogTailTests {
    func temp(_ name: String) -> String {
        NSTemporaryDirectory() + "hostwatch-log-\(UInt32.random(in: 0...UInt32.max))-\(name)"
    }

    @Test func lastLinesAndTheLinesThatMentionADomain() throws {
        let path = temp("shared.log")
        defer { unlink(path) }
        var text = ""
        for i in 0..<5000 { text += "line \(i) host=\(i % 50 == 0 ? "shop.test" : "other\(i).test") GET /\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let out = LogTail.excerpt(path: path, lines: 5, domains: ["SHOP.test"])
        #expect(out.contains("== \(path): last 5 lines ==\nline 4995 host=other4995.test GET /\n"))
        #expect(out.contains("line 4999 host=other4999.test GET /\n== \(path): last 5 lines mentioning SHOP.test"))
        #expect(out.hasSuffix("line 4900 host=shop.test GET /\nline 4950 host=shop.test GET /\n"), "oldest first, like the log")
        let matching = out.components(separatedBy: "mentioning")[1]
        #expect(matching.contains("line 4750 host=shop.test"))
        #expect(matching.contains("line 4950 host=shop.test"))
        #expect(!matching.contains("line 4700 host=shop.test"))
    }

    @Test func aHugeSparseLogCostsWhatASmallOneDoes() throws {
        // 10 GiB apparent size, written only at the end: reading backwards touches the end only.
        let path = temp("huge.log")
        defer { unlink(path) }
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        try #require(fd >= 0)
        let filler = String(repeating: "GET / 200\n", count: 20_000)
        let tail = Array((filler + "error: upstream timed out\nlast line\n").utf8)
        _ = tail.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(10) << 30) }
        close(fd)
        let out = LogTail.excerpt(path: path, lines: 2, domains: [])
        #expect(out.contains("error: upstream timed out\nlast line\n"))
    }

    @Test func missingUnreadableAndBinaryLogsSayWhy() throws {
        #expect(LogTail.excerpt(path: "/nonexistent/app.log", lines: 5, domains: []) == "== /nonexistent/app.log: not read: no such file ==\n")
        #expect(LogTail.excerpt(path: "/proc", lines: 5, domains: []).contains("not a regular file"))
        let path = temp("binary.log")
        defer { unlink(path) }
        try Data([0x41, 0x00, 0x42, 0x0a, 0x00, 0x0a]).write(to: URL(fileURLWithPath: path))
        #expect(LogTail.excerpt(path: path, lines: 5, domains: []).contains("looks binary"))
    }
}

@Suite struct CommandRunnerTests {
    @Test func runsArgvWithoutAShellAndAMinimalEnvironment() {
        let result = CommandRunner.run(["sh", "-c", "echo \"$0 $HOME|$PATH\"; echo err >&2; exit 3", "$(echo not expanded)"],
                                       timeout: .seconds(5), cap: 4096)
        #expect(result.status == 3)
        #expect(result.output == "$(echo not expanded) |/usr/sbin:/usr/bin:/sbin:/bin\nerr\n")
    }

    @Test func aCommandThatHangsIsKilledAtTheTimeout() {
        let started = ContinuousClock.now
        let result = CommandRunner.run(["sh", "-c", "echo started; sleep 30"], timeout: .milliseconds(500), cap: 4096)
        #expect(result.status == nil)
        #expect(result.output == "started\n")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aFloodIsCappedAndDrained() {
        let result = CommandRunner.run(["sh", "-c", "head -c 3000000 /dev/zero | tr '\\\\0' x; echo; echo done >&2"], timeout: .seconds(20), cap: 1000)
        #expect(result.status == 0)
        #expect(result.output.utf8.count == 1000)
        #expect(result.truncatedBytes > 2_000_000)
    }

    @Test func aMissingCommandIsAClearNote() {
        #expect(CommandRunner.run(["/nonexistent/tool"], timeout: .seconds(1), cap: 100).failedToStart != nil)
    }
}

@Suite struct EvidenceCollectorTests {
    @Test func piecesAreRedactedCappedAndNamed() throws {
        let log = NSTemporaryDirectory() + "hostwatch-ev-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(log) }
        try "GET /login?user=ann&password=hunter22 200\nAuthorization: Bearer abc.def.ghi\nprobe pw is S3cretProbe!\n"
            .write(toFile: log, atomically: true, encoding: .utf8)
        var settings = EvidenceSettings()
        var web = EvidenceSettings.Source()
        web.files = [log]
        web.commands = [["sh", "-c", "head -c 200000 /dev/zero | tr '\\\\0' y"]]
        settings.sources["web"] = web
        settings.pieceBytes = 4096
        settings.ticketBytes = 20_000
        let collector = EvidenceCollector(settings: settings, redactor: Redactor(secrets: ["S3cretProbe!"]))
        let request = EvidenceCollector.Request(
            ticketID: "HW-1", domains: ["shop.test"], kinds: ["web"],
            transcripts: [(check: "shop.test/web", text: "> AUTH PLAIN AGFubgBodW50ZXIy\n< 235 ok\n")],
            history: [(check: "shop.test/web", results: [.init(at: Date(timeIntervalSince1970: 1_800_000_000), ok: false, summary: "HTTP: connect refused", durationMs: 0.4)])])
        let pieces = collector.collectNow(request)
        let names = pieces.map(\.name)
        #expect(names.first == "transcript-shop.test-web.txt")
        #expect(names.contains("recent-results.txt"))
        #expect(names.contains { $0.hasPrefix("log-") })
        #expect(names.contains { $0.hasPrefix("command-") })
        #expect(names.last == "system.txt")
        let all = pieces.map(\.content).joined()
        for secret in ["hunter22", "abc.def.ghi", "S3cretProbe!", "AGFubgBodW50ZXIy"] { #expect(!all.contains(secret), "\(secret) leaked") }
        #expect(all.contains("password=[redacted]"))
        #expect(pieces.allSatisfy { $0.content.utf8.count <= 4096 })
        #expect(pieces.reduce(0) { $0 + $1.content.utf8.count } <= 20_000)
        let command = try #require(pieces.first { $0.name.hasPrefix("command-") })
        #expect(command.content.hasPrefix("[first "), "the newest output is kept, the start is cut")
        #expect(pieces.first { $0.name == "recent-results.txt" }?.content.contains("2027-01-15T08:00:00Z  FAIL  0 ms  HTTP: connect refused") == true)
        let system = try #require(pieces.first { $0.name == "system.txt" }?.content)
        #expect(system.contains("load: "))
        #expect(system.contains("memory: total "))
        #expect(system.contains("top 5 by CPU"))
        #expect(system.contains("top 5 by memory"))
    }
}

@Suite struct RedactorTests {
    @Test(arguments: [
        ("AUTH PLAIN AGFsaWNlAHMzY3IzdA==", "AUTH PLAIN [redacted]"),
        ("> A1 LOGIN monitor@example.org hunter2", "> A1 LOGIN [redacted]"),
        ("PASS hunter2", "PASS [redacted]"),
        ("Authorization: Bearer xyz", "Authorization: [redacted]"),
        ("curl -H 'Authorization: token abc'", "curl -H 'Authorization: [redacted]"),
        ("GET /cb?token=abc123&x=1", "GET /cb?token=[redacted]&x=1"),
        ("db password=Sup3r secret", "db password=[redacted] secret"),
        ("nothing secret here", "nothing secret here"),
    ])
    func redactsTheUsualPlaces(line: String, expected: String) {
        #expect(Redactor(secrets: []).redact(line) == expected)
    }

    @Test func configuredSecretsGoEverywhere() {
        #expect(Redactor(secrets: ["probe-pass-1"]).redact("x probe-pass-1 y\nprobe-pass-1") == "x [redacted] y\n[redacted]")
    }
}
