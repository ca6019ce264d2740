import Foundation
import Glibc
import HostwatchCore
import HostwatchTestKit
import Testing
@testable import HostwatchIO

/// The heartbeat against an in-process receiver on 127.0.0.1 playing the dead man's switch.
@Suite struct HeartbeatSenderTests {
    let transport = CurlHTTPTransport(loop: CurlHTTPTransportTests.loop)
    let quiet = Logger(label: "test", level: .error)

    /// A receiver answering `status` and recording each request line.
    static func receiver(status: String = "200 OK", requests: LockedBox<[String]>) throws -> FakeServer {
        try FakeServer { fd in
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &buffer, buffer.count)
            let head = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
            let line = head.split(separator: "\r\n").first.map(String.init) ?? ""
            requests.set(requests.get() + [line])
            _ = FakeServer.send(fd, Array("HTTP/1.1 \(status)\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK".utf8))
        }
    }

    func sender(port: UInt16, every: Duration = .seconds(60), health: @escaping @Sendable () async -> Liveness.Verdict = { .alive }) -> HeartbeatSender {
        // The host name is never resolved: `address` pins the connection to 127.0.0.1.
        let configuration = AgentConfig.Heartbeat(url: "http://hc.test:\(port)/ping/5bf6-uuid", every: every, timeout: .seconds(5),
                                                  address: "127.0.0.1")
        return HeartbeatSender(configuration: configuration, transport: transport, caFile: nil, logger: quiet, health: health)
    }

    @Test func aPingIsAGetOfTheConfiguredURL() async throws {
        let requests = LockedBox<[String]>([])
        let server = try Self.receiver(requests: requests)
        defer { server.stop() }
        #expect(await sender(port: server.port).beat() == .delivered(status: 200))
        #expect(requests.get() == ["GET /ping/5bf6-uuid HTTP/1.1"])
    }

    @Test func anErrorStatusOrARefusedConnectionIsAFailedPing() async throws {
        let requests = LockedBox<[String]>([])
        let server = try Self.receiver(status: "404 Not Found", requests: requests)
        #expect(await sender(port: server.port).beat() == .failed("HTTP 404"))
        let port = server.port
        server.stop()
        guard case .failed(let detail) = await sender(port: port).beat() else {
            Issue.record("a ping to a closed port was delivered")
            return
        }
        #expect(detail.lowercased().contains("connect"), "\(detail)")
    }

    @Test func pingsEveryIntervalWhileTheSchedulerIsAlive() async throws {
        let requests = LockedBox<[String]>([])
        let server = try Self.receiver(requests: requests)
        defer { server.stop() }
        let task = Task { await sender(port: server.port, every: .milliseconds(100)).run() }
        defer { task.cancel() }
        #expect(try await waitFor { requests.get().count >= 3 }, "\(requests.get())")
    }

    @Test func aStalledSchedulerSendsNoPing() async throws {
        let requests = LockedBox<[String]>([])
        let server = try Self.receiver(requests: requests)
        defer { server.stop() }
        let asked = LockedCounter()
        let task = Task {
            await sender(port: server.port, every: .milliseconds(20)) {
                asked.increment()
                return .stalled(for: .seconds(900))
            }.run()
        }
        defer { task.cancel() }
        #expect(try await waitFor { asked.value >= 10 })
        #expect(requests.get().isEmpty)
    }
}
