import Foundation
import Glibc
import HostwatchCore
import Testing

/// The running agent's own rediscovery (`discovery.every`) against a real nginx: new domains
/// are watched without a restart; a drop of most domains waits for three identical results;
/// a domain gone from every source stops being checked and its open ticket resolves with
/// "domain no longer hosted here".
@Suite(.serialized)
struct RediscoveryTests {
    @Test func theAgentDiscoversOnItsOwnAndResolvesWhatIsNoLongerHosted() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-rediscovery")
        defer { try? dir.remove() }
        chmod(dir.path, 0o755)
        let address = freeLoopbackAddress(ports: [80])
        // blog.test answers 503: an open ticket before it disappears.
        let sites: [NginxServer.Site] = [.init(domain: "shop.test"), .init(domain: "blog.test", extraServerConfig: "    return 503;")]
        let nginx = try NginxServer(directory: dir.appending("before"), address: address, sites: sites)
        defer { nginx.shutdown() }
        try nginx.start()
        // The same server without blog.test: nginx -T reads whichever config the link names.
        let after = try NginxServer(directory: dir.appending("after"), address: address, sites: [sites[0]])
        let link = dir.appending("nginx.conf")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: nginx.configFile)
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        let config = dir.appending("hostwatch.json5")
        try """
        { server: { name: "web01", address: "\(address)" }, state_dir: "state",
          defaults: { interval: "1s", retry_interval: "300ms", timeout: "2s", failures: 1, recoveries: 1 },
          discovery: { every: "1s", nginx: { command: ["nginx", "-T", "-p", "\(nginx.prefix)/", "-c", "\(link)"] },
                       apache: false, postfix: false, dovecot: false, nsd: false, bind: false } }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let binary = try HostwatchBinary()
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }

        var tickets: [Ticket] = []
        #expect(try await waitUntil(timeout: .seconds(20)) {
            tickets = try binary.tickets(config: config)
            return tickets.contains { $0.domains == ["blog.test"] && $0.status == .open }
        }, "\(log())")
        #expect(log().contains("event=discovery.domain domain=shop.test diff=new"), "\(log())")
        #expect(log().contains("event=agent.reloaded"))

        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: after.configFile)
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("seen=1/3") }, "\(log())")
        #expect(try await waitUntil(timeout: .seconds(20)) {
            tickets = try binary.tickets(config: config)
            return tickets.first { $0.domains == ["blog.test"] }?.status == .resolved
        }, "\(log())")
        let blog = try #require(tickets.first { $0.domains == ["blog.test"] })
        #expect(blog.steps.contains { $0.text.contains("blog.test: domain no longer hosted here") }, "\(blog.steps.map(\.text))")
        #expect(log().contains("event=discovery.domain domain=blog.test diff=gone"))
        #expect(log().contains("seen=2/3"))
        #expect(!FileManager.default.fileExists(atPath: dir.appending("checks/discovered/blog.test.json5")))
        #expect(FileManager.default.fileExists(atPath: dir.appending("checks/discovered/shop.test.json5")))
        #expect(agent.isRunning)
    }

    @Test func aRunningAgentPicksUpDiscoverWriteWithoutARestart() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-discover-write")
        defer { try? dir.remove() }
        chmod(dir.path, 0o755)
        let address = freeLoopbackAddress(ports: [80])
        let nginx = try NginxServer(directory: dir.path, address: address, sites: [.init(domain: "shop.test")])
        defer { nginx.shutdown() }
        try nginx.start()
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        let config = dir.appending("hostwatch.json5")
        try """
        { server: { name: "web01", address: "\(address)" }, state_dir: "state",
          defaults: { interval: "1s", timeout: "2s" },
          discovery: { nginx: { command: ["nginx", "-T", "-p", "\(nginx.prefix)/", "-c", "\(nginx.configFile)"] },
                       apache: false, postfix: false, dovecot: false, nsd: false, bind: false } }
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let binary = try HostwatchBinary()
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--verbose", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("event=agent.started") }, "\(log())")
        #expect(log().contains("checks=0"))

        let written = try binary.run(["discover", "--write", "--config", config])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("event=agent.reloaded domains=1 checks=1") }, "\(log())")
        #expect(try await waitUntil(timeout: .seconds(10)) { log().contains("shop.test/web") }, "\(log())")
        #expect(agent.isRunning)
    }
}
