/// A DNS message (RFC 1035 §4.1): header, question, answer, authority and additional sections,
/// with the EDNS0 OPT pseudo-record (RFC 6891) lifted out of the additional section.
///
/// `decode` accepts any byte sequence and either returns a message or throws a `DNSWireError`
/// naming the problem and its offset; it never traps and its work is bounded by the message
/// length. `encoded()` compresses names (RFC 1035 §4.1.4).
public struct DNSMessage: Sendable, Hashable {
    /// The 16-bit flags word without the rcode's extension.
    public struct Flags: Sendable, Hashable {
        public var isResponse = false
        public var opcode: UInt8 = 0
        /// AA: the answer comes from a server authoritative for the zone.
        public var authoritative = false
        /// TC: the reply did not fit and was cut; ask again over TCP.
        public var truncated = false
        public var recursionDesired = false
        public var recursionAvailable = false
        public var authenticData = false
        public var checkingDisabled = false
        /// The low four bits of the rcode.
        public var rcodeLow: UInt8 = 0

        public init() {}

        init(word: UInt16) {
            isResponse = word & 0x8000 != 0
            opcode = UInt8((word >> 11) & 0x0f)
            authoritative = word & 0x0400 != 0
            truncated = word & 0x0200 != 0
            recursionDesired = word & 0x0100 != 0
            recursionAvailable = word & 0x0080 != 0
            authenticData = word & 0x0020 != 0
            checkingDisabled = word & 0x0010 != 0
            rcodeLow = UInt8(word & 0x000f)
        }

        var word: UInt16 {
            var w = UInt16(opcode & 0x0f) << 11 | UInt16(rcodeLow & 0x0f)
            if isResponse { w |= 0x8000 }
            if authoritative { w |= 0x0400 }
            if truncated { w |= 0x0200 }
            if recursionDesired { w |= 0x0100 }
            if recursionAvailable { w |= 0x0080 }
            if authenticData { w |= 0x0020 }
            if checkingDisabled { w |= 0x0010 }
            return w
        }

        /// dig's spelling: `qr aa rd`.
        public var text: String {
            var parts: [String] = []
            if isResponse { parts.append("qr") }
            if authoritative { parts.append("aa") }
            if truncated { parts.append("tc") }
            if recursionDesired { parts.append("rd") }
            if recursionAvailable { parts.append("ra") }
            if authenticData { parts.append("ad") }
            if checkingDisabled { parts.append("cd") }
            return parts.joined(separator: " ")
        }
    }

    /// One entry of the question section.
    public struct Question: Sendable, Hashable, CustomStringConvertible {
        public var name: DNSName
        public var type: DNSRecordType
        public var questionClass: UInt16

        public init(name: DNSName, type: DNSRecordType, questionClass: UInt16 = 1) {
            self.name = name
            self.type = type
            self.questionClass = questionClass
        }

        public var description: String { "\(name) \(questionClass == 1 ? "IN" : "CLASS\(questionClass)") \(type)" }
    }

    /// The EDNS0 OPT pseudo-record's fields (RFC 6891 §6.1.3).
    public struct EDNS: Sendable, Hashable {
        /// The largest UDP reply the sender can take.
        public var udpPayloadSize: UInt16
        /// The upper eight bits of the 12-bit rcode.
        public var extendedRcode: UInt8 = 0
        public var version: UInt8 = 0
        public var dnssecOK = false
        /// Options as code and data, unparsed.
        public var options: [Option] = []

        public struct Option: Sendable, Hashable {
            public var code: UInt16
            public var data: [UInt8]
            public init(code: UInt16, data: [UInt8]) {
                self.code = code
                self.data = data
            }
        }

        public init(udpPayloadSize: UInt16, extendedRcode: UInt8 = 0, version: UInt8 = 0, dnssecOK: Bool = false,
                    options: [Option] = []) {
            self.udpPayloadSize = udpPayloadSize
            self.extendedRcode = extendedRcode
            self.version = version
            self.dnssecOK = dnssecOK
            self.options = options
        }
    }

    public var id: UInt16
    public var flags: Flags
    public var questions: [Question]
    public var answers: [DNSRecord]
    public var authorities: [DNSRecord]
    /// The additional section without the OPT record.
    public var additionals: [DNSRecord]
    public var edns: EDNS?

    public init(id: UInt16, flags: Flags = Flags(), questions: [Question] = [], answers: [DNSRecord] = [],
                authorities: [DNSRecord] = [], additionals: [DNSRecord] = [], edns: EDNS? = nil) {
        self.id = id
        self.flags = flags
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// A standard query for one name and type. hostwatch asks authoritative servers, so
    /// recursion is not desired by default; `udpPayloadSize` adds an EDNS0 OPT record (1232 is
    /// the DNS Flag Day 2020 size that avoids IP fragmentation).
    public static func query(id: UInt16, name: DNSName, type: DNSRecordType, recursionDesired: Bool = false,
                             udpPayloadSize: UInt16? = 1232) -> DNSMessage {
        var flags = Flags()
        flags.recursionDesired = recursionDesired
        return DNSMessage(id: id, flags: flags, questions: [Question(name: name, type: type)],
                          edns: udpPayloadSize.map { EDNS(udpPayloadSize: $0) })
    }

    /// The full rcode: the header's four bits, extended by EDNS0 when present.
    public var rcode: DNSRcode {
        DNSRcode(rawValue: UInt16(edns?.extendedRcode ?? 0) << 4 | UInt16(flags.rcodeLow))
    }

    /// Whether this message is the reply to `query` (RFC 5452 §9.1): a response, with the same
    /// ID, opcode and question (names compared without case).
    public func isReply(to query: DNSMessage) -> Bool {
        flags.isResponse && id == query.id && flags.opcode == query.flags.opcode && questions == query.questions
    }

    /// What is wrong when `isReply(to:)` is false, for transcripts.
    public func mismatch(with query: DNSMessage) -> String? {
        if !flags.isResponse { return "not a response (QR bit clear)" }
        if id != query.id { return "ID \(id) instead of \(query.id)" }
        if flags.opcode != query.flags.opcode { return "opcode \(flags.opcode) instead of \(query.flags.opcode)" }
        if questions != query.questions {
            let seen = questions.map(\.description).joined(separator: ", ")
            return "question \(seen.isEmpty ? "(none)" : seen) instead of \(query.questions.map(\.description).joined(separator: ", "))"
        }
        return nil
    }
}
