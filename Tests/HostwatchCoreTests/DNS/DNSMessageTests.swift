import Testing
@testable import HostwatchCore

@Suite struct DNSMessageTests {
    static let exampleOrg: [UInt8] = [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0]

    func name(_ text: String) -> DNSName { try! DNSName(text) }

    @Test func encodesAQueryByteForByteWithEDNS0AndNoRecursion() throws {
        let query = DNSMessage.query(id: 0x1234, name: name("example.org"), type: .mx)
        let expected: [UInt8] = [0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 1] + Self.exampleOrg + [0, 15, 0, 1]
            + [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]
        #expect(try query.encoded() == expected)
    }

    @Test func decodesAHandWrittenReplyWithCompressedNames() throws {
        // example.org MX 10 mail.example.org, the exchange compressed to "mail" + pointer to 12.
        let bytes: [UInt8] = [0xab, 0xcd, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0] + Self.exampleOrg + [0, 15, 0, 1]
            + [0xc0, 12, 0, 15, 0, 1, 0, 0, 0x0e, 0x10, 0, 9, 0, 10, 4] + Array("mail".utf8) + [0xc0, 12]
        let message = try DNSMessage.decode(bytes)
        #expect(message.id == 0xabcd)
        #expect(message.flags.isResponse && message.flags.authoritative && !message.flags.recursionDesired)
        #expect(message.rcode == .noError)
        #expect(message.questions == [.init(name: name("example.org"), type: .mx)])
        let answer = try #require(message.answers.first)
        #expect(answer.ttl == 3600)
        #expect(answer.data == .mx(preference: 10, exchange: name("mail.example.org")))
        #expect(answer.description == "example.org. 3600 IN MX 10 mail.example.org.")
    }

    /// Every record type hostwatch judges, through the encoder and back, with the zone-file text.
    @Test(arguments: [
        (DNSRecordData.a(IPAddress("203.0.113.10")!), "203.0.113.10"),
        (.aaaa(IPAddress("2001:db8::10")!), "2001:db8::10"),
        (.ns(try! DNSName("ns1.example.net")), "ns1.example.net."),
        (.cname(try! DNSName("www.example.org")), "www.example.org."),
        (.mx(preference: 10, exchange: try! DNSName("mail.example.org")), "10 mail.example.org."),
        (.txt([Array("v=spf1 -all".utf8), Array("say \"hi\"".utf8)]), "\"v=spf1 -all\" \"say \\\"hi\\\"\""),
        (.soa(DNSSOA(primary: try! DNSName("ns1.example.org"), responsible: try! DNSName("hostmaster.example.org"), serial: 2024010101)),
         "ns1.example.org. hostmaster.example.org. 2024010101 3600 600 86400 300"),
        (.caa(flags: 0, tag: "issue", value: Array("letsencrypt.org".utf8)), "0 issue \"letsencrypt.org\""),
        (.unknown([0xde, 0xad]), "\\# 2 dead"),
    ])
    func roundTripsEveryRecordType(data: DNSRecordData, text: String) throws {
        let type = data.impliedType ?? DNSRecordType(rawValue: 99)
        var message = DNSMessage(id: 7)
        message.flags.isResponse = true
        message.questions = [.init(name: name("example.org"), type: type)]
        message.answers = [DNSRecord(name: name("example.org"), type: type, ttl: 60, data: data)]
        message.edns = .init(udpPayloadSize: 1232)
        let decoded = try DNSMessage.decode(try message.encoded())
        #expect(decoded == message)
        #expect(decoded.answers.first?.data.description == text)
    }

    @Test func compressesRepeatedSuffixesToPointers() throws {
        var message = DNSMessage(id: 1, questions: [.init(name: name("example.org"), type: .ns)])
        message.answers = ["ns1.example.org", "ns2.example.org"].map {
            DNSRecord(name: name("Example.org"), data: .ns(name($0)))
        }
        let bytes = try message.encoded()
        // The question's name is written once at 12; each answer's owner is a pointer to it, and
        // each target is a label plus a pointer.
        let pointersTo12 = zip(bytes, bytes.dropFirst()).filter { $0 == (0xc0, 12) }.count
        #expect(pointersTo12 == 4)
        #expect(bytes.count == 12 + 17 + 2 * (2 + 10 + 6))
        #expect(try DNSMessage.decode(bytes) == message)
    }

    @Test func theRcodeIsExtendedByEDNS0() throws {
        var message = DNSMessage(id: 1, edns: .init(udpPayloadSize: 4096, extendedRcode: 1))
        message.flags.rcodeLow = 0
        let decoded = try DNSMessage.decode(try message.encoded())
        #expect(decoded.rcode == .badVers)
        #expect(decoded.edns?.udpPayloadSize == 4096)
        #expect(decoded.additionals.isEmpty)
    }

