import Foundation
import Glibc
import HostwatchCore
import Testing

/// `hostwatch discover` against real servers with configs of their own on loopback addresses:
/// nginx (`nginx -T`), postfix (`postconf -c DIR`, `-M`), dovecot (`doveconf -c FILE -n`) and nsd
/// (its nsd.conf). The written files pass `validate`, and `check` of the freshly discovered
/// domains exits 0 on the healthy servers, mail verified against the host's own name.
/// One set of servers for the whole suite (starting them is most of its time); each test writes
/// a config and checks folder of its own.
struct DiscoveryLab: SuiteTrait, TestScoping {
    @TaskLocal static var current: DiscoveryIntegrationTests.Lab?
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let lab = try DiscoveryIntegrationTests.startLab()
        defer { lab.shutdown() }
        try await Self.$current.withValue(lab) { try await function() }
    }
}

@Suite(.serialized, DiscoveryLab())
struct DiscoveryIntegrationTests {
    struct Lab: Sendable {
        let dir: TempDirectory
        let nginx: NginxServer
        let mail: MailServers
        let nsd: NSDServer
        let webAddress: String
        let caFile: String

        func shutdown() {
            nginx.shutdown()
            mail.shutdown()
            nsd.shutdown()
            try? dir.remove()
        }

        /// Writes `NAME.json5` with a discovery section reading every server of the lab.
        func config(_ name: String, mailHost: String? = nil, discovery: String? = nil) throws -> String {
            let checks = dir.appending("checks-\(name)")
            try FileManager.default.createDirectory(atPath: checks, withIntermediateDirectories: true)
            let sources = discovery ?? """
                nginx: { command: ["nginx", "-T", "-p", "\(nginx.prefix)/", "-c", "\(nginx.configFile)"] },
                postfix: { command: ["postconf", "-c", "\(mail.directory)/postfix"] },
                dovecot: { command: ["doveconf", "-c", "\(mail.directory)/dovecot/dovecot.conf", "-n"] },
                nsd: { config: "\(nsd.configFile)" },
                apache: false, bind: false,
                accounts_file: "accounts.tsv",
                plans: { "Premium*": "plus" },
                """
            let path = dir.appending("\(name).json5")
            try """
            { server: { name: "web01", address: "\(webAddress)"\(mailHost.map { ", mail_host: \"\($0)\"" } ?? "") },
              state_dir: "state-\(name)", checks: "checks-\(name)",
              tls: { ca_file: "\(caFile)" },
              defaults: { timeout: "3s" },
              discovery: { \(sources) },
            }
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static func startLab() throws -> Lab {
        let dir = try TempDirectory(prefix: "hostwatch-discovery")
        chmod(dir.path, 0o755)
        let ca = try TestCA(directory: dir.appending("ca"))
        let web = freeLoopbackAddress(ports: [80, 443])
        let nginx = try NginxServer(directory: dir.path, address: web, sites: [
            .init(domain: "shop.test", tls: try ca.issue(names: ["shop.test", "www.shop.test"], days: 90),
                  extraServerConfig: "    server_name www.shop.test;\n    location /app/ { proxy_pass http://127.0.0.1:9; }"),
            .init(domain: "blog.test"),
        ])
        let mailAddress = freeLoopbackAddress(ports: MailServers.postfixPorts + MailServers.dovecotPorts)
        // The host's certificate names only the host: what a shared mail server presents.
        let mail = try MailServers(directory: dir.appending("mail"), address: mailAddress,
                                   cert: try ca.issue(names: ["mx.shop.test"], days: 90),
                                   domains: ["shop.test", "blog.test"], user: "probe@shop.test", password: "Pr0be-S3cret!x7")
        let records = { (name: String) in
            "@ IN SOA ns1.\(name). hostmaster.\(name). 1 3600 600 86400 300\n@ IN NS ns1.\(name).\n@ IN A \(web)\n"
        }
        let nsd = try NSDServer(directory: dir.appending("nsd"), address: freeLoopbackAddress(ports: []),
                                zones: [.init(name: "shop.test", records: records("shop.test")), .init(name: "blog.test", records: records("blog.test"))])
        let lab = Lab(dir: dir, nginx: nginx, mail: mail, nsd: nsd, webAddress: web, caFile: ca.caFile)
        do {
            try nginx.start()
            try mail.start()
            try nsd.start()
            try "shop.test\tShop Ltd (#12)\tPremium\n".write(toFile: dir.appending("accounts.tsv"), atomically: true, encoding: .utf8)
        } catch {
            lab.shutdown()
            throw error
        }
        return lab
    }

    static func documents(_ text: String) throws -> [String: [String: Any]] {
        var byDomain: [String: [String: Any]] = [:]
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            byDomain[try #require(object["domain"] as? String)] = object
        }
        return byDomain
    }

    @Test func discoversRealServersWritesValidFilesAndTheirChecksPass() throws {
        let lab = try #require(DiscoveryLab.current, "the suite runs inside the discovery lab")
        let hostwatch = try HostwatchBinary()
        let config = try lab.config("plain")

        let shown = try hostwatch.run(["discover", "--json", "--config", config])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stderr == "", "no source may warn on healthy servers")
        let found = try Self.documents(shown.stdout)
        #expect(Set(found.keys) == ["shop.test", "blog.test"], "mx.shop.test is the host, not a domain")
        let shop = try #require(found["shop.test"])
        #expect(shop["schema"] as? String == "hostwatch.discovered/1")
        #expect(shop["sources"] as? [String] == ["nginx", "postfix", "nsd"])
        #expect(shop["aliases"] as? [String] == ["www.shop.test"])
        #expect(shop["account"] as? String == "Shop Ltd (#12)")
        #expect(shop["plan"] as? String == "plus")
        #expect(shop["upstreams"] as? [String] == ["http://127.0.0.1:9"])
        #expect(shop["diff"] as? String == "new")
        let checks = try #require(shop["checks"] as? [String])
        #expect(checks.contains("web https://shop.test/"))
        #expect(checks.contains("smtp 465 implicit") && checks.contains("imap 993 implicit") && checks.contains("pop3 995 implicit"))
        #expect(checks.contains { $0.hasPrefix("dns at \(lab.nsd.address)") })
        let blog = try #require(found["blog.test"])
        #expect(blog["account"] as? String == nil)
        #expect((blog["checks"] as? [String])?.first == "web http://blog.test/")

        let written = try hostwatch.run(["discover", "--write", "--config", config])
        #expect(written.status == 0, "\(written.stderr)")
        let file = try String(contentsOfFile: lab.dir.appending("checks-plain/discovered/shop.test.json5"), encoding: .utf8)
        #expect(file.hasPrefix("// generated by hostwatch discover; copy it to checks/ to own it\n"))
        #expect(file.contains("host: \"mx.shop.test\""), "the discovered mail host is written while server.mail_host is unset")
        let validate = try hostwatch.run(["validate", "--config", config])
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        let check = try hostwatch.check(config: config)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.results.count == 14, "\(check.results.keys.sorted())")

        let again = try hostwatch.run(["discover", "--config", config])
        #expect(again.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("unchanged ") }, "\(again.stdout)")

        // A hand-written file without `host`: the mail host postfix names is its default too.
        try "{ domain: \"shop.test\", account: \"Shop\", smtp: { port: 465, address: \"\(lab.mail.address)\" } }\n"
            .write(toFile: lab.dir.appending("checks-plain/shop.test.json5"), atomically: true, encoding: .utf8)
        let own = try hostwatch.check(config: config, ["shop.test"])
        #expect(own.status == 0, "\(own.stderr)")
        #expect(own.results.count == 1)
    }

    @Test func serverMailHostIsTheDefaultAndAHandWrittenFileWinsWhole() throws {
        let lab = try #require(DiscoveryLab.current, "the suite runs inside the discovery lab")
        let hostwatch = try HostwatchBinary()
        let config = try lab.config("shared", mailHost: "mx.shop.test")
        let own = "{ domain: \"blog.test\", account: \"Blog (#3)\", web: { url: \"http://blog.test/\", contains: \"blog.test\" } }\n"
        try own.write(toFile: lab.dir.appending("checks-shared/blog.test.json5"), atomically: true, encoding: .utf8)
        let written = try hostwatch.run(["discover", "--write", "--config", config])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("hand-written file wins"))
        #expect(!FileManager.default.fileExists(atPath: lab.dir.appending("checks-shared/discovered/blog.test.json5")))
        #expect(try String(contentsOfFile: lab.dir.appending("checks-shared/blog.test.json5"), encoding: .utf8) == own)
        let file = try String(contentsOfFile: lab.dir.appending("checks-shared/discovered/shop.test.json5"), encoding: .utf8)
        #expect(!file.contains("host:"), "server.mail_host is the default: the files need no host")
        let check = try hostwatch.check(config: config)
        #expect(check.status == 0, "\(check.stderr)")
        // The certificate names only mx.shop.test: without mail_host the domain's name is verified and fails.
        try FileManager.default.removeItem(atPath: lab.dir.appending("checks-shared/blog.test.json5"))
        let bare = try lab.config("shared", discovery: "nginx: false, postfix: false, dovecot: false, nsd: false, apache: false, bind: false")
        let failing = try hostwatch.check(config: bare)
        #expect(failing.status == 2, "\(failing.stderr)")
        #expect(failing.results.values.contains { $0.category == "security" }, "\(failing.stderr)")
    }

    @Test func aDiscoveryDroppingMostDomainsIsHeldBackUntilAccepted() throws {
        let lab = try #require(DiscoveryLab.current, "the suite runs inside the discovery lab")
        let hostwatch = try HostwatchBinary()
        let config = try lab.config("drop")
        #expect(try hostwatch.run(["discover", "--write", "--config", config]).status == 0)
        // nginx now fails (a broken config): a failing source removes nothing.
        let broken = try lab.config("drop", discovery: """
            nginx: { command: ["nginx", "-T", "-c", "/nonexistent/nginx.conf"] },
            postfix: false, dovecot: false, nsd: false, apache: false, bind: false
            """)
        let failing = try hostwatch.run(["discover", "--write", "--config", broken])
        #expect(failing.status == 0)
        #expect(failing.stderr.contains("warning: nginx: nginx -T -c /nonexistent/nginx.conf exited 1"), "\(failing.stderr)")
        #expect(failing.stderr.contains("shop.test stays watched as it is: nginx failed"), "\(failing.stderr)")
        #expect(FileManager.default.fileExists(atPath: lab.dir.appending("checks-drop/discovered/shop.test.json5")))
        // Every source gone quiet: more than 20 % would go, so nothing changes without --accept-removals.
        let empty = try lab.config("drop", discovery: "nginx: false, postfix: false, dovecot: false, nsd: false, apache: false, bind: false")
        let held = try hostwatch.run(["discover", "--write", "--config", empty])
        #expect(held.status == 1)
        #expect(held.stderr.contains("held back"), "\(held.stderr)")
        #expect(held.stdout.contains("gone      shop.test"))
        #expect(FileManager.default.fileExists(atPath: lab.dir.appending("checks-drop/discovered/shop.test.json5")))
        let accepted = try hostwatch.run(["discover", "--write", "--accept-removals", "--config", empty])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: lab.dir.appending("checks-drop/discovered/shop.test.json5")))
    }
}
