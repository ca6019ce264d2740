import Foundation
import Glibc
import HostwatchCore
import HostwatchIO
import Testing

/// Issue 15, item 6: the real agent as the unit runs it — an unprivileged user (`nobody`, no
/// supplementary groups, no capabilities, no new privileges), an empty environment (`env -i`: no
/// PATH, no HOME) and a read-only root with only the state folder writable (a private mount
/// namespace: `/` remounted read-only, the state folder bind-mounted over itself) — watching every
/// check kind against real servers on loopback: HTTP and HTTPS on nginx, SMTP (25, 587 with AUTH,
/// 465), IMAP and POP3 on postfix and dovecot, DNS on nsd, and the disk. Every check passes,
/// and a site that refuses still files its ticket in the store. Root only (namespaces, mounts,
/// another user).
@Suite(.serialized, .enabled(if: getuid() == 0, "switching users and mounting need root"))
struct PrivilegesTests {
    static let user: uid_t = 65534  // nobody
    static let group: gid_t = 65534  // nogroup
    static let password = "Unpr1v-S3cret!q4"

    @Test func anUnprivilegedAgentWithNoEnvironmentOnAReadOnlyRootRunsEveryCheckKind() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-unprivileged")
        defer { try? dir.remove() }
        // The servers' and the agent's users must reach what is theirs on the way.
        chmod(dir.path, 0o755)
        let ca = try TestCA(directory: dir.appending("ca"))
        let cert = try ca.issue(names: ["a.test", "mx.a.test"], days: 90)

        let web = try NginxServer(directory: dir.path, address: freeLoopbackAddress(ports: [80, 443]),
                                  sites: [.init(domain: "a.test", tls: cert)])
        try web.start()
        defer { web.shutdown() }
        let mailAddress = freeLoopbackAddress(ports: MailServers.postfixPorts + MailServers.dovecotPorts)
        let mail = try MailServers(directory: dir.appending("mail"), address: mailAddress, cert: cert,
                                   domains: ["a.test"], user: "probe@a.test", password: Self.password)
        defer { mail.shutdown() }
        try await blocking { try mail.start() }
        let nsd = try NSDServer(directory: dir.path, address: freeLoopbackAddress(ports: [53]), zones: [NSDServer.Zone(name: "a.test", records: """
            @ IN SOA ns1.a.test. hostmaster.a.test. 2026120501 3600 600 86400 300
            @ IN NS ns1.a.test.
            @ IN A \(web.address)
            @ IN MX 10 mx.a.test.
            """)])
        defer { nsd.shutdown() }
        try await blocking { try nsd.start() }
        // Nothing listens here: b.test's site refuses, and its incident must file a ticket.
        let refusing = freeLoopbackAddress(ports: [80])

