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
        guard compress else {
            bytes += wire
            return
        }
        var i = 0
        while wire[i] != 0 {
            let suffix = DNSName(trustedWire: Array(wire[i...]))
            if let target = suffixes[suffix] {
                u16(0xc000 | UInt16(target))
                return
            }
            if bytes.count < 0x4000 { suffixes[suffix] = bytes.count }
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
