import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct POP3CheckTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let id = CheckID(target: "a.test", kind: "pop3")

    func check(_ session: MailSession, port: Int = 110) async -> Observation {
        let check = POP3Check(id: id, configuration: .init(port: port, user: "probe@a.test", passwordFile: "a.pw"), domain: "a.test",
                              serverAddress: "203.0.113.10", transport: StubMailTransport([session]))
        return await check.run(now: now)
    }

    @Test func aHealthySTLSLoginAsksForTheMailboxSize() async {
        let o = await check(.recorded(MailDialogues.pop3STLS))
        #expect(o.outcome == .ok, "\(o.summary)")
        #expect(o.summary.hasPrefix("greeting +OK, STLS +OK, logged in as probe@a.test, STAT +OK 1 408, QUIT +OK in"))
        #expect(o.endpoint == "203.0.113.10:110/pop3")
    }

    @Test(arguments: [
        ("AUTH PLAIN", ["< + ", "> [redacted]", "< -ERR [AUTH] Authentication failed."], "POP3: AUTH PLAIN answered \"-ERR [AUTH] Authentication failed.\""),
        ("STAT", ["< -ERR [SYS/TEMP] Mailbox locked"], "POP3: STAT answered \"-ERR [SYS/TEMP] Mailbox locked\""),
        ("STLS", ["< -ERR TLS support isn't enabled."], "POP3: STLS answered \"-ERR TLS support isn't enabled.\""),
        ("QUIT", ["< -ERR busy"], "POP3: QUIT answered \"-ERR busy\""),
    ])
    func anERRAtAnyStepNamesThatStep(command: String, replies: [String], message: String) async throws {
        var lines = MailDialogues.pop3STLS.split(separator: "\n").map(String.init)
        let at = try #require(lines.firstIndex(of: "> " + command))
        lines = Array(lines[...at]) + replies
        if command != "QUIT" { lines += ["> QUIT", "< +OK bye"] }
        let o = await check(.recorded(lines.joined(separator: "\n")))
        #expect(o.failure?.message == message)
        #expect(o.failure?.kind == .protocolViolation)
    }

    @Test func anERRGreetingIsAnEndpointFailure() async {
        let o = await check(.recorded("< -ERR [SYS/TEMP] Server shutting down."))
        #expect(o.failure?.message == "POP3: the greeting was \"-ERR [SYS/TEMP] Server shutting down.\"")
        #expect(o.failure?.isConnectionLevel == true)
    }
}
