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
