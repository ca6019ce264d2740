import FoundationEssentials

/// One e-mail as it goes over SMTP (RFC 5322 with MIME, RFC 2045–2047): headers, a text part
/// and the attachments, CRLF line ends, every part base64 so no line is too long and no byte
/// needs 8BITMIME. Pure: the sink only sends the bytes.
public struct EmailMessage: Sendable, Hashable {
    public var from: String
    public var to: [String]
    public var cc: [String] = []
    public var replyTo: String?
    public var subject: String
    public var date: Date
    /// With angle brackets: `<hostwatch.web01.HW-4.1@example.net>`.
    public var messageID: String
    public var inReplyTo: String?
    public var references: [String] = []
    public var text: String
    public var attachments: [Ticket.Attachment] = []
    /// Extra headers (`X-Hostwatch-Ticket: HW-4`), names and values plain ASCII.
    public var extraHeaders: [(String, String)] = []

    public init(from: String, to: [String], subject: String, date: Date, messageID: String, text: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.text = text
    }

    public static func == (a: EmailMessage, b: EmailMessage) -> Bool { a.rendered() == b.rendered() }
    public func hash(into hasher: inout Hasher) { hasher.combine(rendered()) }

    /// The Message-ID of one ticket event: the same every time the event is sent, so a helpdesk
    /// that drops repeated Message-IDs (osTicket, Zammad) drops a resend.
    public static func messageID(server: String, ticketID: String, revision: Int, domain: String) -> String {
        let safe = String(server.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "-" })
        return "<hostwatch.\(safe).\(ticketID).\(revision)@\(domain)>"
    }

    /// The whole message, CRLF line ends.
    public func rendered() -> [UInt8] {
        var head: [String] = []
        head.append("From: \(from)")
        head.append("To: \(to.joined(separator: ", "))")
        if !cc.isEmpty { head.append("Cc: \(cc.joined(separator: ", "))") }
        if let replyTo { head.append("Reply-To: \(replyTo)") }
        head.append("Subject: \(Self.encodedWords(subject))")
        head.append("Date: \(Self.date(date))")
        head.append("Message-ID: \(messageID)")
        if let inReplyTo { head.append("In-Reply-To: \(inReplyTo)") }
        if !references.isEmpty { head.append("References: \(references.joined(separator: "\r\n "))") }
        for (name, value) in extraHeaders { head.append("\(name): \(value)") }
        head.append("Auto-Submitted: auto-generated")
        head.append("MIME-Version: 1.0")
        var out = ""
        let textPart = ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "", Self.base64Lines(Array(text.utf8))]
        if attachments.isEmpty {
            out = (head + textPart).joined(separator: "\r\n")
        } else {
            let boundary = "=_hostwatch_\(UInt32(truncatingIfNeeded: Self.fnv(messageID)))"
            head.append("Content-Type: multipart/mixed; boundary=\"\(boundary)\"")
            var lines = head + ["", "This is a MIME message: the ticket, then its evidence as attachments.", "--\(boundary)"] + textPart
            for attachment in attachments {
                let name = Self.fileName(attachment.name)
                lines += ["--\(boundary)",
                          "Content-Type: \(Self.mediaType(attachment.mediaType)); name=\"\(name)\"",
                          "Content-Disposition: attachment; filename=\"\(name)\"",
                          "Content-Transfer-Encoding: base64", "",
                          Self.base64Lines(Array(attachment.content.utf8))]
            }
            lines.append("--\(boundary)--")
            out = lines.joined(separator: "\r\n")
        }
        return Array((out + "\r\n").utf8)
    }

    /// RFC 2047 encoded words for a header value that is not plain ASCII, each at most 75
    /// characters, never splitting a character.
    static func encodedWords(_ text: String) -> String {
        guard !text.allSatisfy({ $0.isASCII && !$0.isNewline }) else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array((character.isNewline ? " " : String(character)).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Array(Data(bytes).base64EncodedString().utf8)
        var lines: [String] = []
        var start = 0
        while start < encoded.count {
            let end = min(start + 76, encoded.count)
            lines.append(String(decoding: encoded[start..<end], as: UTF8.self))
            start = end
        }
        return lines.joined(separator: "\r\n")
    }

    /// `Wed, 25 Nov 2026 13:00:00 +0000` (RFC 5322 §3.3), in UTC.
    static func date(_ date: Date) -> String {
        let text = RFC3339.format(date)  // 2026-11-25T13:00:00Z
        let parts = Array(text.utf8)
        func field(_ from: Int, _ count: Int) -> String { String(decoding: parts[from..<(from + count)], as: UTF8.self) }
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let weekday = weekdays[((days % 7) + 7) % 7]
        let month = months[(Int(field(5, 2)) ?? 1) - 1]
        return "\(weekday), \(field(8, 2)) \(month) \(field(0, 4)) \(field(11, 8)) +0000"
    }

    static func fileName(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
    }

    static func mediaType(_ type: String) -> String {
        type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/-+.".contains($0)) }) && type.contains("/") ? type : "application/octet-stream"
    }

    static func fnv(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
