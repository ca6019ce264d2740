/// An address (and port) a local authoritative DNS server answers on.
public struct NameserverAddress: Sendable, Hashable {
    public var address: String
    public var port: Int
    public init(address: String, port: Int = 53) {
        self.address = address
        self.port = port
    }
}
