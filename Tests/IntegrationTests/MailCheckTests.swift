import Foundation
import Glibc
import HostwatchCore
import HostwatchIO
import Testing

/// One postfix and one dovecot for the whole mail suite (started once: CI time), with a test CA,
/// a probe account and the hostwatch config that checks every port. Tests that break something
/// repair it before they end; the suite runs its tests one at a time.
struct MailLab: SuiteTrait, TestScoping {
    struct Context: Sendable {
        let dir: TempDirectory
        let servers: MailServers
        let ca: TestCA
        let password: String
        /// The agent file of a config checking every mail port of `a.test` on the servers.
        let config: String
    }

    @TaskLocal static var current: Context?

    static let password = "Pr0be-S3cret!x7"
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let dir = try TempDirectory(prefix: "hostwatch-mail")
        defer { try? dir.remove() }
        // Delivery and the IMAP and POP3 sessions run as nobody: the folders on the way must be searchable.
        chmod(dir.path, 0o755)
        let ca = try TestCA(directory: dir.appending("ca"))
        let address = freeLoopbackAddress(ports: MailServers.postfixPorts + MailServers.dovecotPorts)
        let servers = try MailServers(directory: dir.appending("servers"), address: address,
                                      cert: try ca.issue(names: ["a.test", "mx.a.test"], days: 90),
                                      domains: ["a.test"], user: "probe@a.test", password: Self.password)
        defer { servers.shutdown() }
        try servers.start()
        let config = try Self.writeConfig(dir, address: address, caFile: ca.caFile, passwordFile: servers.passwordFile)
        let context = Context(dir: dir, servers: servers, ca: ca, password: Self.password, config: config)
        try await Self.$current.withValue(context) { try await function() }
    }

    static func writeConfig(_ dir: TempDirectory, address: String, caFile: String, passwordFile: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: passwordFile, toPath: dir.appending("probe.pw"))
        try """
        { server: { name: "hw.test", address: "\(address)" }, state_dir: "state", tls: { ca_file: "\(caFile)" },
          defaults: { timeout: "3s" } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "a.test", account: "A Ltd (#7)",
          smtp: [{ port: 25, relay_test: true },
                 { port: 587, user: "probe@a.test", password_file: "probe.pw" },
                 { port: 465, user: "probe@a.test", password_file: "probe.pw" }],
          imap: [{ port: 993, user: "probe@a.test", password_file: "probe.pw" },
                 { port: 143, user: "probe@a.test", password_file: "probe.pw" }],
          pop3: [{ port: 995, user: "probe@a.test", password_file: "probe.pw" },
                 { port: 110, user: "probe@a.test", password_file: "probe.pw" }],
          mail_roundtrip: { to: "probe@a.test", password_file: "probe.pw", within: "4s" },
        }
        """.write(toFile: dir.appending("checks/a.test.json5"), atomically: true, encoding: .utf8)
        return dir.appending("hostwatch.json5")
    }
}

extension Trait where Self == MailLab {
    /// Runs the suite against one shared postfix and dovecot.
    static var mailLab: MailLab { MailLab() }
}

@Suite(.serialized, .mailLab)
struct MailCheckTests {
    typealias Result = CheckResult

