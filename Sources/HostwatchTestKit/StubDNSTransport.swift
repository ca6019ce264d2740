import HostwatchCore
import Synchronization

/// A DNS transport that answers from a closure, recording the queries it was given.
public final class StubDNSTransport: DNSTransport {
    public typealias Responder = @Sendable (DNSQuery) -> DNSExchange

    private let respond: Responder
    private let recorded = Mutex<[DNSQuery]>([])

    public init(_ respond: @escaping Responder) {
        self.respond = respond
    }

    /// Authoritative servers with fixed records: each answers from its own list (AA set,
    /// NOERROR, the zone's SOA in the authority section when nothing matches); a server not in
    /// `servers` is refused, as if nothing listened there.
    public convenience init(servers: [DNSServer: [DNSRecord]]) {
        self.init { query in
            guard let records = servers[query.server] else {
                return DNSExchange(query: query, error: DNSQueryError(kind: .refused, detail: "port unreachable: nothing listens on \(query.server) (UDP)"),
                                   duration: .microseconds(150))
            }
            return StubDNSTransport.answer(query, from: records)
        }
    }

    /// The queries performed so far.
    public var queries: [DNSQuery] { recorded.withLock { $0 } }

    public func query(_ query: DNSQuery) async -> DNSExchange {
        recorded.withLock { $0.append(query) }
        return respond(query)
    }

    /// What an authoritative server holding `records` replies to `query`.
    public static func answer(_ query: DNSQuery, from records: [DNSRecord], id: UInt16 = 4242) -> DNSExchange {
        var reply = DNSMessage(id: id, questions: [.init(name: query.name, type: query.type)])
        reply.flags.isResponse = true
        reply.flags.authoritative = true
        reply.answers = records.filter { $0.name == query.name && $0.type == query.type }
        if reply.answers.isEmpty { reply.authorities = records.filter { $0.type == .soa } }
        return DNSExchange(query: query, id: id, reply: reply, replyBytes: 100, duration: .microseconds(300))
    }
}
