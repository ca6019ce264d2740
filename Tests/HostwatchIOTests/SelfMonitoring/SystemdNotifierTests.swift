import Foundation
import Glibc
import HostwatchCore
import HostwatchTestKit
import Testing
@testable import HostwatchIO

@Suite struct SystemdNotifierTests {
    static func socketPath() -> String { NSTemporaryDirectory() + "hostwatch-notify-\(UInt32.random(in: 0...UInt32.max)).sock" }

    @Test func sendsEachStateAsOneDatagramToAPathSocket() throws {
        let listener = try NotifySocketListener(Self.socketPath())
        let notifier = try #require(try SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": listener.name]))
        try notifier.ready(status: "watching 3 checks\nand more")
        #expect(listener.receive(timeout: .seconds(2)) == "READY=1\nSTATUS=watching 3 checks and more")
        try notifier.watchdog()
        #expect(listener.receive(timeout: .seconds(2)) == "WATCHDOG=1")
        try notifier.reloading()
        let reloading = try #require(listener.receive(timeout: .seconds(2)))
        let lines = reloading.split(separator: "\n")
        #expect(lines.first == "RELOADING=1")
        #expect(lines.count == 2 && lines[1].hasPrefix("MONOTONIC_USEC=") && Int64(lines[1].dropFirst(15)).map { $0 > 0 } == true)
        try notifier.stopping()
        #expect(listener.receive(timeout: .seconds(2)) == "STOPPING=1")
    }

    @Test func reachesAnAbstractSocketNamedWithAnAt() throws {
        let listener = try NotifySocketListener("@hostwatch-test-\(UInt32.random(in: 0...UInt32.max))")
        let notifier = try SystemdNotifier(socket: listener.name)
        try notifier.status("all quiet")
        #expect(listener.receive(timeout: .seconds(2)) == "STATUS=all quiet")
    }

    @Test func noSocketInTheEnvironmentMeansNoNotifier() throws {
        #expect(try SystemdNotifier.fromEnvironment([:]) == nil)
        #expect(try SystemdNotifier.fromEnvironment(["NOTIFY_SOCKET": ""]) == nil)
    }

    @Test(arguments: ["run/notify", String(repeating: "/x", count: 60), "@"])
    func anUnusableSocketNameIsAnError(name: String) {
        #expect(throws: SystemdNotifier.Failure.self) { try SystemdNotifier(socket: name) }
    }

    @Test func aSocketNobodyListensOnIsAnErrorNotAHang() throws {
        let notifier = try SystemdNotifier(socket: Self.socketPath())
        let error = #expect(throws: SystemdNotifier.Failure.self) { try notifier.watchdog() }
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test(arguments: [
        (["WATCHDOG_USEC": "20000000"], Duration?.some(.seconds(10))),
        (["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "4242"], nil),
        (["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "\(getpid())"], .seconds(10)),
        (["WATCHDOG_USEC": "0"], nil),
        (["WATCHDOG_USEC": "soon"], nil),
        ([:], nil),
    ])
    func pingsAtHalfTheWatchdogTimeoutWhenTheWatchdogIsOurs(environment: [String: String], interval: Duration?) {
        #expect(SystemdNotifier.watchdogPingInterval(environment) == interval)
    }
}
