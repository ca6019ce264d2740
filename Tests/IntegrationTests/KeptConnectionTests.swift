import Foundation
import HostwatchCore
import HostwatchIO
import Testing

/// HTTPS checks that keep their site's connection open between checks (issue 16,
/// `limits.keep_connections`), against a real nginx that names, in response headers, the
/// connection a request came on and how many requests that connection has carried.
@Suite(.serialized)
struct KeptConnectionTests {
    struct Lab {
        var transport: CurlHTTPTransport
        var nginx: NginxServer
        var https: HTTPRequest
        var http: HTTPRequest
    }

    /// Runs `body` with a transport that keeps connections (examinations standing an hour,
    /// connections used for at most `lifetime`) and nginx serving `shop.test` over both schemes.
    func withLab(lifetime: Duration = .seconds(300), _ body: (Lab) async throws -> Void) async throws {
        try await NginxServer.withTLSSite("shop.test", prefix: "hostwatch-kept",
                                          extraServerConfig: "add_header X-Connection $connection always;\nadd_header X-Requests $connection_requests always;") { nginx, ca in
            let loop = CurlMultiLoop(maxInFlight: 4, keptConnections: 8)
            defer { loop.shutdownAndWait() }
            var transport = CurlHTTPTransport(loop: loop, certificates: CertificateMemory(every: .seconds(3600)), keepsConnections: true)
            transport.connectionLifetime = lifetime
            try await body(Lab(
                transport: transport, nginx: nginx,
                https: HTTPRequest(url: "https://shop.test/", connectAddress: nginx.address, timeout: .seconds(5), caFile: ca.caFile),
                http: HTTPRequest(url: "http://shop.test/", connectAddress: nginx.address, timeout: .seconds(5))))
        }
    }

    /// nginx's connection serial number and that connection's request count, from the headers.
    func connection(_ response: HTTPResponse) -> (id: String, requests: Int)? {
        func header(_ name: String) -> String? { response.headers.first { $0.name.lowercased() == name }?.value }
        guard let id = header("x-connection"), let requests = header("x-requests").flatMap(Int.init) else { return nil }
        return (id, requests)
    }

    @Test func aSiteCheckedAgainSendsItsRequestOnTheConnectionTheLastCheckLeftOpen() async throws {
        try await withLab { lab in
            let first = await lab.transport.perform(lab.https)
            #expect(first.error == nil, "\(first.transcript.rendered)")
            let opened = try #require(connection(first))
            #expect(opened.requests == 1)
            for n in 2...3 {
                let next = await lab.transport.perform(lab.https)
                #expect(next.error == nil, "\(next.transcript.rendered)")
                #expect(connection(next)?.id == opened.id, "\(next.transcript.rendered)")
                #expect(connection(next)?.requests == n)
                #expect(next.transcript.text.contains("Re-using existing connection"))
                // The certificate examined on the first handshake is carried, and said to be.
                #expect(next.certificate?.notAfter != nil)
                #expect(next.transcript.text.contains("connection kept alive; certificate as examined 0 min ago"), "\(next.transcript.rendered)")
            }
            // Plain HTTP connects anew every time: a kept connection saved it nothing.
            var ids: Set<String> = []
            for _ in 0..<3 {
                let plain = await lab.transport.perform(lab.http)
                #expect(plain.error == nil, "\(plain.transcript.rendered)")
                #expect(connection(plain)?.requests == 1)
                if let id = connection(plain)?.id { ids.insert(id) }
            }
            #expect(ids.count == 3)
        }
    }

    @Test func aStoppedServerIsSeenByTheNextCheckAndARestartedOneGetsANewConnection() async throws {
        try await withLab { lab in
            let before = await lab.transport.perform(lab.https)
            #expect(connection(before)?.requests == 1)
            try lab.nginx.stop()
            // The kept connection was closed by the server: the check connects anew, and is refused.
            let refused = await lab.transport.perform(lab.https)
            #expect(refused.error?.kind == .refused, "\(refused.transcript.rendered)")
            try lab.nginx.start()
            // After a failure the certificate is examined again, on a handshake of its own.
            let after = await lab.transport.perform(lab.https)
            #expect(after.error == nil, "\(after.transcript.rendered)")
            #expect(connection(after)?.requests == 1)
            #expect(connection(after)?.id != nil)
            #expect(after.certificate?.notAfter != nil)
            #expect(!after.transcript.text.contains("certificate as examined"), "\(after.transcript.rendered)")
        }
    }

    @Test func aHungServerTimesOutOnTheKeptConnectionAndTheNextCheckConnectsAnew() async throws {
        try await withLab { lab in
            var request = lab.https
            request.timeout = .seconds(1)
            let before = await lab.transport.perform(request)
            let kept = try #require(connection(before))
            try lab.nginx.hang()
            let hung = await lab.transport.perform(request)
            #expect(hung.error?.kind == .timeout, "\(hung.transcript.rendered)")
            try lab.nginx.resume()
            let after = await lab.transport.perform(request)
            #expect(after.error == nil, "\(after.transcript.rendered)")
            let fresh = try #require(connection(after))
            #expect(fresh.id != kept.id)
            #expect(!after.transcript.text.contains("Re-using existing connection"))
        }
    }

