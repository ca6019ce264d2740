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

// MARK: - Decoding

extension DNSMessage {
    /// Reads a message. Trailing bytes after the last record are ignored, as most resolvers do.
    public static func decode(_ bytes: [UInt8]) throws(DNSWireError) -> DNSMessage {
        var reader = DNSWireReader(bytes)
        let id = try reader.u16()
        let flags = Flags(word: try reader.u16())
        let qd = Int(try reader.u16()), an = Int(try reader.u16()), ns = Int(try reader.u16()), ar = Int(try reader.u16())
        // Reject impossible counts before reserving anything: a question takes at least 5 bytes
        // (root name, type, class), a record at least 11.
        let remaining = bytes.count - reader.offset
        if qd * 5 > remaining { throw .countExceedsMessage(section: "question", count: qd, remaining: remaining) }
        if (an + ns + ar) * 11 > remaining - qd * 5 {
            let section = an * 11 > remaining - qd * 5 ? "answer" : (an + ns) * 11 > remaining - qd * 5 ? "authority" : "additional"
            let count = section == "answer" ? an : section == "authority" ? ns : ar
            throw .countExceedsMessage(section: section, count: count, remaining: remaining)
        }
        var message = DNSMessage(id: id, flags: flags)
        message.questions.reserveCapacity(qd)
        for _ in 0..<qd {
            let name = try reader.name()
            let type = DNSRecordType(rawValue: try reader.u16())
            let questionClass = try reader.u16()
            message.questions.append(Question(name: name, type: type, questionClass: questionClass))
        }
        message.answers = try reader.records(an, section: "answer", edns: &message.edns)
        message.authorities = try reader.records(ns, section: "authority", edns: &message.edns)
        message.additionals = try reader.records(ar, section: "additional", edns: &message.edns)
        return message
    }
}

