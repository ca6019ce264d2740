import HostwatchCore

/// DNS over UDP with TCP fallback (RFC 1035 §4.2, RFC 7766), through the shared `DNSSocketLoop`.
/// Servers are IP literals (IPv4 or IPv6); no name is ever resolved.
public struct SocketDNSTransport: DNSTransport {
    public let loop: DNSSocketLoop

    public init(loop: DNSSocketLoop) {
        self.loop = loop
    }

    public func query(_ query: DNSQuery) async -> DNSExchange {
        await loop.exchange(query)
    }

    public func query(all queries: [DNSQuery]) async -> [DNSExchange] {
        await loop.exchange(all: queries)
    }
}
