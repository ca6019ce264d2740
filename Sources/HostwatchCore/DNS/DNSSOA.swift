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
