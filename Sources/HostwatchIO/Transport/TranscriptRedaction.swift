/// Removes credentials from transcript lines before they are kept: libcurl's debug callback
/// sees request headers and protocol commands as sent.
///
/// Per line: HTTP `Authorization`, `Proxy-Authorization` and `Cookie` values; SMTP and POP3
/// `AUTH mechanism <initial response>`; POP3 `PASS` and `APOP`; IMAP `tag LOGIN …` and
/// `tag AUTHENTICATE mechanism <initial response>`. Across lines (`Conversation`): whatever a
/// client sends after a SASL challenge (SMTP `334 …`, IMAP and POP3 `+ …`), which is the base64
/// of a user name or password (RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4).
enum TranscriptRedaction {
    /// Line prefixes (compared without case) after which everything is replaced.
    static let prefixes: [[UInt8]] = ["authorization:", "proxy-authorization:", "cookie:", "auth ", "pass ", "apop "].map { Array($0.utf8) }
    /// IMAP commands (after the tag) whose arguments are secret.
    static let imapCommands: [[UInt8]] = ["login ", "authenticate "].map { Array($0.utf8) }
    static let marker = Array(" [redacted]".utf8)

    /// The redacted line, or nil when the line holds nothing secret.
    static func redact(_ line: UnsafeRawBufferPointer) -> [UInt8]? {
        for (index, prefix) in prefixes.enumerated() where hasPrefix(line, prefix, at: 0) {
            // Keep the mechanism word after AUTH (PLAIN, LOGIN) but not what follows it.
            var keep = prefix.count
            if index == 3 {
                while keep < line.count, line[keep] != 32 { keep += 1 }
            } else if prefix.last == 32 {
                keep -= 1
            }
            return Array(line[0..<keep]) + marker
        }
        // IMAP: `A001 LOGIN user "password"`, `A002 AUTHENTICATE PLAIN base64`.
        var tagEnd = 0
        while tagEnd < line.count, tagEnd < 32, line[tagEnd] != 32 { tagEnd += 1 }
        guard tagEnd > 0, tagEnd < line.count else { return nil }
        for command in imapCommands where hasPrefix(line, command, at: tagEnd + 1) {
            var keep = tagEnd + 1 + command.count
            if command == imapCommands[1] {
                while keep < line.count, line[keep] != 32 { keep += 1 }
            } else {
                keep -= 1
            }
            return Array(line[0..<keep]) + marker
        }
        return nil
    }

    /// The state a mail dialogue's redaction carries from line to line.
    struct Conversation {
        /// Set by a SASL challenge from the server: the client's next line is secret.
        private var challenged = false

        /// Notes a received line.
        mutating func received(_ line: UnsafeRawBufferPointer) {
            challenged = isChallenge(line)
        }

        /// The redacted form of a line about to be kept as sent, or nil when it may be kept as is.
        mutating func sent(_ line: UnsafeRawBufferPointer) -> [UInt8]? {
            defer { challenged = false }
            if challenged { return Array("[redacted]".utf8) }
            return TranscriptRedaction.redact(line)
        }

        /// `334 …` (SMTP) or `+`, `+ …` (IMAP, POP3): the server waits for a SASL response.
        private func isChallenge(_ line: UnsafeRawBufferPointer) -> Bool {
            if line.count >= 3, line[0] == 51, line[1] == 51, line[2] == 52, line.count == 3 || line[3] == 32 { return true }
            return line.count >= 1 && line[0] == 43 && (line.count == 1 || line[1] == 32)
        }
    }

    private static func hasPrefix(_ line: UnsafeRawBufferPointer, _ prefix: [UInt8], at start: Int) -> Bool {
        guard line.count >= start + prefix.count else { return false }
        for i in 0..<prefix.count where lowercase(line[start + i]) != prefix[i] { return false }
        return true
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= 65 && byte <= 90 ? byte + 32 : byte
    }
}
