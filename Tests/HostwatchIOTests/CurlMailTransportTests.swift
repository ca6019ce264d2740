import Foundation
import Glibc
import HostwatchCore
import HostwatchTestKit
import Testing
@testable import HostwatchIO

/// The libcurl mail transport against in-process servers that misbehave on purpose (the real
/// postfix and dovecot are the integration tests' business). Plain text only: TLS is covered
/// against the real servers.
@Suite struct CurlMailTransportTests {
    static let loop = CurlMultiLoop(maxInFlight: 64)
    let transport = CurlMailTransport(loop: CurlMailTransportTests.loop)

    func smtp(_ port: UInt16, timeout: Duration = .seconds(5), commands: [MailCommand] = [], user: String? = nil,
              passwordFile: String? = nil) -> MailRequest {
        MailRequest(proto: .smtp, host: "mail.test", address: "127.0.0.1", port: Int(port), tls: .off, heloName: "hw.test",
                    user: user, passwordFile: passwordFile, commands: commands, timeout: timeout)
    }

    func judged(_ session: MailSession, _ request: MailRequest) -> CheckFailure? {
        SMTPCheck.failure(of: session, request: request, relayProbe: nil, now: Date(), certWarningDays: 14)
    }

    @Test func aSessionRunsTheOpeningTheCommandsAndQUITWithEveryLineRecorded() async throws {
        let server = try FakeMailServer(greeting: "220 fake.test ESMTP\r\n") { FakeMailServer.smtp($0) }
        defer { server.stop() }
        let request = smtp(server.port, commands: [.line("MAIL FROM:<a@example.com>"), .line("RCPT TO:<b@example.net>"), .line("RSET")])
        let session = await transport.perform(request)
        #expect(session.error == nil)
        // The refused RCPT ends the commands: RSET is never sent, QUIT is.
        #expect(server.received == ["EHLO hw.test", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.net>", "QUIT"])
        #expect(session.lines.map(\.text) == ["220 fake.test ESMTP", "EHLO hw.test", "250-fake.test", "250 8BITMIME",
                                              "MAIL FROM:<a@example.com>", "250 2.1.0 Ok", "RCPT TO:<b@example.net>",
                                              "554 5.7.1 Relay access denied", "QUIT", "221 2.0.0 Bye"])
        #expect(session.transcript.text.contains("> QUIT\n< 221 2.0.0 Bye\n"))
        #expect(session.timings.total > .zero)
    }

    @Test func aRefusedEHLOIsRecordedWithTheServersWords() async throws {
        let server = try FakeMailServer(greeting: "220 fake.test ESMTP\r\n") {
            FakeMailServer.smtp($0, overrides: ["EHLO": "421 4.3.2 System not accepting network messages\r\n", "HELO": "421 4.3.2 no\r\n"])
        }
        defer { server.stop() }
        let request = smtp(server.port)
        let session = await transport.perform(request)
        #expect(session.error != nil)
        #expect(judged(session, request)?.message == "SMTP: EHLO answered 421 4.3.2 System not accepting network messages")
    }

    @Test func aMegabyteBannerCostsBoundedMemoryAndIsQuotedShort() async throws {
        let banner = Array("554 ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20) + [13, 10]
        let server = try FakeMailServer(greeting: banner) { Array(FakeMailServer.smtp($0).utf8) }
        defer { server.stop() }
        let request = smtp(server.port, timeout: .seconds(3))
        let session = await transport.perform(request)
        #expect(session.lines.allSatisfy { $0.text.utf8.count <= 4100 })
        #expect(session.transcript.text.utf8.count <= 64 * 1024)
        let failure = try #require(judged(session, request))
        #expect(failure.message.count < 400, "\(failure.message.prefix(400))")
        #expect(failure.isConnectionLevel)
    }

    @Test func aServerThatNeverEndsALineTimesOutAtTheGreeting() async throws {
        let server = try FakeMailServer(greeting: Array("220 this line never ends".utf8)) { _ in [] }
        defer { server.stop() }
        let request = smtp(server.port, timeout: .seconds(1))
        let session = await transport.perform(request)
        #expect(session.timings.total < .seconds(2))
        #expect(session.error?.kind == .timeout)
        #expect(judged(session, request)?.message.hasPrefix("SMTP: no greeting from 127.0.0.1:\(server.port) within 1s") == true)
    }

    @Test func aServerDrippingOneByteASecondTimesOutOnTime() async throws {
        let server = try FakeServer { fd in
            for byte in Array("220 slow.test ESMTP\r\n".utf8) {
                guard FakeServer.send(fd, [byte]) else { return }
                sleep(1)
            }
        }
        defer { server.stop() }
        let request = smtp(server.port, timeout: .seconds(2))
        let session = await transport.perform(request)
        #expect(session.timings.total < .seconds(3))
        #expect(judged(session, request)?.kind == .timeout)
    }

    @Test func invalidUTF8IsRecordedReplacedNotFatal() async throws {
        let server = try FakeMailServer(greeting: Array("220 ok\r\n".utf8)) { line in
            line.hasPrefix("EHLO") ? Array("550 caf".utf8) + [0xFF, 0xFE] + Array(" \u{7}\r\n".utf8) : Array(FakeMailServer.smtp(line).utf8)
        }
        defer { server.stop() }
        let request = smtp(server.port)
        let session = await transport.perform(request)
        #expect(judged(session, request)?.message == "SMTP: EHLO answered 550 caf\u{FFFD}\u{FFFD} ?")
    }

    /// The heart of "a hung mail server stalls only its own check": servers that stop answering
    /// after their greeting, or just before QUIT's reply, among many healthy ones on one loop.
    @Test func hungServersDelayNoneOfTheOthers() async throws {
        let afterGreeting = try FakeMailServer(greeting: "220 hung.test ESMTP\r\n") { _ in "" }
        let beforeQuit = try FakeMailServer(greeting: "220 hung.test ESMTP\r\n") { line in
            line.uppercased() == "QUIT" ? "" : FakeMailServer.smtp(line)
        }
        let healthy = try (0..<8).map { _ in try FakeMailServer(greeting: "220 fake.test ESMTP\r\n") { FakeMailServer.smtp($0) } }
        defer {
            afterGreeting.stop()
            beforeQuit.stop()
            healthy.forEach { $0.stop() }
        }
        let hungTimeout = Duration.seconds(4)
        let results = await withTaskGroup(of: (String, Duration, MailSession).self) { group in
            group.addTask {
                let started = ContinuousClock.now
                let s = await transport.perform(smtp(afterGreeting.port, timeout: hungTimeout))
                return ("after-greeting", ContinuousClock.now - started, s)
            }
            group.addTask {
                let started = ContinuousClock.now
                let s = await transport.perform(smtp(beforeQuit.port, timeout: hungTimeout))
                return ("before-quit", ContinuousClock.now - started, s)
            }
            // The healthy checks start once the hung ones are waiting.
            try? await Task.sleep(for: .milliseconds(300))
            for (i, server) in healthy.enumerated() {
                for _ in 0..<5 {
                    group.addTask {
                        let started = ContinuousClock.now
                        let s = await transport.perform(smtp(server.port, timeout: .seconds(10)))
                        return ("healthy\(i)", ContinuousClock.now - started, s)
                    }
                }
            }
            var all: [(String, Duration, MailSession)] = []
            for await result in group { all.append(result) }
            return all
        }
        let healthyResults = results.filter { $0.0.hasPrefix("healthy") }
        #expect(healthyResults.count == 40)
        for (name, _, session) in healthyResults {
            #expect(session.error == nil, "\(name): \(session.error?.detail ?? "")")
            // Measured on the loop thread, from the transfer's start to its end (the test's own
            // task may wait longer for a thread when the whole suite runs in parallel).
            #expect(session.timings.total < .seconds(1), "\(name) took \(session.timings.total) while other servers hung")
        }
        let hung = Dictionary(uniqueKeysWithValues: results.filter { !$0.0.hasPrefix("healthy") }.map { ($0.0, ($0.1, $0.2)) })
        let first = try #require(hung["after-greeting"])
        #expect(first.1.error?.kind == .timeout)
        #expect(first.1.timings.total < hungTimeout + .seconds(1))
        let second = try #require(hung["before-quit"])
        #expect(second.1.error?.kind == .timeout)
        #expect(second.1.timings.total < hungTimeout + .seconds(1))
        #expect(judged(second.1, smtp(beforeQuit.port, timeout: hungTimeout))?.message
            .hasPrefix("SMTP: no answer to QUIT from 127.0.0.1:\(beforeQuit.port) within 4s") == true)
    }

    /// AUTH LOGIN (two challenges), IMAP LOGIN and POP3 USER/PASS over plain text against fakes:
    /// neither the password nor any base64 form of it is kept anywhere.
    @Test func noPasswordOrItsBase64IsEverKept() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hw-pw-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let password = "Pr0be-s3cret!"
        let file = dir.appendingPathComponent("probe.pw").path
        try (password + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let forms = [password, Data(password.utf8).base64EncodedString(), Data("\0probe@a.test\0\(password)".utf8).base64EncodedString(),
                     Data("probe@a.test\0probe@a.test\0\(password)".utf8).base64EncodedString()]

        let smtpServer = try FakeMailServer(greeting: "220 fake.test ESMTP\r\n") { line in
            if line.uppercased().hasPrefix("AUTH LOGIN") { return "334 VXNlcm5hbWU6\r\n" }
            if line == Data("probe@a.test".utf8).base64EncodedString() { return "334 UGFzc3dvcmQ6\r\n" }
            if line == forms[1] { return "235 2.7.0 Authentication successful\r\n" }
            return FakeMailServer.smtp(line, auth: "LOGIN")
        }
        let imapServer = try FakeMailServer(greeting: "* OK [CAPABILITY IMAP4rev1] fake ready\r\n") { line in
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count >= 2 else { return "* BAD\r\n" }
            switch parts[1].uppercased() {
            case "CAPABILITY": return "* CAPABILITY IMAP4rev1\r\n\(parts[0]) OK done\r\n"
            case "LOGIN": return line.contains(password) ? "\(parts[0]) OK Logged in\r\n" : "\(parts[0]) NO wrong\r\n"
            case "LOGOUT": return "* BYE\r\n\(parts[0]) OK bye\r\n"
            default: return "\(parts[0]) OK done\r\n"
            }
        }
        let popServer = try FakeMailServer(greeting: "+OK fake ready\r\n") { line in
            switch line.split(separator: " ").first?.uppercased() {
            case "CAPA": return "+OK\r\nUSER\r\n.\r\n"
            case "PASS": return line == "PASS \(password)" ? "+OK Logged in.\r\n" : "-ERR wrong\r\n"
            case "STAT": return "+OK 0 0\r\n"
            default: return "+OK\r\n"
            }
        }
        defer {
            smtpServer.stop()
            imapServer.stop()
            popServer.stop()
        }
        let requests = [
            smtp(smtpServer.port, user: "probe@a.test", passwordFile: file),
            MailRequest(proto: .imap, host: "mail.test", address: "127.0.0.1", port: Int(imapServer.port), tls: .off,
                        user: "probe@a.test", passwordFile: file, commands: [.line("EXAMINE INBOX")], timeout: .seconds(5)),
            MailRequest(proto: .pop3, host: "mail.test", address: "127.0.0.1", port: Int(popServer.port), tls: .off,
                        user: "probe@a.test", passwordFile: file, commands: [.line("STAT")], timeout: .seconds(5)),
        ]
        for request in requests {
            let session = await transport.perform(request)
            #expect(session.error == nil, "\(request.proto): \(session.error?.detail ?? "")")
            let kept = session.transcript.rendered + session.lines.map(\.text).joined(separator: "\n")
            #expect(kept.contains("[redacted]"), "\(request.proto): \(kept)")
            for form in forms { #expect(!kept.contains(form), "\(request.proto) kept \(form)") }
        }
        // The servers did get the password: the logins above succeeded with it.
        #expect(smtpServer.received.contains(forms[1]))
        #expect(popServer.received.contains("PASS \(password)"))
    }

    @Test func anUnreadablePasswordFileSendsNothing() async throws {
        let server = try FakeMailServer(greeting: "220 fake.test ESMTP\r\n") { FakeMailServer.smtp($0) }
        defer { server.stop() }
        let session = await transport.perform(smtp(server.port, user: "probe@a.test", passwordFile: "/nonexistent/probe.pw"))
        #expect(session.credentialProblem == "cannot read the password file /nonexistent/probe.pw: No such file or directory")
        #expect(server.received.isEmpty)
    }
}