    var lab: MailLab.Context {
        get throws { try #require(MailLab.current, "the suite runs inside the mail lab") }
    }

    /// `hostwatch check --json` on the lab's config: results by check name, and everything printed.
    /// The binary runs on a thread of its own, so the suite never holds one of the few threads
    /// that every async test shares.
    func check(_ config: String? = nil) async throws -> (status: Int32, results: [String: Result], printed: String) {
        let arguments = ["check", "--json", "--config", try config ?? lab.config]
        let run = try await offThread { try HostwatchBinary().run(arguments, timeout: .seconds(60)) }
        let results = try FileTicketStore.decoder.decode([Result].self, from: Data(run.stdout.utf8))
        return (run.status, Dictionary(uniqueKeysWithValues: results.map { ($0.check, $0) }), run.stdout + run.stderr)
    }

    /// The password and every base64 form an AUTH exchange could carry.
    func secretForms(_ password: String) -> [String] {
        [password, Data(password.utf8).base64EncodedString(), Data("\0probe@a.test\0\(password)".utf8).base64EncodedString(),
         Data("probe@a.test\0probe@a.test\0\(password)".utf8).base64EncodedString()]
    }

    /// Waits until every check of the lab passes again. postfix and dovecot apply a reload
    /// asynchronously (new processes pick it up), so a test that changed their config restores it
    /// and waits here: the next test must not meet the changed server.
    func waitUntilHealthy() async throws {
        var last: [String: Result] = [:]
        let healthy = try await waitUntil(timeout: .seconds(20), poll: .milliseconds(300)) { () async throws -> Bool in
            last = try await check().results
            return !last.isEmpty && last.values.allSatisfy { $0.status == "ok" }
        }
        #expect(healthy, "\(last.filter { $0.value.status != "ok" }.mapValues(\.summary))")
    }

    @Test func everyPortPassesWhenHealthyAndTheRoundTripCleansUp() async throws {
        let lab = try lab
        let before = lab.servers.messageCount
        let (status, results, printed) = try await check()
        #expect(status == 0, "\(results.values.filter { $0.status != "ok" }.map(\.summary))")
        #expect(results.count == 8)
        for (name, result) in results {
            #expect(result.status == "ok", "\(name): \(result.summary)")
            #expect(result.certificateExpiry != nil, "\(name) saw no certificate")
        }
        let address = lab.servers.address
        #expect(results["a.test/smtp[0]"]?.summary.hasPrefix("220 greeting, EHLO 250, STARTTLS 220, relay refused, QUIT 221") == true)
        #expect(results["a.test/smtp[1]"]?.summary.contains("AUTH 235") == true)
        #expect(results["a.test/smtp[2]"]?.endpoint == "\(address):465/smtp")
        #expect(results["a.test/imap[1]"]?.summary.contains("STARTTLS OK, logged in as probe@a.test") == true)
        #expect(results["a.test/pop3[1]"]?.summary.contains("STLS +OK") == true)
        #expect(results["a.test/mail_roundtrip"]?.summary.contains("delivered to probe@a.test") == true)
        #expect(results["a.test/imap[0]"]?.transcript.contains("hw1 EXAMINE INBOX") == true)
        #expect(results["a.test/smtp[0]"]?.transcript.contains("RCPT TO:<hostwatch-relay-test@example.net>") == true)
        // The round trip deleted its message; nothing was relayed.
        #expect(lab.servers.messageCount == before)
        #expect(!lab.servers.postfixLog.contains("example.net>, relay="))
        for form in secretForms(lab.password) { #expect(!printed.contains(form)) }
    }

    @Test func stoppingDovecotFailsIMAPAndPOP3AtConnectAndSubmissionInPostfixsWords() async throws {
        let lab = try lab
        try lab.servers.stopDovecot()
        defer { try? lab.servers.startDovecot() }
        let (status, results, _) = try await check()
        let address = lab.servers.address
        #expect(status == 2)
        #expect(results["a.test/imap[0]"]?.summary == "IMAP: connect to \(address):993 refused")
        #expect(results["a.test/imap[0]"]?.category == "email-down")
        #expect(results["a.test/imap[0]"]?.endpoint == "\(address):993/imap")
        #expect(results["a.test/pop3[1]"]?.summary == "POP3: connect to \(address):110 refused")
        // postfix still answers, but its submission service cannot reach dovecot's SASL socket:
        // an smtpd started since then dies while answering EHLO ("no SASL authentication
        // mechanisms"), one that was already running answers AUTH with 454.
        let submission = try #require(results["a.test/smtp[1]"])
        #expect(submission.status == "failed")
        #expect(submission.category == "email-down")
        #expect(submission.summary.hasPrefix("SMTP: EHLO failed: ")
            || submission.summary.hasPrefix("SMTP: AUTH PLAIN answered 454 4.7.0 Temporary authentication failure"), "\(submission.summary)")
        #expect(results["a.test/smtp[0]"]?.status == "ok")
        #expect(results["a.test/mail_roundtrip"]?.summary.contains("then IMAP: connect to \(address):993 refused") == true)
    }

    /// Four domains whose SMTP checks ask postfix the same thing (the shared host's name) make one
    /// session between them, counted in postfix's own log; with `share_mail_sessions: false`, four.
    @Test func equalMailChecksOfManyDomainsShareOneSession() async throws {
        let lab = try lab
        let domains = ["b.test", "c.test", "d.test", "e.test"]
        func config(_ name: String, share: Bool) throws -> String {
            let dir = lab.dir.appending(name)
            try FileManager.default.createDirectory(atPath: dir + "/checks", withIntermediateDirectories: true)
            try """
            { server: { name: "hw.test", address: "\(lab.servers.address)", mail_host: "a.test" }, state_dir: "state",
              tls: { ca_file: "\(lab.ca.caFile)" }, defaults: { timeout: "3s" }, limits: { share_mail_sessions: \(share) } }
            """.write(toFile: dir + "/hostwatch.json5", atomically: true, encoding: .utf8)
            for domain in domains {
                try "{ domain: \"\(domain)\", smtp: { port: 25 } }".write(toFile: dir + "/checks/\(domain).json5", atomically: true, encoding: .utf8)
            }
            return dir + "/hostwatch.json5"
        }
        func sessions() -> Int { lab.servers.postfixLog.components(separatedBy: "\n").filter { $0.contains("disconnect from") }.count }
        let before = sessions()

        let shared = try await check(try config("shared", share: true))
        #expect(shared.status == 0, "\(shared.printed)")
        #expect(shared.results.count == 4)
        #expect(shared.results.values.allSatisfy { $0.status == "ok" }, "\(shared.results.mapValues(\.summary))")
        let told = shared.results.values.filter { $0.transcript.contains("one session answers every check with this exact request") }
        #expect(told.count == 3, "the three checks that did not run the session say so")

        let own = try await check(try config("own", share: false))
        #expect(own.status == 0, "\(own.printed)")
        #expect(!own.results.values.contains { $0.transcript.contains("one session answers") })
        // postfix logs a session when it ends: wait for the last of the second run's four.
        let logged = try await waitUntil(timeout: .seconds(10), poll: .milliseconds(100)) { sessions() - before >= 5 }
        #expect(logged)
        #expect(sessions() - before == 5, "postfix counted one session for the shared run and four for the other")
    }

    /// Between certificate examinations a mail session offers the last TLS session and carries
    /// what the last full handshake showed, on STARTTLS and on implicit TLS alike, and its
    /// transcript says whether the server resumed; a failure ends the standing.
    /// Sessions kept parsed, or compact (as bytes: past `keep_connections` sites), alike.
    @Test(arguments: [false, true])
    func sessionsBetweenExaminationsCarryTheCertificate(compact: Bool) async throws {
        let lab = try lab
        let loop = CurlMultiLoop(maxInFlight: 4)
        defer { loop.shutdownAndWait() }
        let transport = CurlMailTransport(loop: loop, certificates: CertificateMemory(every: .seconds(3600), compactSessions: compact))
        for (proto, port, tls) in [(MailProtocol.smtp, 25, MailTLS.starttls), (.imap, 993, .implicit)] {
            let request = MailRequest(proto: proto, host: "a.test", address: lab.servers.address, port: port, tls: tls,
                                      timeout: .seconds(5), caFile: lab.ca.caFile)
            let first = await transport.perform(request)
            #expect(first.error == nil, "\(first.transcript.rendered)")
            let examined = try #require(first.certificate, "\(proto) \(port)")
            #expect(!first.transcript.text.contains("TLS session resumed"))
            // Every later session carries what the examination showed and says what became of
            // TLS. The examination keeps no session, so the first makes one; postfix resumes it
            // every time after (libcurl's own cache never did on STARTTLS: each SMTP check was a
            // full handshake; and a session OpenSSL had used once was not offered again, so
            // every other check was). Dovecot here resumed none (likely: a login process per
            // connection, each with ticket keys of its own), and says so.
            var notes: [String] = []
            for _ in 0..<3 {
                let later = await transport.perform(request)
                #expect(later.error == nil, "\(later.transcript.rendered)")
                #expect(later.certificate == examined)
                let text = later.transcript.text
                let note = text.split(separator: "\n").first { $0.hasSuffix("certificate as examined 0 min ago (full handshake at least every 1h)") }
                notes.append(note.map { String($0.prefix { $0 != ";" }) } ?? "no note")
                #expect(text.contains("TLS handshake, Certificate (11)") == (notes.last != "* TLS session resumed"),
                        "a certificate is sent on a new session only")
            }
            if proto == .smtp {
                #expect(notes == ["* new TLS session", "* TLS session resumed", "* TLS session resumed"])
            } else {
                #expect(notes.first == "* new TLS session")
                #expect(notes.dropFirst().allSatisfy { ["* TLS session resumed", "* new TLS session (the server did not resume the last one)"].contains($0) },
                        "\(notes)")
            }
        }
        let smtp = MailRequest(proto: .smtp, host: "a.test", address: lab.servers.address, port: 25, tls: .starttls,
                               timeout: .seconds(5), caFile: lab.ca.caFile)
        try lab.servers.stopPostfix()
        let failed = await transport.perform(smtp)
        try lab.servers.startPostfix()
        #expect(failed.error != nil)
        let afterwards = await transport.perform(smtp)
        #expect(afterwards.error == nil, "\(afterwards.transcript.rendered)")
        #expect(afterwards.certificate?.notAfter != nil)
        #expect(!afterwards.transcript.text.contains("TLS session resumed"))
    }

    @Test func stoppingPostfixFailsEverySMTPPortAtConnect() async throws {
        let lab = try lab
        try lab.servers.stopPostfix()
        defer { try? lab.servers.startPostfix() }
        let (status, results, _) = try await check()
        let address = lab.servers.address
        #expect(status == 2)
        for (index, port) in [(0, 25), (1, 587), (2, 465)] {
            let result = try #require(results["a.test/smtp[\(index)]"])
            #expect(result.summary == "SMTP: connect to \(address):\(port) refused")
            #expect(result.severity == "critical")
            #expect(result.endpoint == "\(address):\(port)/smtp")
        }
        #expect(results["a.test/mail_roundtrip"]?.summary == "Round trip: SMTP: connect to \(address):25 refused")
        #expect(results["a.test/imap[0]"]?.status == "ok")
    }

    @Test func anOpenRelayIsCaught() async throws {
        let lab = try lab
        // The classic way to become an open relay: trusting too wide a network. (Relayed mail is
        // discarded here instead of refused at RCPT, as the error: transport would; the check
        // never sends DATA anyway.)
        try lab.servers.postconf(["mynetworks = 127.0.0.0/8", "default_transport = discard:relayed mail is dropped in tests",
                                  "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"])
        try lab.servers.reloadPostfix()
        defer {
            try? lab.servers.postconf(["mynetworks = 192.0.2.1/32", "default_transport = error:mail never leaves the test machine",
                                       "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination"])
            try? lab.servers.reloadPostfix()
        }
        // A reload takes effect with the next smtpd process: wait for the relay to open.
        var relay: Result?
        let opened = try await waitUntil(timeout: .seconds(15), poll: .milliseconds(300)) { () async throws -> Bool in
            relay = try await check().results["a.test/smtp[0]"]
            return relay?.status == "failed"
        }
        #expect(opened)
        #expect(relay?.category == "security")
        #expect(relay?.severity == "critical")
        #expect(relay?.summary == "SMTP: open relay: RCPT TO:<hostwatch-relay-test@example.net> from "
            + "MAIL FROM:<hostwatch-relay-test@example.com> without AUTH answered 250 2.1.5 Ok")
        // Never DATA: the relay test resets and quits.
        #expect(relay?.transcript.contains("> RSET") == true)
        #expect(relay?.transcript.contains("> DATA") == false)
        // Close the relay again before the next test: see `waitUntilHealthy`.
        try lab.servers.postconf(["mynetworks = 192.0.2.1/32", "default_transport = error:mail never leaves the test machine",
                                  "smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination"])
        try lab.servers.reloadPostfix()
        try await waitUntilHealthy()
    }

    @Test func anExpiredCertificateIsCaughtOnEveryTLSPort() async throws {
        let lab = try lab
        try lab.servers.useCertificate(try lab.ca.issueExpired(names: ["a.test", "mx.a.test"]))
        defer { try? lab.servers.useCertificate(try lab.ca.issue(names: ["a.test", "mx.a.test"], days: 90)) }
        var results: [String: Result] = [:]
        let caught = try await waitUntil(timeout: .seconds(15), poll: .milliseconds(300)) { () async throws -> Bool in
            results = try await check().results
            return ["smtp[0]", "smtp[1]", "smtp[2]", "imap[0]", "imap[1]", "pop3[0]", "pop3[1]"].allSatisfy {
                results["a.test/\($0)"]?.category == "security"
            }
        }
        #expect(caught, "\(results.mapValues(\.summary))")
        for name in ["smtp[0]", "smtp[1]", "smtp[2]", "imap[0]", "imap[1]", "pop3[0]", "pop3[1]"] {
            let result = try #require(results["a.test/\(name)"])
            #expect(result.summary.contains("certificate rejected: SSL certificate problem: certificate has expired"), "\(result.summary)")
            // Verification failed, so the dates come from the second, unverified look.
            #expect(result.summary.contains("valid until "), "\(result.summary)")
            #expect(result.severity == "critical")
        }
        try lab.servers.useCertificate(try lab.ca.issue(names: ["a.test", "mx.a.test"], days: 90))
        try await waitUntilHealthy()
    }

    @Test func aCertificateForAnotherNameIsCaught() async throws {
        let lab = try lab
        try lab.servers.useCertificate(try lab.ca.issue(names: ["other.test"], days: 90))
        defer { try? lab.servers.useCertificate(try lab.ca.issue(names: ["a.test", "mx.a.test"], days: 90)) }
        var results: [String: Result] = [:]
        let caught = try await waitUntil(timeout: .seconds(15), poll: .milliseconds(300)) { () async throws -> Bool in
            results = try await check().results
            return results["a.test/imap[0]"]?.category == "security" && results["a.test/smtp[1]"]?.category == "security"
        }
        #expect(caught, "\(results.mapValues(\.summary))")
        for name in ["imap[0]", "smtp[1]", "pop3[1]"] {
            let result = try #require(results["a.test/\(name)"])
            #expect(result.severity == "critical")
            #expect(result.summary.contains("a.test"), "\(result.summary)")
            #expect(result.summary.contains("other.test"), "\(result.summary)")
        }
        try lab.servers.useCertificate(try lab.ca.issue(names: ["a.test", "mx.a.test"], days: 90))
        try await waitUntilHealthy()
    }

    @Test func theRoundTripFailsWhenTheMailboxIsNotWritable() async throws {
        let lab = try lab
        let tmp = lab.servers.maildir + "/tmp"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        for path in [lab.servers.maildir, tmp] { chown(path, 65534, 65534) }
        chmod(tmp, 0o500)
        defer { chmod(tmp, 0o700) }
        let (_, results, _) = try await check()
        let roundTrip = try #require(results["a.test/mail_roundtrip"])
        #expect(roundTrip.status == "failed")
        #expect(roundTrip.category == "email-down")
        #expect(roundTrip.summary.hasPrefix("Round trip: accepted at "), "\(roundTrip.summary)")
        #expect(roundTrip.summary.contains("not delivered to probe@a.test within 4s"), "\(roundTrip.summary)")
        // Everything else still passes: mail is accepted, it just does not arrive.
        #expect(results["a.test/smtp[0]"]?.status == "ok", "\(results["a.test/smtp[0]"]?.summary ?? "")")
        #expect(results["a.test/imap[0]"]?.status == "ok", "\(results["a.test/imap[0]"]?.summary ?? "")")
    }

    @Test func aServerHungAfterItsGreetingDelaysNoneOfTheOthers() async throws {
        let lab = try lab
        let hung = try SilentAfterGreeting(greeting: "220 hung.test ESMTP\r\n")
        defer { hung.stop() }
        let dir = try TempDirectory(prefix: "hostwatch-mail-hang")
        defer { try? dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try """
        { server: { name: "hw.test", address: "\(lab.servers.address)" }, state_dir: "state",
          tls: { ca_file: "\(lab.ca.caFile)" }, defaults: { timeout: "3s" } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "hung.test", smtp: { port: \(hung.port), tls: "if-offered", address: "127.0.0.1" } }
        """.write(toFile: dir.appending("checks/hung.test.json5"), atomically: true, encoding: .utf8)
        for i in 1...20 {
            try """
            { domain: "a.test", smtp: [{ port: 25 }, { port: 465 }], imap: { port: 993 } }
            """.replacingOccurrences(of: "a.test", with: "site\(i).a.test")
                .write(toFile: dir.appending("checks/site\(i).json5"), atomically: true, encoding: .utf8)
        }
        // The healthy checks verify the certificate against each site's own name: give them one.
        try lab.servers.useCertificate(try lab.ca.issue(names: ["a.test", "mx.a.test", "*.a.test"], days: 90))
        let started = Date()
        let (status, results, _) = try await check(dir.appending("hostwatch.json5"))
        let elapsed = Date().timeIntervalSince(started)
        #expect(status == 2)
        let hungResult = try #require(results["hung.test/smtp"])
        #expect(hungResult.summary.hasPrefix("SMTP: no answer to EHLO from 127.0.0.1:\(hung.port) within 3s"), "\(hungResult.summary)")
        let healthy = results.filter { $0.key != "hung.test/smtp" }
        #expect(healthy.count == 60)
        for (name, result) in healthy {
            #expect(result.status == "ok", "\(name): \(result.summary)")
            #expect((result.timingsMs["total"] ?? 1e9) < 1000, "\(name) took \(result.timingsMs["total"] ?? -1) ms beside a hung server")
        }
        #expect(elapsed < 8, "check took \(elapsed) s")
    }

    /// The agent files tickets for checks whose transcripts hold AUTH exchanges made with the real
    /// password (a certificate warning fails them after a successful login): neither the password
    /// nor its base64 forms appear in the tickets, the store, the log or the output.
    @Test func thePasswordAppearsNowhere() async throws {
        let lab = try lab
        let dir = try TempDirectory(prefix: "hostwatch-mail-secret")
        defer { try? dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: lab.servers.passwordFile, toPath: dir.appending("probe.pw"))
        try """
        { server: { name: "hw.test", address: "\(lab.servers.address)" }, state_dir: "state",
          tls: { ca_file: "\(lab.ca.caFile)" },
          defaults: { interval: "1s", retry_interval: "500ms", timeout: "3s", failures: 1, cert_warning_days: 3650 } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "a.test",
          smtp: [{ port: 587, user: "probe@a.test", password_file: "probe.pw" }, { port: 465, user: "probe@a.test", password_file: "probe.pw" }],
          imap: [{ port: 993, user: "probe@a.test", password_file: "probe.pw" }, { port: 143, user: "probe@a.test", password_file: "probe.pw" }],
          pop3: [{ port: 995, user: "probe@a.test", password_file: "probe.pw" }, { port: 110, user: "probe@a.test", password_file: "probe.pw" }],
          mail_roundtrip: { to: "probe@a.test", password_file: "probe.pw", within: "4s" } }
        """.write(toFile: dir.appending("checks/a.test.json5"), atomically: true, encoding: .utf8)
        let config = dir.appending("hostwatch.json5")
        let binary = try HostwatchBinary()
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config],
                                     logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        var tickets: [Ticket] = []
        let filed = try await waitUntil(timeout: .seconds(30), poll: .milliseconds(500)) { () async throws -> Bool in
            tickets = try await offThread { try binary.tickets(config: config) }
            // Every certificate "expires" within 3650 days: one warning ticket for all of them
            // (issue 13), with a line per check and a transcript per protocol's error.
            let members = tickets.first?.attachments.first { $0.name == "members.txt" }?.content ?? ""
            return members.components(separatedBy: "\n").filter { $0.contains("a.test/") }.count >= 6
        }
        #expect(filed, "tickets: \(tickets.map(\.subject))")
        agent.terminate()
        let attachments = tickets.flatMap(\.attachments).map(\.content).joined(separator: "\n")
        #expect(attachments.contains("AUTH PLAIN [redacted]"))
        #expect(attachments.contains("AUTHENTICATE PLAIN [redacted]"))
        var everything = attachments + ((try? String(contentsOfFile: dir.appending("agent.log"), encoding: .utf8)) ?? "")
        everything += try await check(config).printed
        let state = dir.appending("state")
        for file in FileManager.default.enumerator(atPath: state)?.allObjects as? [String] ?? [] {
            everything += (try? String(contentsOfFile: state + "/" + file, encoding: .utf8)) ?? ""
        }
        for form in secretForms(lab.password) { #expect(!everything.contains(form), "found \(form)") }
    }
}

/// Runs blocking work (a child process, a wait) on a Dispatch thread and awaits its result.
func offThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

/// A listener on 127.0.0.1 that sends a greeting to each connection and then never says
/// anything again (fault injection: a mail server hung after its banner).
final class SilentAfterGreeting: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var connections: [Int32] = []

    init(greeting: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw FixtureError.addressInUse(address: "127.0.0.1", port: 0) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let bytes = Array(greeting.utf8)
        Thread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { close(fd); return }
                _ = bytes.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
                lock.withLock { connections.append(connection) }
            }
        }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        lock.withLock {
            for fd in connections { close(fd) }
            connections = []
        }
    }
}
