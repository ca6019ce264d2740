import FoundationEssentials
import HostwatchCore

// libFuzzer entry point for the mail reply parser (see Tests/Fuzz/README.md): `MailDialogue`
// framing SMTP, IMAP and POP3 replies, and each check's verdict on the dialogue. No top-level
// code, no @main.

/// Input: byte 0 picks the TLS mode, the login and how the session ended; the rest is the
/// dialogue, one line per LF, `>` starting a line the client sent, anything else a line
/// received (repaired to UTF-8 as the transport does). All three protocols judge it.
@_cdecl("LLVMFuzzerTestOneInput")
public func mailReplyFuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let control = bytes.first else { return 0 }
    var lines: [DialogueLine] = []
    for line in bytes.dropFirst().split(separator: 10, omittingEmptySubsequences: false) {
        if line.first == UInt8(ascii: ">") {
            lines.append(DialogueLine(.sent, String(decoding: line.dropFirst(), as: UTF8.self)))
        } else {
            lines.append(DialogueLine(.received, String(decoding: line, as: UTF8.self)))
        }
    }
    let tls = MailTLS.allCases[Int(control & 3) % MailTLS.allCases.count]
    let user: String? = control & 4 != 0 ? "probe@example.org" : nil
    let errors: [TransferError?] = [nil, TransferError(kind: .timeout, detail: "timed out"),
                                    TransferError(kind: .protocolError, detail: "weird reply"),
                                    TransferError(kind: .certificate, detail: "expired")]
    let error = errors[Int(control >> 3) & 3]
    let session = MailSession(error: error, lines: lines)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    for proto in [MailProtocol.smtp, .imap, .pop3] {
        let dialogue = MailDialogue(lines, proto: proto)
        for step in dialogue.steps {
            _ = step.name
            if let status = step.status { _ = MailDialogue.quote(status) }
        }
        let request = MailRequest(proto: proto, host: "mail.example.org", address: "192.0.2.25", port: 25, tls: tls,
                                  user: user, passwordFile: user.map { _ in "/etc/hostwatch/probe.password" })
        let check = CheckID(target: "example.org", kind: proto.rawValue)
        let observation: Observation
        switch proto {
        case .smtp:
            observation = SMTPCheck.judge(session, check: check, request: request, configuration: SMTPCheck.Configuration(),
                                          relayProbe: control & 0x20 != 0 ? SMTPCheck.RelayProbe(from: "a@b.test", to: "c@d.test") : nil,
                                          now: now)
        case .imap:
            observation = IMAPCheck.judge(session, check: check, request: request, certWarningDays: 14, now: now)
        case .pop3:
            observation = POP3Check.judge(session, check: check, request: request, certWarningDays: 14, now: now)
        }
        if let failure = observation.failure {
            // A failure names its protocol and the step; an empty message would make an empty ticket.
            precondition(!failure.message.isEmpty)
        }
        _ = observation.summary
    }
    return 0
}
