import Testing
@testable import HostwatchCore

@Suite struct WriteHealthTests {
    @Test func theFirstFailureDegradesAndTheLastRecoveryEndsIt() {
        var health = WriteHealth()
        #expect(health.failed("tickets", error: "/var/lib/hostwatch/tickets/HW-1.json: No space left on device") == .degraded)
        #expect(health.failed("tickets", error: "/var/lib/hostwatch/tickets/HW-1.json: No space left on device") == .none)
        #expect(health.failed("/var/lib/hostwatch/tracker.json", error: "/var/lib/hostwatch/tracker.json: No space left on device") == .failedToo)
        #expect(health.isDegraded)
        #expect(health.wrote("tickets") == .partlyRecovered)
        #expect(health.wrote("tickets") == .none)
        #expect(health.isDegraded)
        #expect(health.wrote("/var/lib/hostwatch/tracker.json") == .recovered)
        #expect(!health.isDegraded)
        #expect(health.wrote("/var/lib/hostwatch/tracker.json") == .none)
    }

    @Test func anotherErrorOfAFailingWriterIsNews() {
        var health = WriteHealth()
        _ = health.failed("outbox", error: "No space left on device")
        #expect(health.failed("outbox", error: "Read-only file system") == .failedToo)
        #expect(health.failing.map(\.error) == ["Read-only file system"])
    }

    @Test func theStatusLineNamesTheFolderAndTheFirstFailure() {
        var health = WriteHealth()
        #expect(health.status(folder: "/var/lib/hostwatch", normal: "watching 3 checks of 1 domains") == "watching 3 checks of 1 domains")
        _ = health.failed("state", error: "/var/lib/hostwatch/tracker.json: No space left on device")
        _ = health.failed("tickets", error: "/var/lib/hostwatch/tickets: Read-only file system")
        #expect(health.status(folder: "/var/lib/hostwatch", normal: "watching")
            == "degraded: cannot write state to /var/lib/hostwatch: tracker.json: No space left on device")
        _ = health.wrote("state")
        #expect(health.status(folder: "/var/lib/hostwatch", normal: "watching")
            == "degraded: cannot write state to /var/lib/hostwatch: tickets: Read-only file system")
    }
}
