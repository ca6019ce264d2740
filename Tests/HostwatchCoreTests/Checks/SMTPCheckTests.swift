import Foundation
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct SMTPCheckTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let id = CheckID(target: "a.test", kind: "smtp", index: 1)

    func check(_ session: MailSession, _ configuration: SMTPCheck.Configuration = .init(port: 587, user: "probe@a.test", passwordFile: "a.pw"),
               hosted: Set<String> = []) async -> Observation {
        let check = SMTPCheck(id: id, configuration: configuration, domain: "a.test", serverAddress: "203.0.113.10",
                              serverName: "web01.example.net", transport: StubMailTransport([session]), hosted: hosted)
        return await check.run(now: now)
    }

    func cert(days: Double) -> CertificateFacts {
        CertificateFacts(subject: "CN=a.test", notAfter: now.addingTimeInterval(days * 86_400))
    }

    @Test func aHealthySubmissionPortPasses() async {
        let o = await check(.recorded(MailDialogues.submission, certificate: cert(days: 90)))
        #expect(o.outcome == .ok, "\(o.summary)")
        #expect(o.summary.hasPrefix("220 greeting, EHLO 250, STARTTLS 220, AUTH 235, QUIT 221 in"))
        #expect(o.endpoint == "203.0.113.10:587/smtp")
        #expect(o.certificateExpiry == now.addingTimeInterval(90 * 86_400))
    }

    @Test func theRequestPinsTheAddressAndNamesTheServer() {
        let check = SMTPCheck(id: id, configuration: .init(port: 465, relayTest: true), domain: "a.test", serverAddress: "203.0.113.10",
                              serverName: "web01.example.net", transport: StubMailTransport([MailSession()]), hosted: ["example.com"])
        #expect(check.request.tls == .implicit)
        #expect(check.request.host == "a.test")
        #expect(check.request.address == "203.0.113.10")
        #expect(check.request.heloName == "web01.example.net")
        #expect(check.relayProbe == SMTPCheck.RelayProbe(from: "hostwatch-relay-test@example.net", to: "hostwatch-relay-test@example.edu"))
        #expect(check.request.commands.map(\.kind) == [.line("MAIL FROM:<hostwatch-relay-test@example.net>"),
                                                        .line("RCPT TO:<hostwatch-relay-test@example.edu>"), .line("RSET")])
    }

    @Test(arguments: [(25, MailTLS.ifOffered), (587, .starttls), (465, .implicit), (2525, .starttls)])
    func tlsDefaultsByPort(port: Int, tls: MailTLS) {
        #expect(SMTPCheck.Configuration(port: port).tls == tls)
    }

    @Test func stARTTLSRefusedNamesTheStepAndQuotesTheServer() async {
        let o = await check(.recorded("""
            < 220 mx.a.test ESMTP
            > EHLO hw.test
            < 250-mx.a.test
            < 250 STARTTLS
            > STARTTLS
            < 454 4.7.0 TLS not available
            > QUIT
            < 221 Bye
            """, error: TransferError(kind: .protocolError, detail: "STARTTLS denied, code 454")))
        #expect(o.failure?.message == "SMTP: STARTTLS answered 454 4.7.0 TLS not available")
        #expect(o.failure?.category == .emailDown)
        #expect(o.failure?.kind == .protocolViolation)
    }

    /// A 4xx or 5xx at every step of the submission dialogue: the message names that step.
    @Test(arguments: [
        ("EHLO hw.test", "501 5.5.2 bad name", "SMTP: EHLO answered 501 5.5.2 bad name"),
        ("STARTTLS", "454 4.7.0 TLS not available", "SMTP: STARTTLS answered 454 4.7.0 TLS not available"),
        ("AUTH PLAIN [redacted]", "535 5.7.8 Error: authentication failed", "SMTP: AUTH PLAIN answered 535 5.7.8 Error: authentication failed"),
        ("AUTH PLAIN [redacted]", "454 4.7.0 Temporary authentication failure", "SMTP: AUTH PLAIN answered 454 4.7.0 Temporary authentication failure"),
        ("QUIT", "421 4.4.2 busy", "SMTP: QUIT answered 421 4.4.2 busy"),
    ])
    func aRefusalAtAnyStepNamesThatStep(command: String, reply: String, message: String) async throws {
        var lines = MailDialogues.submission.split(separator: "\n").map(String.init)
        let at = try #require(lines.firstIndex(of: "> " + command))
        lines = Array(lines[...at]) + ["< " + reply]
        if command != "QUIT" { lines += ["> QUIT", "< 221 Bye"] }
        let o = await check(.recorded(lines.joined(separator: "\n")))
        #expect(o.failure?.message == message)
        #expect(o.failure?.isConnectionLevel == false)
    }

    @Test func aRefusingGreetingIsAnEndpointFailure() async {
        let o = await check(.recorded("< 554 5.3.2 mx.a.test service currently unavailable\n> QUIT\n< 221 Bye"))
        #expect(o.failure?.message == "SMTP: the greeting was 554 5.3.2 mx.a.test service currently unavailable")
        #expect(o.failure?.isConnectionLevel == true)
    }

    @Test func aRefusedConnectionNamesTheEndpoint() async {
        let o = await check(.recorded("", error: TransferError(kind: .refused, detail: "Failed to connect")))
        #expect(o.failure?.message == "SMTP: connect to 203.0.113.10:587 refused")
        #expect(o.failure?.kind == .unreachable)
        #expect(o.endpoint == "203.0.113.10:587/smtp")
    }

    @Test func aSilentServerTimesOutWaitingForTheGreeting() async {
        // No CRLF ever (or a drip too slow to finish a line): no line at all reached the check.
        let o = await check(.recorded("", error: TransferError(kind: .timeout, detail: "Operation timed out after 10000 milliseconds")))
        #expect(o.failure?.message.hasPrefix("SMTP: no greeting from 203.0.113.10:587 within 10s") == true, "\(o.summary)")
        #expect(o.failure?.kind == .timeout)
    }

    @Test func aServerHangingBeforeQUITTimesOutAtQUIT() async throws {
        var lines = MailDialogues.submission.split(separator: "\n").map(String.init)
        lines.removeLast()
        let o = await check(.recorded(lines.joined(separator: "\n"), error: TransferError(kind: .timeout, detail: "no answer to QUIT within 10s")))
        #expect(o.failure?.message.hasPrefix("SMTP: no answer to QUIT from 203.0.113.10:587 within 10s") == true, "\(o.summary)")
    }

    @Test func aMegabyteBannerIsQuotedShort() async {
        let banner = "554 " + String(repeating: "x", count: 1 << 20)
        let o = await check(.recorded("< \(banner)\n> QUIT\n< 221 Bye"))
        #expect(o.failure?.message.hasPrefix("SMTP: the greeting was 554 xxx") == true)
        #expect((o.failure?.message.count ?? 0) < 300)
    }

    @Test func invalidUTF8FromTheServerIsQuotedReplaced() async {
        let o = await check(.recorded("< 220 mx\n> EHLO hw.test\n< 550 caf\u{FFFD} \u{7}bell\n> QUIT\n< 221 Bye"))
        #expect(o.failure?.message == "SMTP: EHLO answered 550 caf\u{FFFD} ?bell")
    }

    @Test func aMissingSTARTTLSFailsWhereItIsRequired() async {
        let o = await check(.recorded("< 220 mx\n> EHLO hw.test\n< 250 mx",
                                      error: TransferError(kind: .protocolError, detail: "STARTTLS not supported.")),
                            .init(port: 587))
        #expect(o.failure?.message == "SMTP: EHLO does not offer STARTTLS, which this port requires")
        let quiet = await check(.recorded("< 220 mx\n> EHLO hw.test\n< 250 mx\n> QUIT\n< 221 Bye"), .init(port: 587))
        #expect(quiet.failure?.message == "SMTP: EHLO does not offer STARTTLS, which this port requires")
        let port25 = await check(.recorded("< 220 mx\n> EHLO hw.test\n< 250 mx\n> QUIT\n< 221 Bye"), .init(port: 25))
        #expect(port25.outcome == .ok)
    }

    @Test func aLoginThatIsNotOfferedFails() async {
        let o = await check(.recorded("< 220 mx\n> EHLO hw.test\n< 250-mx\n< 250 STARTTLS\n> STARTTLS\n< 220 go\n> EHLO hw.test\n< 250 mx\n> QUIT\n< 221 Bye"))
        #expect(o.failure?.message == "SMTP: cannot log in as probe@a.test: EHLO offers no AUTH")
    }

    @Test func anOpenRelayIsACriticalSecurityFailure() async {
        let accepted = MailDialogues.relayRefused.replacingOccurrences(
            of: "< 454 4.7.1 <hostwatch-relay-test@example.net>: Relay access denied", with: "< 250 2.1.5 Ok")
        let o = await check(.recorded(accepted), .init(port: 25, relayTest: true))
        #expect(o.failure?.category == .security)
        #expect(o.failure?.severity == .critical)
        #expect(o.failure?.message == "SMTP: open relay: RCPT TO:<hostwatch-relay-test@example.net> from "
            + "MAIL FROM:<hostwatch-relay-test@example.com> without AUTH answered 250 2.1.5 Ok")
    }

    @Test func aRefusedRelayPasses() async {
        let o = await check(.recorded(MailDialogues.relayRefused), .init(port: 25, relayTest: true))
        #expect(o.outcome == .ok, "\(o.summary)")
        #expect(o.summary.contains("relay refused"))
    }

    @Test func anExpiredCertificateIsASecurityFailureWithItsDates() async {
        let facts = CertificateFacts(subject: "CN=a.test", notAfter: now.addingTimeInterval(-86_400), unverified: true)
        let o = await check(.recorded("< 220 mx\n> EHLO hw.test\n< 250 STARTTLS\n> STARTTLS\n< 220 go",
                                      error: TransferError(kind: .certificate, detail: "SSL certificate problem: certificate has expired"),
                                      certificate: facts))
        #expect(o.failure?.category == .security)
        #expect(o.failure?.kind == .certificate)
        #expect(o.failure?.message == "SMTP: certificate rejected: SSL certificate problem: certificate has expired; "
            + "valid until 2027-01-14T08:00:00Z; subject CN=a.test")
    }

    @Test(arguments: [(7.0, true), (13.5, true), (14.5, false), (90, false)])
    func aCertificateExpiringSoonIsAWarning(days: Double, warns: Bool) async {
        let o = await check(.recorded(MailDialogues.submission, certificate: cert(days: days)))
        #expect((o.failure?.category == .certificate) == warns, "\(o.summary)")
        if warns { #expect(o.failure?.message.hasPrefix("SMTP: certificate expires in \(Int(days)) days") == true) }
    }

    @Test func anUnreadablePasswordFileIsAConfigurationProblem() async {
        let o = await check(MailSession(credentialProblem: "cannot read the password file /etc/hostwatch/a.pw: no such file"))
        #expect(o.failure?.kind == .misconfigured)
        #expect(o.failure?.message == "SMTP: cannot read the password file /etc/hostwatch/a.pw: no such file")
    }
}