        let config = try writeConfig(dir, mailAddress: mailAddress, webAddress: web.address, nsdAddress: nsd.address,
                                     refusing: refusing, caFile: ca.caFile, passwordFile: mail.passwordFile)
        let binary = try HostwatchBinary()
        #expect(try binary.run(["validate", "--config", config]).status == 0)
        let state = dir.appending("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        chown(state, Self.user, Self.group)
        chmod(state, 0o700)

        // A private mount namespace: the state folder its own (writable) mount, then `/` read-only.
        // The shell proves both before it becomes the agent (exec: the same process).
        let script = """
        set -e
        mount --bind '\(state)' '\(state)'
        mount -o remount,bind,ro /
        if touch '\(dir.appending("probe"))' 2>/dev/null; then echo "the root is still writable" >&2; exit 90; fi
        exec setpriv --reuid=\(Self.user) --regid=\(Self.group) --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs \
          /usr/bin/env -i '\(binary.path)' run --config '\(config)'
        """
        let agentLog = dir.appending("agent.log")
        let agent = try ChildProcess(executable: "/usr/bin/unshare", arguments: ["--mount", "--propagation", "private", "/bin/sh", "-c", script],
                                     logFile: agentLog)
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: agentLog) ?? Data(), as: UTF8.self) }
        #expect(try await waitUntil(timeout: .seconds(20)) { log().contains("event=agent.started") || !agent.isRunning }, "\(log())")
        #expect(agent.isRunning, "\(log())")

        // It is what the test says it is: nobody, no capabilities, no environment.
        let status = try String(contentsOfFile: "/proc/\(agent.pid)/status", encoding: .utf8)
        let field = { (name: String) in status.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)) } ?? "" }
        #expect(field("Uid").split(separator: "\t").filter { !$0.isEmpty } == ["65534", "65534", "65534", "65534"], "\(status)")
        #expect(field("Gid").split(separator: "\t").filter { !$0.isEmpty } == ["65534", "65534", "65534", "65534"], "\(status)")
        #expect(field("Groups").trimmingCharacters(in: .whitespaces).isEmpty, "\(status)")
        for caps in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] { #expect(field(caps).trimmingCharacters(in: .whitespaces) == "0000000000000000", "\(caps): \(status)") }
        #expect(field("NoNewPrivs").trimmingCharacters(in: .whitespaces) == "1")
        #expect(FileManager.default.contents(atPath: "/proc/\(agent.pid)/environ")?.isEmpty == true)
        #expect(try String(contentsOfFile: "/proc/\(agent.pid)/cmdline", encoding: .utf8).hasPrefix(binary.path))

        // Every check of a.test passes (and the disk); b.test's failure files its ticket.
        var snapshot: StatusSnapshot?
        var tickets: [Ticket] = []
        let passed = try await waitUntil(timeout: .seconds(60)) {
            snapshot = try? JSONStateFile<StatusSnapshot>(path: state + "/status.json").load()
            tickets = try binary.tickets(config: config)
            let healthy = snapshot?.checks.filter { !$0.check.hasPrefix("b.test/") } ?? []
            return healthy.count == 9 && healthy.allSatisfy { $0.state == "ok" && $0.lastRun != nil }
                && tickets.contains { $0.domains == ["b.test"] }
        }
        let shown = (snapshot?.checks ?? []).map { "\($0.check): \($0.state) \($0.lastResult ?? "not run")" }.joined(separator: "\n")
        #expect(passed, "\(shown)\n\(log())")
        let names = (snapshot?.checks ?? []).map(\.check)
        for kind in ["/web", "/smtp", "/imap", "/pop3", "/dns", "disk"] {
            #expect(names.contains { $0.contains(kind) }, "no \(kind) check: \(names)")
        }
        #expect(tickets.filter { !$0.key.hasPrefix("delivery:") }.map(\.domains) == [["b.test"]], "\(tickets.map(\.subject))")
        #expect(!log().contains("level=error"), "\(log())")
        #expect(agent.terminate() == 0, "\(log())")
        // The password went nowhere it should not (the state folder, the log).
        #expect(!log().contains(Self.password))
    }

    /// The agent file and a.test (every kind, each on its server) and b.test (refusing).
    func writeConfig(_ dir: TempDirectory, mailAddress: String, webAddress: String, nsdAddress: String, refusing: String,
                     caFile: String, passwordFile: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        let secret = dir.appending("probe.pw")
        try FileManager.default.copyItem(atPath: passwordFile, toPath: secret)
        chown(secret, Self.user, Self.group)
        chmod(secret, 0o600)
        try """
        { server: { name: "unprivileged", address: "\(mailAddress)" }, state_dir: "state", checks: "checks",
          tls: { ca_file: "\(caFile)" },
          defaults: { interval: "1s", retry_interval: "300ms", timeout: "3s", failures: 2, recoveries: 1 },
          disks: [{ mount: "/", warning: { used_percent: 99, inodes_percent: 99 }, critical: { used_percent: 100, inodes_percent: 100 } }] }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "a.test", account: "A Ltd (#7)",
          web: [{ url: "http://a.test/", address: "\(webAddress)" }, { url: "https://a.test/", address: "\(webAddress)" }],
          smtp: [{ port: 25 }, { port: 587, user: "probe@a.test", password_file: "probe.pw" }, { port: 465 }],
          imap: { port: 993, user: "probe@a.test", password_file: "probe.pw" },
          pop3: { port: 995, user: "probe@a.test", password_file: "probe.pw" },
          dns: { nameservers: [{ name: "ns1.a.test", address: "\(nsdAddress)" }], expect: { A: ["\(webAddress)"] }, points_here: false } }
        """.write(toFile: dir.appending("checks/a.test.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "b.test", account: "B Ltd (#8)", web: { url: "http://b.test/", address: "\(refusing)" } }
        """.write(toFile: dir.appending("checks/b.test.json5"), atomically: true, encoding: .utf8)
        return dir.appending("hostwatch.json5")
    }
}
