import Testing
@testable import HostwatchCore
import HostwatchTestKit

@Suite struct MailDialogueTests {
    @Test func smtpStepsEndOnTheLastLineOfAMultiLineReply() {
        let dialogue = MailDialogue(MailSession.recorded(MailDialogues.submission).lines, proto: .smtp)
        #expect(dialogue.steps.map(\.name) == ["greeting", "EHLO", "STARTTLS", "EHLO", "AUTH PLAIN", "QUIT"])
        #expect(dialogue.steps[1].status == "250 CHUNKING")
        #expect(dialogue.steps[1].replies.count == 6)
        #expect(dialogue.steps.allSatisfy(dialogue.accepted))
        #expect(dialogue.ehloCapabilities.contains("AUTH PLAIN LOGIN"))
    }

    @Test func anSMTPSASLExchangeIsOneStep() {
        let lines = MailSession.recorded("""
            < 220 mx ESMTP
            > AUTH LOGIN
            < 334 VXNlcm5hbWU6
            > [redacted]
            < 334 UGFzc3dvcmQ6
            > [redacted]
            < 535 5.7.8 Error: authentication failed
            """).lines
        let dialogue = MailDialogue(lines, proto: .smtp)
        #expect(dialogue.steps.count == 2)
        #expect(dialogue.steps[1].name == "AUTH LOGIN")
        #expect(dialogue.steps[1].status == "535 5.7.8 Error: authentication failed")
        #expect(!dialogue.accepted(dialogue.steps[1]))
    }

    @Test func imapStepsDropTheTagAndEndOnTheTaggedLine() {
        let dialogue = MailDialogue(MailSession.recorded(MailDialogues.imaps).lines, proto: .imap)
        #expect(dialogue.steps.map(\.name) == ["greeting", "CAPABILITY", "AUTHENTICATE PLAIN", "EXAMINE INBOX", "LOGOUT"])
        #expect(dialogue.steps[3].status == "OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).")
        #expect(dialogue.steps[0].status?.hasPrefix("OK [CAPABILITY") == true)
        #expect(dialogue.steps.allSatisfy(dialogue.accepted))
    }

    @Test func pop3StatusIsTheFirstStatusLineAndAChallengeContinuesTheStep() {
        let dialogue = MailDialogue(MailSession.recorded(MailDialogues.pop3STLS).lines, proto: .pop3)
        #expect(dialogue.steps.map(\.name) == ["greeting", "CAPA", "STLS", "CAPA", "AUTH PLAIN", "STAT", "QUIT"])
        #expect(dialogue.steps[1].status == "+OK")
        #expect(dialogue.steps[4].status == "+OK Logged in.")
        #expect(dialogue.steps.allSatisfy(dialogue.accepted))
    }

    @Test(arguments: [("250 ok", 250), ("250-more", 250), ("354", 354), ("25 x", nil), ("2500 x", nil), ("abc", nil), ("", nil)] as [(String, Int?)])
    func smtpCodesAreThreeDigitsThenSpaceDashOrEnd(line: String, code: Int?) {
        #expect(MailDialogue.smtpCode(line) == code)
    }

    @Test func quotingCutsLongTextAndMasksControlCharacters() {
        let banner = "220 " + String(repeating: "x", count: 1 << 20)
        #expect(MailDialogue.quote(banner).count == 201)
        #expect(MailDialogue.quote("a\u{1B}[31mb\tc") == "a?[31mb?c")
        #expect(MailDialogue.quote("bad \u{FFFD} utf8") == "bad \u{FFFD} utf8")
    }
}
