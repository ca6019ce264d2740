/// A response code (RFC 1035 §4.1.1, extended to 12 bits by EDNS0, RFC 6891 §6.1.3).
public struct DNSRcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSRcode(rawValue: 0)
    public static let formErr = DNSRcode(rawValue: 1)
    public static let servFail = DNSRcode(rawValue: 2)
    public static let nxDomain = DNSRcode(rawValue: 3)
    public static let notImp = DNSRcode(rawValue: 4)
    public static let refused = DNSRcode(rawValue: 5)
    public static let badVers = DNSRcode(rawValue: 16)

    static let names: [UInt16: String] = [0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
                                          5: "REFUSED", 6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH",
                                          10: "NOTZONE", 16: "BADVERS"]

    public var description: String { Self.names[rawValue] ?? "RCODE\(rawValue)" }
}
