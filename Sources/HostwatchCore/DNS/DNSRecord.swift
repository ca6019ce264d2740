/// One resource record (RFC 1035 §3.2.1) of class IN.
public struct DNSRecord: Sendable, Hashable, CustomStringConvertible {
    public var name: DNSName
    public var type: DNSRecordType
    /// The class; 1 (IN) for everything hostwatch asks.
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, type: DNSRecordType? = nil, recordClass: UInt16 = 1, ttl: UInt32 = 300, data: DNSRecordData) {
        self.name = name
        self.type = type ?? data.impliedType ?? DNSRecordType(rawValue: 0)
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// Zone-file form: `example.org. 300 IN MX 10 mail.example.org.`
    public var description: String {
        "\(name) \(ttl) \(recordClass == 1 ? "IN" : "CLASS\(recordClass)") \(type) \(data)"
    }
}

/// The data of a record, decoded for the types hostwatch judges (RFC 1035 §3.3, RFC 3596 for
/// AAAA, RFC 8659 for CAA) and kept as bytes for the rest (RFC 3597).
public enum DNSRecordData: Sendable, Hashable, CustomStringConvertible {
    case a(IPAddress)
    case aaaa(IPAddress)
    case ns(DNSName)
    case cname(DNSName)
    case soa(DNSSOA)
    case mx(preference: UInt16, exchange: DNSName)
    /// The character-strings of one TXT record, each up to 255 bytes.
    case txt([[UInt8]])
    case caa(flags: UInt8, tag: String, value: [UInt8])
    case unknown([UInt8])

    /// The type this data belongs to, when it says.
    public var impliedType: DNSRecordType? {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .ns: .ns
        case .cname: .cname
        case .soa: .soa
        case .mx: .mx
        case .txt: .txt
        case .caa: .caa
        case .unknown: nil
        }
    }

    /// The data in zone-file form: `10 mail.example.org.`, `"v=spf1 -all"`, `0 issue "ca.test"`;
    /// unknown data as `\# LENGTH HEX` (RFC 3597 §5).
    public var description: String {
        switch self {
        case .a(let address), .aaaa(let address): return address.description
        case .ns(let name), .cname(let name): return name.description
        case .soa(let soa): return soa.description
        case let .mx(preference, exchange): return "\(preference) \(exchange)"
        case .txt(let strings): return strings.map(Self.quoted).joined(separator: " ")
        case let .caa(flags, tag, value): return "\(flags) \(tag) \(Self.quoted(value))"
        case .unknown(let bytes):
            let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            return "\\# \(bytes.count)" + (bytes.isEmpty ? "" : " \(hex)")
        }
    }

    /// A character-string in quotes, with `"` and `\` escaped and other non-printables as `\DDD`.
    static func quoted(_ bytes: [UInt8]) -> String {
        var out = "\""
        for byte in bytes {
            switch byte {
            case 34, 92:
                out.append("\\")
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case 32...126:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "\\" + DNSName.threeDigits(byte)
            }
        }
        return out + "\""
    }
}

/// The start of a zone of authority (RFC 1035 §3.3.13).
public struct DNSSOA: Sendable, Hashable, CustomStringConvertible {
    public var primary: DNSName
    public var responsible: DNSName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    public var minimum: UInt32

    public init(primary: DNSName, responsible: DNSName, serial: UInt32, refresh: UInt32 = 3600, retry: UInt32 = 600,
                expire: UInt32 = 86_400, minimum: UInt32 = 300) {
        self.primary = primary
        self.responsible = responsible
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }

    public var description: String {
        "\(primary) \(responsible) \(serial) \(refresh) \(retry) \(expire) \(minimum)"
    }
}
