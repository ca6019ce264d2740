/// Asks one nameserver one question and reports what happened. Implemented over UDP with TCP
/// fallback in HostwatchIO (`SocketDNSTransport`); faked by `StubDNSTransport` in the test kit.
/// A transport never throws: every problem is part of the exchange value, so the check can judge it.
public protocol DNSTransport: Sendable {
    func query(_ query: DNSQuery) async -> DNSExchange
    /// Every query at once; the exchanges in the queries' order. A transport that can wait for
    /// all of them with one wake-up does so (a DNS check asks 3 or more questions).
    func query(all queries: [DNSQuery]) async -> [DNSExchange]
}

extension DNSTransport {
    public func query(all queries: [DNSQuery]) async -> [DNSExchange] {
        await withTaskGroup(of: (Int, DNSExchange).self) { group in
            for (index, query) in queries.enumerated() {
                group.addTask { (index, await self.query(query)) }
            }
            var exchanges = [DNSExchange?](repeating: nil, count: queries.count)
            for await (index, exchange) in group { exchanges[index] = exchange }
            return exchanges.map { $0! }
        }
    }
}

/// A nameserver to ask: an IP literal (never a name: hostwatch does not use the system
/// resolver) and a port.
public struct DNSServer: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    public var port: Int

    public init(address: String, port: Int = 53) {
        self.address = address
        self.port = port
    }

    /// `203.0.113.53:53`, `[2001:db8::53]:53`.
    public var description: String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// One question to one server, with everything that bounds it.
public struct DNSQuery: Sendable, Hashable {
    public var server: DNSServer
    public var name: DNSName
    public var type: DNSRecordType
    /// Off for authoritative checks: the server must answer from its own zones.
    public var recursionDesired: Bool
    /// The whole exchange, TCP fallback included, ends by then.
    public var timeout: Duration
    /// The EDNS0 UDP payload size to advertise; nil sends no OPT record.
    public var udpPayloadSize: UInt16?

    public init(server: DNSServer, name: DNSName, type: DNSRecordType, recursionDesired: Bool = false,
                timeout: Duration = .seconds(5), udpPayloadSize: UInt16? = 1232) {
        self.server = server
        self.name = name
        self.type = type
        self.recursionDesired = recursionDesired
        self.timeout = timeout
        self.udpPayloadSize = udpPayloadSize
    }
}

/// Why a query got no usable reply.
public struct DNSQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No matching reply within the timeout.
        case timeout
        /// Nothing listens there (ICMP port unreachable for UDP, RST for TCP).
        case refused
        /// No route, network down, address not available.
        case unreachable
        /// A reply with our ID and question arrived, but it is not valid DNS.
        case malformed
        /// The server address is not an IP literal, or the query cannot be encoded.
        case badQuery
        case other
    }

    public var kind: Kind
    /// What happened, in words fit for a ticket (`no reply within 2s`, `compression pointers loop`).
    public var detail: String

    public init(kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { detail }
}

/// What one query produced: the reply or the error, how it travelled and how long it took.
public struct DNSExchange: Sendable {
    public var query: DNSQuery
    /// The ID the query was sent with.
    public var id: UInt16
    public var reply: DNSMessage?
    public var error: DNSQueryError?
    /// True when the UDP reply came back truncated and the answer was read over TCP.
    public var usedTCP: Bool
    /// Size of the reply that was used.
    public var replyBytes: Int
    /// From the first send to the reply (or the error).
    public var duration: Duration
    /// Things worth knowing that are not the answer: replies ignored because they did not match
    /// the query, a truncated UDP reply.
    public var notes: [String]

    public init(query: DNSQuery, id: UInt16 = 0, reply: DNSMessage? = nil, error: DNSQueryError? = nil, usedTCP: Bool = false,
                replyBytes: Int = 0, duration: Duration = .zero, notes: [String] = []) {
        self.query = query
        self.id = id
        self.reply = reply
        self.error = error
        self.usedTCP = usedTCP
        self.replyBytes = replyBytes
        self.duration = duration
        self.notes = notes
    }
}