/// A bounds-checked cursor over a message.
struct DNSWireReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func need(_ count: Int) throws(DNSWireError) {
        guard bytes.count - offset >= count else { throw .truncated(offset: bytes.count, needed: count - (bytes.count - offset)) }
    }

    mutating func u8() throws(DNSWireError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() throws(DNSWireError) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u32() throws(DNSWireError) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    mutating func take(_ count: Int) throws(DNSWireError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// A possibly compressed name (RFC 1035 §4.1.4). Pointers may point anywhere earlier or later
    /// in the message, but a target visited twice is a loop, and the expanded name may not pass
    /// 255 bytes: so the work is bounded whatever the bytes say.
    mutating func name() throws(DNSWireError) -> DNSName {
        var wire: [UInt8] = []
        wire.reserveCapacity(32)
        var position = offset
        var resumeAt: Int?
        var visited: [Int] = []
        while true {
            guard position < bytes.count else {
                throw .truncated(offset: bytes.count, needed: 1)
            }
            let length = bytes[position]
            switch length & 0xc0 {
            case 0xc0:
                guard position + 1 < bytes.count else { throw .truncated(offset: bytes.count, needed: 1) }
                let target = Int(length & 0x3f) << 8 | Int(bytes[position + 1])
                guard target < bytes.count else { throw .pointerOutOfBounds(offset: position, target: target) }
                if visited.contains(target) || target == position { throw .compressionLoop(offset: position) }
                // 127 labels is the most a 255-byte name can have; more jumps mean a pointer chain.
                guard visited.count < 127 else { throw .tooManyPointers(offset: position) }
                visited.append(target)
                if resumeAt == nil { resumeAt = position + 2 }
                position = target
            case 0x00:
                if length == 0 {
                    wire.append(0)
                    offset = resumeAt ?? position + 1
                    return DNSName(trustedWire: wire)
                }
                let end = position + 1 + Int(length)
                guard end <= bytes.count else { throw .truncated(offset: bytes.count, needed: end - bytes.count) }
                guard wire.count + 1 + Int(length) + 1 <= 255 else {
                    throw .nameTooLong(length: wire.count + 1 + Int(length) + 1, offset: position)
                }
                wire.append(contentsOf: bytes[position..<end])
                position = end
            default:
                // 0x40 and 0x80: a length of 64–191, which RFC 1035 forbids (the obsolete
                // extended label types of RFC 2671 are not used by anyone).
                throw .labelTooLong(length: Int(length), offset: position)
            }
        }
    }

    mutating func records(_ count: Int, section: String, edns: inout DNSMessage.EDNS?) throws(DNSWireError) -> [DNSRecord] {
        var out: [DNSRecord] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let name = try name()
            let type = DNSRecordType(rawValue: try u16())
            let recordClass = try u16()
            let ttl = try u32()
            let length = Int(try u16())
            let start = offset
            try need(length)
            if type == .opt {
                guard section == "additional" else { throw .badOPT(detail: "found in the \(section) section") }
                guard edns == nil else { throw .badOPT(detail: "more than one") }
                guard name == .root else { throw .badOPT(detail: "owner \(name) is not the root") }
                edns = try opt(udpSize: recordClass, ttl: ttl, end: start + length)
                continue
            }
            let data = try recordData(type, end: start + length)
            guard offset == start + length else {
                throw .badRecordData(type: type.description, offset: start,
                                     detail: "\(offset - start) bytes read, \(length) declared")
            }
            out.append(DNSRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data))
        }
        return out
    }

    private mutating func opt(udpSize: UInt16, ttl: UInt32, end: Int) throws(DNSWireError) -> DNSMessage.EDNS {
        var edns = DNSMessage.EDNS(udpPayloadSize: udpSize, extendedRcode: UInt8(ttl >> 24), version: UInt8((ttl >> 16) & 0xff),
                                   dnssecOK: ttl & 0x8000 != 0)
        while offset < end {
            guard end - offset >= 4 else { throw .badOPT(detail: "option header cut at byte \(offset)") }
            let code = try u16()
            let length = Int(try u16())
            guard offset + length <= end else { throw .badOPT(detail: "option \(code) runs past the record at byte \(offset)") }
            edns.options.append(.init(code: code, data: try take(length)))
        }
        return edns
    }

    /// One record's data, which must end exactly at `end`. Names inside may point anywhere in
    /// the message, but their inline bytes must stay within the record.
    private mutating func recordData(_ type: DNSRecordType, end: Int) throws(DNSWireError) -> DNSRecordData {
        let start = offset
        let length = end - start
        func bad(_ detail: String) -> DNSWireError { .badRecordData(type: type.description, offset: start, detail: detail) }
        func checkInside() throws(DNSWireError) {
            if offset > end { throw bad("runs \(offset - end) bytes past its declared length \(length)") }
        }
        switch type {
        case .a:
            guard length == 4 else { throw bad("\(length) bytes, an IPv4 address has 4") }
            return .a(IPAddress(bytes: try take(4))!)
        case .aaaa:
            guard length == 16 else { throw bad("\(length) bytes, an IPv6 address has 16") }
            return .aaaa(IPAddress(bytes: try take(16))!)
        case .ns, .cname:
            let target = try name()
            try checkInside()
            return type == .ns ? .ns(target) : .cname(target)
        case .mx:
            guard length >= 3 else { throw bad("\(length) bytes, too short for MX") }
            let preference = try u16()
            let exchange = try name()
            try checkInside()
            return .mx(preference: preference, exchange: exchange)
        case .soa:
            let primary = try name()
            try checkInside()
            let responsible = try name()
            try checkInside()
            guard end - offset == 20 else { throw bad("\(end - offset) bytes of counters, 20 expected") }
            return .soa(DNSSOA(primary: primary, responsible: responsible, serial: try u32(), refresh: try u32(),
                               retry: try u32(), expire: try u32(), minimum: try u32()))
        case .txt:
            var strings: [[UInt8]] = []
            while offset < end {
                let count = Int(try u8())
                guard offset + count <= end else { throw bad("string of \(count) bytes runs past the record") }
                strings.append(try take(count))
            }
            return .txt(strings)
        case .caa:
            guard length >= 2 else { throw bad("\(length) bytes, too short for CAA") }
            let flags = try u8()
            let tagLength = Int(try u8())
            guard tagLength >= 1, offset + tagLength <= end else { throw bad("tag length \(tagLength) does not fit") }
            let tag = String(decoding: try take(tagLength), as: UTF8.self)
            return .caa(flags: flags, tag: tag, value: try take(end - offset))
        default:
            return .unknown(try take(length))
        }
    }
}

