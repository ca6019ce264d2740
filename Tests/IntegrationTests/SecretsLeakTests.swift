import Foundation
import Glibc
import HostwatchCore
import Testing

/// Issue 15, item 5: with every kind of secret configured (probe passwords for SMTP AUTH, IMAP and
/// POP3 checks, the e-mail sink's SMTP AUTH password, the RT and webhook tokens) and checks
/// failing, nothing hostwatch writes or shows holds a secret, plain or encoded: its log, its
/// state folder (tickets, outbox, status), the e-mails it sent, the bodies it posted to RT and
/// the webhook, `hostwatch check` and `tickets show` output, and `ps`.
@Suite(.serialized) struct SecretsLeakTests {
    /// Distinct secrets with characters that base64 and URL encoding change.
    static let probePassword = "Pr0be+wr0ng/pw=15!"
    static let relayPassword = "Re1ay+smtp/pw=15?"
    static let rtToken = "rt-T0ken+15/xyz=="
    static let webhookToken = "wh-T0ken+15/abc&q"

    /// A secret and the encodings it could leak in, each with a name for the report (which
    /// never prints a secret): base64 of itself and of the SASL PLAIN and HTTP Basic forms with
    /// the user, with and without padding, and percent-encoded.
    static func forms(of secret: String, user: String) -> [(kind: String, form: String)] {
        var forms = [("plain", secret)]
        for (kind, text) in [("base64", secret), ("SASL PLAIN base64", "\0\(user)\0\(secret)"),
                             ("SASL PLAIN base64 with authzid", "\(user)\0\(user)\0\(secret)"), ("Basic base64", "\(user):\(secret)")] {
            let base64 = Data(text.utf8).base64EncodedString()
            forms.append((kind, base64))
            forms.append((kind + " unpadded", base64.trimmingCharacters(in: CharacterSet(charactersIn: "="))))
        }
        forms.append(("percent-encoded", secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!))
        forms.append(("URL-query-encoded", secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!))
        return forms
    }

    static var allForms: [(name: String, kind: String, form: String)] {
        [("probe password", probePassword, "probe@a.test"), ("relay password", relayPassword, "probe@a.test"),
         ("RT token", rtToken, "rt"), ("webhook token", webhookToken, "hook")]
            .flatMap { name, secret, user in forms(of: secret, user: user).map { (name, $0.kind, $0.form) } }
    }

