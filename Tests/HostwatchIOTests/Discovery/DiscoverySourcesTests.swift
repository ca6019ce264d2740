import Foundation
import HostwatchCore
import HostwatchIO
import Testing

@Suite struct DiscoverySourcesTests {
    /// A temporary folder with executable scripts standing in for the sources' commands.
    final class Scripts {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "hostwatch-discovery-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        /// The argv that runs the script: through /bin/sh, so the file is read, never executed
        /// (a file just written can be "busy" while another test forks).
        func script(_ name: String, _ body: String) throws -> [String] {
            let file = path + "/" + name
            try (body + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            return ["/bin/sh", file]
        }
    }

    func settings() -> DiscoverySettings {
        var settings = DiscoverySettings()
        settings.nginx = nil
        settings.apache = nil
        settings.postfix = nil
        settings.dovecot = nil
        settings.nsd = nil
        settings.bind = nil
        return settings
    }

    @Test func sourcesTheMachineDoesNotHaveAreSkippedSilently() {
        var settings = DiscoverySettings()
        settings.nginx = ["/nonexistent/nginx", "-T"]
        settings.apache = ["no-such-apache2ctl-here", "-S"]
        settings.postfix = ["/nonexistent/postconf"]
        settings.dovecot = ["/nonexistent/doveconf", "-n"]
        settings.nsd = "/nonexistent/nsd.conf"
        settings.bind = "/nonexistent/named.conf"
        let run = DiscoverySources(settings: settings).run()
        #expect(run.readings.isEmpty)
        #expect(run.warnings.isEmpty)
        #expect(run.failed.isEmpty)
    }

    @Test func aCommandThatFailsIsAWarningNamingTheSource() throws {
        let scripts = try Scripts()
        var settings = settings()
        settings.nginx = try scripts.script("nginx", "echo 'nginx: [emerg] unknown directive \"sever\" in /etc/nginx/sites-enabled/a:1' >&2; exit 1") + ["-T"]
        let run = DiscoverySources(settings: settings).run()
        #expect(run.failed == ["nginx"])
        #expect(run.warnings.count == 1)
        #expect(run.warnings[0].hasPrefix("nginx: /bin/sh \(scripts.path)/nginx -T exited 1: nginx: [emerg] unknown directive"))
    }

    @Test func aCommandThatHangsIsKilledAtTheTimeout() throws {
        let scripts = try Scripts()
        var settings = settings()
        settings.timeout = .seconds(1)
        settings.dovecot = try scripts.script("doveconf", "exec sleep 30")
        let run = DiscoverySources(settings: settings).run()
        #expect(run.failed == ["dovecot"])
        #expect(run.warnings == ["dovecot: /bin/sh \(scripts.path)/doveconf did not finish within 1s"])
    }

    @Test func readsCommandOutputAndPostconfMWithTheSameCommand() throws {
        let scripts = try Scripts()
        var settings = settings()
        settings.postfix = try scripts.script("postconf", """
            if [ "$1" = "-M" ]; then echo "smtp inet n - y - - smtpd"; exit 0; fi
            printf 'myhostname = mx.a.test\\nvirtual_mailbox_domains = a.test b.test\\n'
            """)
        let run = DiscoverySources(settings: settings).run()
        #expect(run.warnings == [])
        let postfix = try #require(run.readings.first)
        #expect(postfix.sites.map(\.name) == ["a.test", "b.test"])
        #expect(postfix.mail.endpoints.map(\.port) == [25])
    }

    @Test func anUnreadableAccountsFileIsAWarning() {
        var settings = settings()
        settings.accountsFile = "/nonexistent/accounts.tsv"
        let run = DiscoverySources(settings: settings).run()
        #expect(run.warnings == ["accounts_file: cannot read /nonexistent/accounts.tsv"])
        #expect(run.accounts == nil)
    }
}
