import Foundation
import Glibc
import HostwatchCore
import Testing

/// The email sink end to end: the real `hostwatch run` sends through a real postfix (STARTTLS
/// and AUTH on the submission port, SASL through dovecot) into dovecot's Maildirs on loopback.
@Suite(.serialized)
struct EmailDeliveryTests {
    /// One message from a Maildir: its headers (unfolded) and its MIME parts.
    struct Message {
        var headers: [(String, String)]
        var raw: String

        init(_ raw: String) {
            self.raw = raw
            let head = raw.components(separatedBy: "\r\n\r\n").first ?? raw
            var lines: [String] = []
            for line in head.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n") {
                if (line.hasPrefix(" ") || line.hasPrefix("\t")), !lines.isEmpty { lines[lines.count - 1] += " " + line.trimmingCharacters(in: .whitespaces) } else { lines.append(line) }
            }
            headers = lines.compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            }
        }

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

        /// The subject with RFC 2047 words decoded.
        var subject: String {
            let words = (header("Subject") ?? "").components(separatedBy: " ")
            return words.map { word -> String in
                guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?="), let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) else { return word + " " }
                return String(decoding: data, as: UTF8.self)
            }.joined().trimmingCharacters(in: .whitespaces)
        }

        /// (headers, decoded body) of each part of a multipart message, or the body alone.
        var parts: [(head: String, body: String)] {
            let normalized = raw.replacingOccurrences(of: "\r\n", with: "\n")
            guard let type = header("Content-Type"), let range = type.range(of: "boundary=\"") else {
                return [("", Self.decode(normalized.components(separatedBy: "\n\n").dropFirst().joined(separator: "\n\n")))]
            }
            let boundary = String(type[range.upperBound...].prefix { $0 != "\"" })
            return normalized.components(separatedBy: "--\(boundary)").dropFirst().dropLast().map { part in
                let pieces = part.components(separatedBy: "\n\n")
                return (pieces[0], Self.decode(pieces.dropFirst().joined(separator: "\n\n")))
            }
        }

        static func decode(_ base64: String) -> String {
            String(decoding: Data(base64Encoded: base64.replacingOccurrences(of: "\n", with: "")) ?? Data(), as: UTF8.self)
        }
    }

    func messages(in maildir: String) -> [Message] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: maildir + "/new")) ?? []
        return files.sorted().compactMap { name in
            (try? String(contentsOfFile: maildir + "/new/" + name, encoding: .utf8)).map(Message.init)
        }.sorted { ($0.header("Date") ?? "", $0.header("Message-ID") ?? "") < ($1.header("Date") ?? "", $1.header("Message-ID") ?? "") }
    }

    @Test func ticketsArriveInTheMailboxWithEvidenceAndTheirFollowUpsThread() async throws {
        let dir = try TempDirectory(prefix: "hostwatch-email")
        defer { try? dir.remove() }
        // postfix and dovecot drop privileges: they must be able to walk into their folders.
        chmod(dir.path, 0o755)
        let ca = try TestCA(directory: dir.appending("ca"))
        let mailAddress = freeLoopbackAddress(ports: MailServers.postfixPorts + MailServers.dovecotPorts)
        let mail = try MailServers(directory: dir.appending("mail"), address: mailAddress, cert: try ca.issue(names: ["mx.a.test"], days: 30),
                                   domains: ["a.test"], user: "support@a.test", password: "relay-pw-123")
        defer { mail.shutdown() }
        // A second mailbox for the on-call copy.
        let vmailbox = dir.appending("mail/postfix/vmailbox")
        try (String(contentsOfFile: vmailbox, encoding: .utf8) + "oncall@a.test a.test/oncall/\n").write(toFile: vmailbox, atomically: true, encoding: .utf8)
        try mail.start()

        let site = try NginxServer(directory: dir.path, address: freeLoopbackAddress(ports: [80]), sites: [.init(domain: "shop.test")])
        defer { site.shutdown() }
        try site.start()

        try FileManager.default.createDirectory(atPath: dir.appending("etc/checks"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: mail.passwordFile, toPath: dir.appending("etc/smtp.pw"))
        try """
        {
          server: { name: "mail-web", address: "\(site.address)" },
          state_dir: "state",
          checks: "checks",
          tls: { ca_file: "\(ca.caFile)" },
          defaults: { interval: "1s", retry_interval: "300ms", timeout: "2s", failures: 2, recoveries: 1 },
          tickets: {
            deliver: [{ type: "email", to: ["support@a.test"], from: "hostwatch@mail-web.test", reply_to: "noc@a.test",
                        smtp: "smtp://mx.a.test:587", address: "\(mailAddress)", tls: "starttls",
                        user: "support@a.test", password_file: "smtp.pw", subject_prefix: "[hostwatch]" }],
            retry: { first: "200ms", max: "1s" },
          },
          oncall: { email: ["oncall@a.test"] },
        }
        """.write(toFile: dir.appending("etc/hostwatch.json5"), atomically: true, encoding: .utf8)
        try """
        { domain: "shop.test", account: "Shop Ltd (#9)", plan: "plus", web: { url: "http://shop.test/" } }
        """.write(toFile: dir.appending("etc/checks/shop.test.json5"), atomically: true, encoding: .utf8)
        let config = dir.appending("etc/hostwatch.json5")
        let binary = try HostwatchBinary()
        let validation = try binary.run(["validate", "--config", config])
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
        let agent = try ChildProcess(executable: binary.path, arguments: ["run", "--config", config], logFile: dir.appending("agent.log"))
        defer { agent.terminate() }
        let log = { String(decoding: FileManager.default.contents(atPath: dir.appending("agent.log")) ?? Data(), as: UTF8.self) }

        let support = mail.maildir
        let oncall = dir.appending("mail/mail/a.test/oncall")
        try site.stop()
        let isFirst = { (m: Message) in m.header("Message-ID")?.hasSuffix(".1@mail-web.test>") == true }
        #expect(try await waitUntil(timeout: .seconds(30)) { messages(in: support).contains(where: isFirst) && messages(in: oncall).contains(where: isFirst) },
                "\(log())\n\(mail.postfixLog)")
        let ticket = try #require(try binary.tickets(config: config).first)
        #expect(try await waitUntil(timeout: .seconds(10)) { try binary.tickets(config: config).first?.externalRefs["email"] != nil })
        let first = try #require(messages(in: support).first(where: isFirst))
        let firstID = try #require(first.header("Message-ID"))
        #expect(firstID == "<hostwatch.mail-web.\(ticket.id).1@mail-web.test>")
        #expect(try binary.tickets(config: config).first?.externalRefs["email"] == firstID)
        #expect(first.subject == "[hostwatch] \(ticket.id): \(ticket.subject)")
        #expect(first.header("To") == "support@a.test")
        #expect(first.header("Cc") == "oncall@a.test")
        #expect(first.header("Reply-To") == "noc@a.test")
        #expect(first.header("In-Reply-To") == nil)
        #expect(first.parts.first?.body.contains("domains: shop.test") == true)
        #expect(first.parts.first?.body.contains("Shop Ltd (#9)  [+Plus]") == true)
        #expect(messages(in: oncall).contains { $0.header("Message-ID") == firstID })

        // Follow-ups (the evidence collected after filing, acknowledged, resolved) thread to the
        // first message.
        #expect(try binary.run(["tickets", "ack", ticket.id, "--by", "carol", "--config", config]).status == 0)
        try site.start()
        let subject = { (kind: String) in "[hostwatch] \(ticket.id) \(kind): \(ticket.subject)" }
        #expect(try await waitUntil(timeout: .seconds(30)) {
            let subjects = messages(in: support).map(\.subject)
            return subjects.contains(subject("acknowledged")) && subjects.contains(subject("resolved"))
        }, "\(log())\n\(mail.postfixLog)")
        let all = messages(in: support)
        let followUps = all.filter { $0.header("Message-ID") != firstID }
        for message in followUps {
            #expect(message.header("In-Reply-To") == firstID)
            #expect(message.header("References") == firstID)
        }
        #expect(followUps.filter { $0.subject == subject("acknowledged") }.count == 1)
        #expect(followUps.filter { $0.subject == subject("resolved") }.count == 1)
        #expect(followUps.contains { $0.subject == subject("acknowledged") && $0.parts.first?.body.contains("carol: acknowledged") == true })
        // The evidence arrives as attachments: of the first message or of the update that added it.
        let attached = all.flatMap { $0.parts.dropFirst() }
        #expect(attached.contains { $0.head.contains("filename=\"transcript") && $0.body.contains(site.address) }, "\(all.map(\.subject))")
        #expect(Set(all.compactMap { $0.header("Message-ID") }).count == all.count)
        // Critical: the on-call address got every event too.
        #expect(messages(in: oncall).count == all.count)
        #expect(!log().contains("relay-pw-123"))
        // It logged in on the submission port, which offers AUTH only after STARTTLS.
        #expect(mail.postfixLog.contains("sasl_username=support@a.test"), "\(mail.postfixLog)")
        #expect(agent.terminate() == 0)
    }
}
