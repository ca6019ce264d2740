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