    /// Every regular file below `folder`, with its text.
    func files(under folder: String) -> [(path: String, text: String)] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var out: [(String, String)] = []
        while let name = walker.nextObject() as? String {
            let path = folder + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            out.append((path, String(decoding: data, as: UTF8.self)))
        }
        return out
    }

    @Test func noSecretOrItsEncodingIsInAnythingHostwatchWritesOrShows() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-secrets")
        defer { try? dir.remove() }
        chmod(dir.path, 0o755)
        let ca = try TestCA(directory: dir.appending("ca"))
        let mailAddress = freeLoopbackAddress(ports: MailServers.postfixPorts + MailServers.dovecotPorts)
        // The relay account has the right password; the checks' probe file has a wrong one, so
        // every mail check sends a secret and fails.
        let mail = try MailServers(directory: dir.appending("mail"), address: mailAddress,
                                   cert: try ca.issue(names: ["a.test", "mx.a.test"], days: 30),
                                   domains: ["a.test"], user: "probe@a.test", password: Self.relayPassword)
        defer { mail.shutdown() }
        try mail.start()
        let webhook = try WebhookReceiver()
        defer { webhook.stop() }
        let rt = try WebhookReceiver()   // an RT that fails every call: the agent retries, and logs
        rt.answer(with: 500)
        defer { rt.stop() }
        let closed = try Self.closedPort()

        let etc = dir.appending("etc")
        try FileManager.default.createDirectory(atPath: etc + "/checks", withIntermediateDirectories: true)
        for (name, secret) in [("probe.pw", Self.probePassword), ("relay.pw", Self.relayPassword),
                               ("rt.token", Self.rtToken), ("hook.token", Self.webhookToken)] {
            try (secret + "\n").write(toFile: etc + "/" + name, atomically: true, encoding: .utf8)
            chmod(etc + "/" + name, 0o600)
        }
        try """
        {
          server: { name: "secrets", address: "\(mailAddress)" },
          state_dir: "\(dir.appending("state"))",
          checks: "checks",
          tls: { ca_file: "\(ca.caFile)" },
          defaults: { interval: "1s", retry_interval: "300ms", timeout: "3s", failures: 2, recoveries: 1 },
          tickets: {
            deliver: [
              { type: "email", to: ["probe@a.test"], from: "hostwatch@secrets.test", smtp: "smtp://mx.a.test:587",
                address: "\(mailAddress)", tls: "starttls", user: "probe@a.test", password_file: "relay.pw" },
              { type: "rt", url: "http://127.0.0.1:\(rt.port)", queue: "Hosting", token_file: "rt.token", timeout: "3s" },
              { type: "webhook", url: "\(webhook.url)", token_file: "hook.token", timeout: "3s" },
            ],
            retry: { first: "200ms", max: "1s" },
          },
        }
        """.write(toFile: etc + "/hostwatch.json5", atomically: true, encoding: .utf8)
        try """
        { domain: "a.test", account: "A Ltd (#7)",
          web: { url: "http://a.test:\(closed)/", address: "127.0.0.1" },
          smtp: { port: 587, user: "probe@a.test", password_file: "probe.pw" },
          imap: { port: 143, tls: "starttls", user: "probe@a.test", password_file: "probe.pw" },
          pop3: { port: 110, tls: "starttls", user: "probe@a.test", password_file: "probe.pw" },
        }
        """.write(toFile: etc + "/checks/a.test.json5", atomically: true, encoding: .utf8)
        let config = etc + "/hostwatch.json5"
        let binary = try HostwatchBinary()
        let validation = try binary.run(["validate", "--config", config])
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
        let checked = try binary.run(["check", "--config", config])

        let agentLog = dir.appending("agent.log")
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: agentLog)
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: agentLog) ?? Data(), as: UTF8.self) }
        var ps = ""
        // Every check kind failed and made a ticket; the e-mail and webhook took them; RT refused some.
        #expect(try await waitUntil(timeout: .seconds(60)) {
            ps += try ChildProcess.output(of: "/bin/ps", ["-eo", "pid,args", "ww"])
            let tickets = try binary.tickets(config: config).filter { !$0.key.hasPrefix("delivery:") }
            let kinds = Set(tickets.flatMap(\.checks).compactMap { $0.split(separator: "/").last.map(String.init) })
            return kinds.isSuperset(of: ["web", "smtp", "imap", "pop3"])
                && webhook.requests.count >= tickets.count && rt.requests.count >= 2
                && !files(under: mail.maildir + "/new").isEmpty
        }, "\(log())")
        let tickets = try binary.tickets(config: config)
        let shown = try tickets.map { try binary.run(["tickets", "show", $0.id, "--config", config]).stdout }.joined(separator: "\n")
        #expect(agent.terminate() == 0)

        var haystacks: [(String, String)] = [("agent log", log()), ("ps", ps), ("hostwatch check", checked.stdout + checked.stderr),
                                             ("tickets show", shown), ("validate", validation.stdout + validation.stderr)]
        haystacks += files(under: dir.appending("state")).map { ("state " + $0.path, $0.text) }
        haystacks += files(under: mail.maildir).map { ("e-mail " + $0.path, $0.text) }
        for (name, receiver) in [("webhook", webhook), ("rt", rt)] {
            for (index, request) in receiver.requests.enumerated() {
                // The Authorization header is where the token belongs; everything else must not hold it.
                let head = request.head.filter { !$0.lowercased().hasPrefix("authorization:") }.joined(separator: "\n")
                haystacks.append(("\(name) request \(index)", head + "\n" + String(decoding: request.body, as: UTF8.self)))
            }
        }
        // The sinks did present their tokens where they belong (so the test saw them in use).
        #expect(webhook.requests.first?.header("Authorization") == "Bearer \(Self.webhookToken)")
        #expect(rt.requests.first?.header("Authorization") == "token \(Self.rtToken)")
        // And the mail checks did log in with the probe password (dovecot refused it).
        #expect(mail.postfixLog.contains("sasl_username=probe@a.test"), "\(mail.postfixLog)")

        var found: [String] = []
        for (name, text) in haystacks {
            for (secret, kind, form) in Self.allForms where text.contains(form) {
                found.append("\(name): the \(secret), \(kind)")
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
        #expect(haystacks.count > 10, "searched \(haystacks.map(\.0))")
    }

    /// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
    static func closedPort() throws -> UInt16 {
        let server = try WebhookReceiver()
        let port = server.port
        server.stop()
        return port
    }
}