@Suite struct TranscriptRedactionTests {
    func redacted(_ line: String) -> String? {
        var line = line
        return line.withUTF8 { TranscriptRedaction.redact(UnsafeRawBufferPointer($0)) }.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test(arguments: [
        ("AUTH PLAIN AHByb2JlAHNlY3JldA==", "AUTH PLAIN [redacted]"),
        ("auth login cHJvYmU=", "auth login [redacted]"),
        ("PASS secret", "PASS [redacted]"),
        ("APOP probe 3f2a", "APOP [redacted]"),
        ("A001 LOGIN probe \"secret\"", "A001 LOGIN [redacted]"),
        ("E004 AUTHENTICATE PLAIN AHByb2JlAHNlY3JldA==", "E004 AUTHENTICATE PLAIN [redacted]"),
        ("Authorization: Bearer abc", "Authorization: [redacted]"),
    ])
    func secretsOnOneLineAreRedacted(line: String, expected: String) {
        #expect(redacted(line) == expected)
    }

    @Test(arguments: ["EHLO hw.test", "MAIL FROM:<a@b.test>", "A001 CAPABILITY", "USER probe", "hw1 EXAMINE INBOX", "+OK Logged in."])
    func ordinaryLinesAreKept(line: String) {
        #expect(redacted(line) == nil)
    }

    @Test func whatFollowsAChallengeIsRedacted() {
        var conversation = TranscriptRedaction.Conversation()
        func sent(_ text: String) -> String? {
            var text = text
            return text.withUTF8 { conversation.sent(UnsafeRawBufferPointer($0)) }.map { String(decoding: $0, as: UTF8.self) }
        }
        func received(_ text: String) {
            var text = text
            text.withUTF8 { conversation.received(UnsafeRawBufferPointer($0)) }
        }
        received("334 VXNlcm5hbWU6")
        #expect(sent("cHJvYmU=") == "[redacted]")
        #expect(sent("QUIT") == nil)
        received("+ ")
        #expect(sent("AHByb2JlAHNlY3JldA==") == "[redacted]")
        received("+OK Logged in.")
        #expect(sent("STAT") == nil)
    }
}

