import Foundation
import Testing
@testable import HostwatchCore

@Suite struct EmailMessageTests {
    let date = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z, a Friday

    func message() -> EmailMessage {
        var m = EmailMessage(from: "hostwatch@web01.test", to: ["support@helpdesk.test"], subject: "[hostwatch] HW-4: web01: server down — 2 sites",
                             date: date, messageID: EmailMessage.messageID(server: "web 01", ticketID: "HW-4", revision: 3, domain: "web01.test"),
                             text: "line one\nzweite Zeile: grün\n")
        m.cc = ["oncall@helpdesk.test"]
        m.replyTo = "support@helpdesk.test"
        m.inReplyTo = "<hostwatch.web-01.HW-4.1@web01.test>"
        m.references = ["<hostwatch.web-01.HW-4.1@web01.test>"]
        m.attachments = [.init(name: "transcript web.txt", content: "* Trying 127.0.0.1:80...\n< HTTP/1.1 502\n")]
        return m
    }

    func text(_ m: EmailMessage) -> String { String(decoding: m.rendered(), as: UTF8.self) }

    func header(_ name: String, in text: String) -> String? {
        text.components(separatedBy: "\r\n").first { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    @Test func headersCarryTheThreadAndADateInRFC5322Form() {
        let t = text(message())
        #expect(header("Date", in: t) == "Fri, 15 Jan 2027 08:00:00 +0000")
        #expect(header("Message-ID", in: t) == "<hostwatch.web-01.HW-4.3@web01.test>")
        #expect(header("In-Reply-To", in: t) == "<hostwatch.web-01.HW-4.1@web01.test>")
        #expect(header("References", in: t) == "<hostwatch.web-01.HW-4.1@web01.test>")
        #expect(header("Cc", in: t) == "oncall@helpdesk.test")
        #expect(header("Reply-To", in: t) == "support@helpdesk.test")
        #expect(header("MIME-Version", in: t) == "1.0")
    }

    @Test func aSubjectThatIsNotASCIIIsEncodedWordsThatDecodeBack() throws {
        let t = text(message())
        let start = try #require(t.range(of: "Subject: "))
        let end = try #require(t.range(of: "\r\nDate: "))
        let folded = String(t[start.upperBound..<end.lowerBound])
        let words = folded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        var decoded = Data()
        for word in words {
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?=") && word.count <= 75)
            decoded += try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
        }
        #expect(String(decoding: decoded, as: UTF8.self) == "[hostwatch] HW-4: web01: server down — 2 sites")
    }

    @Test func theBodyAndAttachmentsAreBase64PartsOfAMultipart() throws {
        let t = text(message())
        let type = try #require(header("Content-Type", in: t))
        #expect(type.hasPrefix("multipart/mixed; boundary=\""))
        let boundary = String(type.split(separator: "\"")[1])
        let parts = t.components(separatedBy: "--\(boundary)")
        #expect(parts.count == 4)  // preamble, text, attachment, closing
        #expect(parts[3] == "--\r\n")
        func decode(_ part: String) throws -> String {
            let body = try #require(part.components(separatedBy: "\r\n\r\n").last)
            return String(decoding: try #require(Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: ""))), as: UTF8.self)
        }
        #expect(try decode(parts[1]) == "line one\nzweite Zeile: grün\n")
        #expect(parts[2].contains("Content-Disposition: attachment; filename=\"transcript_web.txt\""))
        #expect(try decode(parts[2]).contains("< HTTP/1.1 502"))
        #expect(t.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
        #expect(!t.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func theSameEventRendersTheSameBytes() {
        #expect(message().rendered() == message().rendered())
    }

    @Test(arguments: [(0.0, "Thu, 01 Jan 1970 00:00:00 +0000"), (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"),
                      (-86_400, "Wed, 31 Dec 1969 00:00:00 +0000")])
    func datesMatchTheCalendar(seconds: Double, text: String) {
        #expect(EmailMessage.date(Date(timeIntervalSince1970: seconds)) == text)
    }
}