    @Test func aReplyMatchesOnlyItsOwnQuery() throws {
        let query = DNSMessage.query(id: 99, name: name("example.org"), type: .a)
        var reply = DNSMessage(id: 99, questions: [.init(name: name("EXAMPLE.org"), type: .a)])
        reply.flags.isResponse = true
        #expect(reply.isReply(to: query))
        var otherID = reply
        otherID.id = 98
        #expect(!otherID.isReply(to: query))
        #expect(otherID.mismatch(with: query) == "ID 98 instead of 99")
        var otherQuestion = reply
        otherQuestion.questions = [.init(name: name("example.org"), type: .aaaa)]
        #expect(otherQuestion.mismatch(with: query) == "question example.org. IN AAAA instead of example.org. IN A")
        var notAReply = reply
        notAReply.flags.isResponse = false
        #expect(notAReply.mismatch(with: query) == "not a response (QR bit clear)")
    }

    static let header: [UInt8] = [0, 1, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    /// A header with one question and one answer, and the question `. IN A` (or another type).
    static func oneAnswer(type: UInt8) -> [UInt8] {
        let head: [UInt8] = [0, 1, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0]
        let question: [UInt8] = [0, 0, type, 0, 1]
        return head + question
    }

    static func bytes(_ parts: [UInt8]...) -> [UInt8] { parts.flatMap { $0 } }

    static let malformed: [(String, [UInt8], DNSWireError)] = [
        ("a header cut short", [0, 1, 0x84], .truncated(offset: 3, needed: 1)),
        ("a pointer to itself", bytes(header, [0xc0, 12, 0, 1, 0, 1]), .compressionLoop(offset: 12)),
        ("two pointers pointing at each other", bytes(header, [0xc0, 14, 0xc0, 12, 0, 1, 0, 1]), .compressionLoop(offset: 12)),
        ("a pointer past the end", bytes(header, [0xc0, 0xff, 0, 1, 0, 1]), .pointerOutOfBounds(offset: 12, target: 255)),
        ("a label length of 64", bytes(header, [64], [UInt8](repeating: 120, count: 64), [0, 0, 1, 0, 1]),
         .labelTooLong(length: 64, offset: 12)),
        ("a label length of 0x80", bytes(header, [0x80, 0, 0, 1, 0, 1]), .labelTooLong(length: 128, offset: 12)),
        ("a label running past the end", bytes(header, [10, 97, 98, 99, 100]), .truncated(offset: 17, needed: 6)),
        ("an answer count larger than the message", bytes([0, 1, 0x84, 0, 0, 0, 0x01, 0, 0, 0, 0, 0], [UInt8](repeating: 0, count: 20)),
         .countExceedsMessage(section: "answer", count: 256, remaining: 20)),
        ("a question count larger than the message", [0, 1, 0x84, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0],
         .countExceedsMessage(section: "question", count: 65535, remaining: 0)),
        ("record data past the end", bytes(oneAnswer(type: 1), [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2]),
         .truncated(offset: 30, needed: 2)),
        ("an A record of 5 bytes", bytes(oneAnswer(type: 1), [0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5]),
         .badRecordData(type: "A", offset: 28, detail: "5 bytes, an IPv4 address has 4")),
        ("an MX name running past its record", bytes(oneAnswer(type: 15), [0, 0, 15, 0, 1, 0, 0, 0, 0, 0, 3, 0, 1, 1, 97, 0]),
         .badRecordData(type: "MX", offset: 28, detail: "runs 2 bytes past its declared length 3")),
        ("an OPT record among the answers", bytes(oneAnswer(type: 1), [0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]),
         .badOPT(detail: "found in the answer section")),
    ]

    /// Malformed input, one row per rule: the bytes and the exact error.
    @Test(arguments: malformed)
    func malformedMessagesEndInAClearError(what: String, bytes: [UInt8], error: DNSWireError) {
        #expect(throws: error, "\(what)") { try DNSMessage.decode(bytes) }
    }

    @Test func aNameOver255BytesThroughPointersIsRejected() {
        // Four 63-byte labels reached by chaining: each name points at the previous one.
        var bytes: [UInt8] = [0, 1, 0x84, 0, 0, 4, 0, 0, 0, 0, 0, 0]
        var previous: Int?
        for _ in 0..<5 {
            let start = bytes.count
            bytes += [63] + Array(repeating: 120, count: 63)
            bytes += previous.map { [0xc0, UInt8($0)] } ?? [0]
            bytes += [0, 1, 0, 1]
            previous = start
            if start > 255 { break }
        }
        #expect(throws: DNSWireError.self) { try DNSMessage.decode(bytes) }
        do {
            _ = try DNSMessage.decode(bytes)
        } catch {
            guard case .nameTooLong = error else { Issue.record("expected nameTooLong, got \(error)"); return }
        }
    }

    @Test func errorsReadAsSentences() {
        #expect(DNSWireError.compressionLoop(offset: 14).description == "compression pointers loop (at byte 14)")
        #expect(DNSWireError.labelTooLong(length: 64, offset: 12).description == "label length 64 at byte 12 is over 63")
        #expect(DNSWireError.countExceedsMessage(section: "answer", count: 256, remaining: 20).description
            == "answer count 256 is larger than the 20 bytes left in the message can hold")
    }
}
