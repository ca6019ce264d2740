import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct IMAPCheckTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let id = CheckID(target: "a.test", kind: "imap")

    func check(_ session: MailSession, port: Int = 993) async -> Observation {
        let check = IMAPCheck(id: id, configuration: .init(port: port, user: "probe@a.test", passwordFile: "a.pw"), domain: "a.test",
                              serverAddress: "203.0.113.10", transport: StubMailTransport([session]))
        return await check.run(now: now)
    }

    @Test func aHealthyIMAPSLoginExaminesTheInboxReadOnly() async {
        let stub = StubMailTransport([.recorded(MailDialogues.imaps)])
        let check = IMAPCheck(id: id, configuration: .init(port: 993, user: "probe@a.test", passwordFile: "a.pw"), domain: "a.test",
                              serverAddress: "203.0.113.10", transport: stub, passwordFile: "/run/credentials/a.pw")
        let o = await check.run(now: now)
        #expect(o.outcome == .ok, "\(o.summary)")
        #expect(o.summary.hasPrefix("TLS, greeting OK, logged in as probe@a.test, INBOX has 3 messages, LOGOUT OK in"))
        #expect(o.endpoint == "203.0.113.10:993/imap")
        #expect(stub.requests.first?.commands == [.line("EXAMINE INBOX")])
        #expect(stub.requests.first?.passwordFile == "/run/credentials/a.pw")
        #expect(stub.requests.first?.tls == .implicit)
    }

    @Test func port143UsesSTARTTLS() async {
        let o = await check(.recorded(MailDialogues.imapStartTLS), port: 143)
        #expect(o.outcome == .ok, "\(o.summary)")
        #expect(o.summary.contains("STARTTLS OK"))
    }

    @Test func aWrongPasswordQuotesTheServer() async {
        let o = await check(.recorded("""
            < * OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready.
            > A001 CAPABILITY
            < * CAPABILITY IMAP4rev1 AUTH=PLAIN
            < A001 OK done
            > A002 AUTHENTICATE PLAIN [redacted]
            < A002 NO [AUTHENTICATIONFAILED] Authentication failed.
            """, error: TransferError(kind: .protocolError, detail: "Login denied")))
        #expect(o.failure?.message == "IMAP: AUTHENTICATE PLAIN answered \"NO [AUTHENTICATIONFAILED] Authentication failed.\"")
        #expect(o.failure?.category == .emailDown)
    }

    @Test(arguments: [
        ("hw1 EXAMINE INBOX", "hw1 NO [SERVERBUG] Internal error", "IMAP: EXAMINE INBOX answered \"NO [SERVERBUG] Internal error\""),
        ("hw2 LOGOUT", "hw2 NO busy", "IMAP: LOGOUT answered \"NO busy\""),
        ("hw1 EXAMINE INBOX", "hw1 BAD Error in IMAP command", "IMAP: EXAMINE INBOX answered \"BAD Error in IMAP command\""),
    ])
    func aRefusalAfterLoginNamesTheStep(command: String, reply: String, message: String) async throws {
        var lines = MailDialogues.imaps.split(separator: "\n").map(String.init)
        let at = try #require(lines.firstIndex(of: "> " + command))
        lines = Array(lines[...at]) + ["< " + reply]
        if !command.hasSuffix("LOGOUT") { lines += ["> hw2 LOGOUT", "< hw2 OK bye"] }
        let o = await check(.recorded(lines.joined(separator: "\n")))
        #expect(o.failure?.message == message)
    }

    @Test func aByeGreetingIsAnEndpointFailure() async {
        let o = await check(.recorded("< * BYE Too many connections"))
        #expect(o.failure?.message == "IMAP: the greeting was \"* BYE Too many connections\"")
        #expect(o.failure?.isConnectionLevel == true)
    }

    @Test func aMissingSTARTTLSFailsOnPort143() async {
        let o = await check(.recorded("< * OK ready\n> A001 CAPABILITY\n< * CAPABILITY IMAP4rev1\n< A001 OK done",
                                      error: TransferError(kind: .protocolError, detail: "STARTTLS not supported.")), port: 143)
        #expect(o.failure?.message == "IMAP: CAPABILITY does not offer STARTTLS, which this port requires")
    }

    @Test func aTLSHandshakeFailureIsAnEndpointFailure() async {
        let o = await check(.recorded("", error: TransferError(kind: .tlsHandshake, detail: "OpenSSL SSL_connect: SSL_ERROR_SYSCALL")))
        #expect(o.failure?.message == "IMAP: TLS handshake with 203.0.113.10:993 failed: OpenSSL SSL_connect: SSL_ERROR_SYSCALL")
        #expect(o.failure?.isConnectionLevel == true)
    }
}
