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
