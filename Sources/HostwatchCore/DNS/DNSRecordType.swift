/// A record type (RFC 1035 §3.2.2 and later registrations). A struct rather than an enum so a
/// reply carrying any type can be decoded and shown.
public struct DNSRecordType: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSRecordType(rawValue: 1)
    public static let ns = DNSRecordType(rawValue: 2)
    public static let cname = DNSRecordType(rawValue: 5)
    public static let soa = DNSRecordType(rawValue: 6)
    public static let mx = DNSRecordType(rawValue: 15)
    public static let txt = DNSRecordType(rawValue: 16)
    public static let aaaa = DNSRecordType(rawValue: 28)
    /// EDNS0 pseudo-record (RFC 6891).
    public static let opt = DNSRecordType(rawValue: 41)
    public static let caa = DNSRecordType(rawValue: 257)

    static let names: [UInt16: String] = [1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 15: "MX", 16: "TXT", 28: "AAAA",
                                          41: "OPT", 257: "CAA"]

    /// From a mnemonic (`MX`, any case) or `TYPE123` (RFC 3597 §5).
    public init?(name: String) {
        let upper = name.uppercased()
        if let match = Self.names.first(where: { $0.value == upper }) {
            rawValue = match.key
        } else if upper.hasPrefix("TYPE"), let value = UInt16(upper.dropFirst(4)) {
            rawValue = value
        } else {
            return nil
        }
    }

    /// `MX`, or `TYPE123` for types without a mnemonic here.
    public var description: String { Self.names[rawValue] ?? "TYPE\(rawValue)" }

    public static func < (lhs: DNSRecordType, rhs: DNSRecordType) -> Bool { lhs.rawValue < rhs.rawValue }
}
