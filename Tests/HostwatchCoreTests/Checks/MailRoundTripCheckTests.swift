import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct MailRoundTripCheckTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let configuration = MailRoundTripCheck.Configuration(to: "probe@a.test", imapUser: "probe@a.test", passwordFile: "a.pw",
                                                         within: .seconds(60))

    static let sent = """
        < 220 mx ESMTP
        > EHLO hw.test
        < 250-mx
        < 250 STARTTLS
        > STARTTLS
        < 220 go ahead
        > EHLO hw.test
        < 250 mx
        > MAIL FROM:<probe@a.test>
        < 250 2.1.0 Ok
        > RCPT TO:<probe@a.test>
        < 250 2.1.5 Ok
        > DATA
        < 354 End data with <CR><LF>.<CR><LF>
        > .
        < 250 2.0.0 Ok: queued as 4F2A1
        > QUIT
        < 221 2.0.0 Bye
        """

    static func search(_ hits: String) -> String {
        """
        < * OK ready
        > A001 AUTHENTICATE PLAIN [redacted]
        < A001 OK Logged in
        > hw1 EXAMINE INBOX
        < hw1 OK [READ-ONLY] done
        > hw2 UID SEARCH HEADER X-Hostwatch-Token hostwatch-42
        < * SEARCH\(hits)
        < hw2 OK Search completed
        > hw3 LOGOUT
        < hw3 OK bye
        """
    }

    static let deleted = """
        < * OK ready
        > A001 AUTHENTICATE PLAIN [redacted]
        < A001 OK Logged in
        > hw1 SELECT INBOX
        < hw1 OK [READ-WRITE] done
        > hw2 UID STORE 7 +FLAGS.SILENT (\\Deleted)
        < hw2 OK Store completed
        > hw3 EXPUNGE
        < * 1 EXPUNGE
        < hw3 OK Expunge completed
        > hw4 LOGOUT
        < hw4 OK bye
        """

    func run(_ sessions: [MailSession]) async -> (Observation, StubMailTransport) {
        let stub = StubMailTransport(sessions)
        let check = MailRoundTripCheck(id: CheckID(target: "a.test", kind: "mail_roundtrip"), configuration: configuration,
                                       domain: "a.test", serverAddress: "203.0.113.10", serverName: "hw.test", transport: stub,
                                       passwordFile: "/etc/hostwatch/a.pw", makeToken: { "hostwatch-42" })
        return (await check.run(now: now), stub)
    }

    @Test func aDeliveredMessageIsFoundAndDeleted() async {
        let (o, stub) = await run([.recorded(Self.sent, total: .milliseconds(40)), .recorded(Self.search(" 7"), total: .milliseconds(700)),
                                   .recorded(Self.deleted)])
        #expect(o.outcome == .ok, "\(o.summary)")
        #expect(o.summary == "accepted at 08:00:00 UTC, delivered to probe@a.test and found within 740.0 ms, deleted")
        let requests = stub.requests
        #expect(requests.count == 3)
        #expect(requests[0].proto == .smtp && requests[0].port == 25 && requests[0].user == nil)
        guard case .message(let message) = requests[0].commands.last?.kind else {
            Issue.record("the SMTP session sends no message")
            return
        }
        #expect(message.contains("X-Hostwatch-Token: hostwatch-42"))
        #expect(message.contains("Date: Fri, 15 Jan 2027 08:00:00 +0000"))
        #expect(requests[1].commands.last?.poll?.within == .seconds(60))
        #expect(requests[1].timeout == .seconds(70))
        #expect(requests[1].passwordFile == "/etc/hostwatch/a.pw")
        #expect(requests[2].commands.map(\.kind) == [.line("SELECT INBOX"), .line("UID STORE 7 +FLAGS.SILENT (\\Deleted)"), .line("EXPUNGE")])
        #expect(o.transcript.text.contains("UID STORE 7"))
    }

    @Test func aMessageThatNeverArrivesSaysWhenItWasAccepted() async {
        let (o, stub) = await run([.recorded(Self.sent, total: .milliseconds(1500)), .recorded(Self.search(""))])
        #expect(o.failure?.message == "Round trip: accepted at 08:00:01 UTC, not delivered to probe@a.test within 1m (token hostwatch-42)")
        #expect(o.failure?.category == .emailDown)
        #expect(o.failure?.isConnectionLevel == false)
        #expect(stub.requests.count == 2)
    }

    @Test func aRefusedMessageStopsAtSMTP() async {
        let refused = Self.sent.replacingOccurrences(of: "< 250 2.0.0 Ok: queued as 4F2A1", with: "< 452 4.3.1 Insufficient system storage")
        let (o, stub) = await run([.recorded(refused)])
        #expect(o.failure?.message == "Round trip: SMTP: end of data answered 452 4.3.1 Insufficient system storage")
        #expect(stub.requests.count == 1)
    }

    @Test func anIMAPLoginFailureSaysTheMessageWasAccepted() async {
        let (o, _) = await run([.recorded(Self.sent), .recorded("< * OK ready\n> A001 AUTHENTICATE PLAIN [redacted]\n< A001 NO failed",
                                                                  error: TransferError(kind: .protocolError, detail: "Login denied"))])
        #expect(o.failure?.message == "Round trip: accepted at 08:00:00 UTC, then IMAP: AUTHENTICATE PLAIN answered \"NO failed\"")
        #expect(o.endpoint == "203.0.113.10:993/imap")
    }

    @Test func rfc5322DatesNameTheWeekday() {
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: 0)) == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(RFC5322Date.format(now) == "Fri, 15 Jan 2027 08:00:00 +0000")
    }
}