    @Test func aConnectionOlderThanItsLifetimeIsNotUsedForANewCheck() async throws {
        try await withLab(lifetime: .seconds(1)) { lab in
            let first = await lab.transport.perform(lab.https)
            let opened = try #require(connection(first))
            // The property under test is the passing of time itself: wait out the lifetime.
            try await Task.sleep(for: .milliseconds(2100))
            let later = await lab.transport.perform(lab.https)
            #expect(later.error == nil, "\(later.transcript.rendered)")
            #expect(connection(later)?.id != opened.id, "\(later.transcript.rendered)")
            #expect(connection(later)?.requests == 1)
        }
    }

    @Test func aNameCheckedAtTwoAddressesGetsEachServersOwnAnswerOnAFreshConnection() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-kept-two")
        defer { try? dir.remove() }
        let ca = try TestCA(directory: dir.appending("ca"))
        let certificate = try ca.issue(names: ["shop.test"], days: 90)
        var servers: [NginxServer] = []
        defer { for server in servers { server.shutdown() } }
        for name in ["first", "second"] {
            let server = try NginxServer(directory: dir.path, address: freeLoopbackAddress(), sites: [
                .init(domain: "shop.test", tls: certificate, extraServerConfig: "add_header X-Server \(name) always;\nadd_header X-Requests $connection_requests always;"),
            ])
            servers.append(server)
            try server.start()
        }
        let loop = CurlMultiLoop(maxInFlight: 4, keptConnections: 8)
        defer { loop.shutdownAndWait() }
        let transport = CurlHTTPTransport(loop: loop, certificates: CertificateMemory(every: .seconds(3600)), keepsConnections: true)
        for round in 0..<3 {
            for (name, server) in zip(["first", "second"], servers) {
                let response = await transport.perform(HTTPRequest(url: "https://shop.test/", connectAddress: server.address, timeout: .seconds(5), caFile: ca.caFile))
                #expect(response.error == nil, "\(response.transcript.rendered)")
                #expect(response.headers.first { $0.name.lowercased() == "x-server" }?.value == name, "round \(round)")
                // The first check of the name pinned it; from the second address on, no reuse.
                if round > 0 || name == "second" {
                    #expect(response.headers.first { $0.name.lowercased() == "x-requests" }?.value == "1", "round \(round) \(name)")
                }
            }
        }
    }
    /// The real agent: started with a soft limit of 256 open files (raised to the hard one),
    /// its three sites' HTTPS checks each come back on the connection the last one left open, as
    /// nginx's access log shows; with `keep_connections: 0` every request is a connection's first.
    @Test(arguments: [1000, 0])
    func theAgentKeepsOneConnectionPerSiteUnlessToldNotTo(keep: Int) async throws {
        let dir = try TempDirectory(prefix: "hostwatch-kept-agent")
        defer { try? dir.remove() }
        let domains = ["a.test", "b.test", "c.test"]
        let ca = try TestCA(directory: dir.appending("ca"))
        let nginx = try NginxServer(directory: dir.path, address: freeLoopbackAddress(), sites: try domains.map {
            .init(domain: $0, tls: try ca.issue(names: [$0], days: 90))
        }, accessLogFormat: "$host $connection $connection_requests")   // each request's connection and its count on it
        defer { nginx.shutdown() }
        try nginx.start()
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try """
        { server: { name: "kept", address: "\(nginx.address)" }, state_dir: "state", checks: "checks", tls: { ca_file: "\(ca.caFile)" },
          defaults: { interval: "300ms", retry_interval: "300ms", timeout: "2s" }, limits: { keep_connections: \(keep) } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        for domain in domains {
            try #"{ domain: "\#(domain)", web: { url: "https://\#(domain)/" } }"#
                .write(toFile: dir.appending("checks/\(domain).json5"), atomically: true, encoding: .utf8)
        }
        let binary = try HostwatchBinary()
        let agent = try ChildProcess(
            executable: "/usr/bin/prlimit", arguments: ["--nofile=256:8192", "--", binary.path, "run", "--config", dir.appending("hostwatch.json5")],
            environment: ["PATH": "/usr/bin:/bin"], logFile: dir.appending("agent.log"))
        defer { _ = agent.terminate() }
        func lines() -> [[Substring]] {
            ((try? String(contentsOfFile: nginx.accessLog, encoding: .utf8)) ?? "").split(separator: "\n").map { $0.split(separator: " ") }
        }
        let agentLog = { (try? String(contentsOfFile: dir.appending("agent.log"), encoding: .utf8)) ?? "" }
        #expect(try await waitUntil(timeout: .seconds(20)) {
            domains.allSatisfy { domain in lines().filter { $0.first.map(String.init) == domain }.count >= 4 }
        }, "\(lines())\n\(agentLog())")
        let limits = try String(contentsOfFile: "/proc/\(agent.pid)/limits", encoding: .utf8)
        #expect(limits.split(separator: "\n").contains { $0.hasPrefix("Max open files") && $0.split(separator: " ").contains("8192") }, "\(limits)")
        for domain in domains {
            let requests = lines().filter { $0.first.map(String.init) == domain }
            let connections = Set(requests.map { $0[1] })
            if keep > 0 {
                #expect(connections.count == 1, "\(domain): \(requests)")
                #expect(requests.map { Int($0[2]) } == Array(1...requests.count).map { Optional($0) }, "\(domain): \(requests)")
            } else {
                #expect(connections.count == requests.count, "\(domain): \(requests)")
                #expect(requests.allSatisfy { $0[2] == "1" }, "\(domain): \(requests)")
            }
        }
    }
}