// MARK: - Encoding

extension DNSMessage {
    /// The message on the wire, with names compressed. Throws when a field does not fit (a TXT
    /// string over 255 bytes, data over 65535, a message over 65535).
    public func encoded() throws(DNSWireError) -> [UInt8] {
        var writer = DNSWireWriter()
        writer.u16(id)
        writer.u16(flags.word)
        writer.u16(UInt16(clamping: questions.count))
        writer.u16(UInt16(clamping: answers.count))
        writer.u16(UInt16(clamping: authorities.count))
        writer.u16(UInt16(clamping: additionals.count + (edns == nil ? 0 : 1)))
        for question in questions {
            writer.name(question.name)
            writer.u16(question.type.rawValue)
            writer.u16(question.questionClass)
        }
        for record in answers + authorities + additionals { try writer.record(record) }
        if let edns {
            writer.bytes.append(0)
            writer.u16(DNSRecordType.opt.rawValue)
            writer.u16(edns.udpPayloadSize)
            writer.u32(UInt32(edns.extendedRcode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            var data: [UInt8] = []
            for option in edns.options {
                data += [UInt8(option.code >> 8), UInt8(option.code & 0xff),
                         UInt8((option.data.count >> 8) & 0xff), UInt8(option.data.count & 0xff)] + option.data
            }
            guard data.count <= 65535 else { throw .valueTooLong("EDNS0 options of \(data.count) bytes") }
            writer.u16(UInt16(data.count))
            writer.bytes += data
        }
        guard writer.bytes.count <= 65535 else { throw .valueTooLong("message of \(writer.bytes.count) bytes is over 65535") }
        return writer.bytes
    }
}

/// Builds a message, remembering where each name suffix was written so later names can point
/// at it (RFC 1035 §4.1.4; only offsets below 0x4000 can be pointed at).
struct DNSWireWriter {
    var bytes: [UInt8] = []
    private var suffixes: [DNSName: Int] = [:]

    init() {
        bytes.reserveCapacity(512)
    }

    mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xff))
    }

    mutating func u32(_ value: UInt32) {
        u16(UInt16(value >> 16))
        u16(UInt16(value & 0xffff))
    }

    mutating func name(_ name: DNSName, compress: Bool = true) {
        let wire = name.wire
        var i = 0
        while wire[i] != 0 {
            let suffix = DNSName(trustedWire: Array(wire[i...]))
            if compress, let target = suffixes[suffix] {
                u16(0xc000 | UInt16(target))
                return
            }
            if compress, bytes.count < 0x4000 { suffixes[suffix] = bytes.count }
            let length = Int(wire[i])
            bytes.append(contentsOf: wire[i...(i + length)])
            i += 1 + length
        }
        bytes.append(0)
    }

    mutating func record(_ record: DNSRecord) throws(DNSWireError) {
        name(record.name)
        u16(record.type.rawValue)
        u16(record.recordClass)
        u32(record.ttl)
        let lengthAt = bytes.count
        u16(0)
        switch record.data {
        case .a(let address), .aaaa(let address):
            bytes += address.bytes
        case .ns(let target), .cname(let target):
            name(target)
        case let .mx(preference, exchange):
            u16(preference)
            name(exchange)
        case .soa(let soa):
            name(soa.primary)
            name(soa.responsible)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { u32(value) }
        case .txt(let strings):
            for string in strings {
                guard string.count <= 255 else { throw .valueTooLong("TXT string of \(string.count) bytes is over 255") }
                bytes.append(UInt8(string.count))
                bytes += string
            }
        case let .caa(flags, tag, value):
            let tagBytes = Array(tag.utf8)
            guard (1...255).contains(tagBytes.count) else { throw .valueTooLong("CAA tag of \(tagBytes.count) bytes") }
            bytes.append(flags)
            bytes.append(UInt8(tagBytes.count))
            bytes += tagBytes + value
        case .unknown(let data):
            bytes += data
        }
        let length = bytes.count - lengthAt - 2
        guard length <= 65535 else { throw .valueTooLong("record data of \(length) bytes is over 65535") }
        bytes[lengthAt] = UInt8(length >> 8)
        bytes[lengthAt + 1] = UInt8(length & 0xff)
    }
}
