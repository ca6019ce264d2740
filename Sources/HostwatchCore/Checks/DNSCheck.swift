import FoundationEssentials

/// Checks a domain's authoritative DNS (RFC 1034 §4.3.1 authority, RFC 1035 §4.1 messages,
/// RFC 1996 §2 and RFC 1982 on serials, RFC 2181 §5 on RRsets).
///
/// Each configured nameserver is asked, without recursion, for the domain's SOA and NS and for
/// every record type with an expectation (and A or AAAA when `points_here`), all at once. Judged
/// in order: whether each server answers with authority (a timeout, a refusal, an rcode other
/// than NOERROR or a reply without the AA bit counts as failing); whether the domain's A/AAAA
/// include this server's address; whether the SOA serials agree; whether the NS set matches the
/// configured nameservers; whether the records match the expectations; whether the servers agree
/// with each other. Every nameserver failing is critical; anything else is a warning (DESIGN.md §1).
/// The transcript holds every answer of every server.
public struct DNSCheck: Check {
    /// One authoritative nameserver: an address, optionally with its name (which the NS-set
    /// comparison uses).
    public struct Nameserver: Sendable, Hashable, CustomStringConvertible {
        public var name: DNSName?
        public var server: DNSServer

        public init(name: DNSName? = nil, server: DNSServer) {
            self.name = name
            self.server = server
        }

        /// `ns1.example.net. (203.0.113.53)`, or the bare address; the port only when not 53.
        public var description: String {
            let address = server.port == 53 ? server.address : server.description
            return name.map { "\($0) (\(address))" } ?? address
        }
    }

    /// What one record type must look like.
    public enum Expectation: Sendable, Hashable {
        /// The RRset must be exactly these records (A, AAAA, MX, NS, CNAME, CAA).
        case exactly(Set<DNSRecordData>)
        /// Each text must appear in some record (TXT: `v=spf1` matches an SPF record).
        case contains([String])
    }

    /// One `dns` entry of a domain file.
    public struct Configuration: Sendable, Hashable {
        public var nameservers: [Nameserver]
        public var expect: [DNSRecordType: Expectation]
        /// Whether the domain's A/AAAA must include `server.address`.
        public var pointsHere: Bool
        public var timing: CheckTiming

        public init(nameservers: [Nameserver], expect: [DNSRecordType: Expectation] = [:], pointsHere: Bool = false,
                    timing: CheckTiming = CheckTiming()) {
            self.nameservers = nameservers
            self.expect = expect
            self.pointsHere = pointsHere
            self.timing = timing
        }
    }

    /// Everything one nameserver said, in query order.
    public struct ServerAnswers: Sendable {
        public var nameserver: Nameserver
        public var exchanges: [DNSExchange]
        public init(nameserver: Nameserver, exchanges: [DNSExchange]) {
            self.nameserver = nameserver
            self.exchanges = exchanges
        }
    }

    public let id: CheckID
    public let domain: DNSName
    public let configuration: Configuration
    /// This server's address, for `points_here`.
    public let serverAddress: IPAddress?
    public let transport: any DNSTransport
    /// Whether a passing run keeps its transcript too. The agent only ever shows the transcript
    /// of a failing run, and writing every answer out as text was a third of a passing check's
    /// cost (issue 16); `hostwatch check` shows both.
    public let transcribesPassingRuns: Bool

    public var timing: CheckTiming { configuration.timing }

    public init(id: CheckID, domain: DNSName, configuration: Configuration, serverAddress: IPAddress?,
                transport: any DNSTransport, transcribesPassingRuns: Bool = true) {
        self.id = id
        self.domain = domain
        self.configuration = configuration
        self.serverAddress = serverAddress
        self.transport = transport
        self.transcribesPassingRuns = transcribesPassingRuns
    }

    /// The types asked of every server: SOA and NS always, then the expected types, then the
    /// address family of this server when `points_here`.
    public var queryTypes: [DNSRecordType] {
        var types: [DNSRecordType] = [.soa, .ns]
        for type in configuration.expect.keys.sorted() where !types.contains(type) { types.append(type) }
        if configuration.pointsHere, let serverAddress {
            let type: DNSRecordType = serverAddress.isIPv4 ? .a : .aaaa
            if !types.contains(type) { types.append(type) }
        }
        return types
    }

    public func run(now: Date) async -> Observation {
        let types = queryTypes
        let servers = configuration.nameservers
        let timeout = timing.timeout
        let queries = servers.flatMap { nameserver in
            types.map { DNSQuery(server: nameserver.server, name: domain, type: $0, timeout: timeout) }
        }
        let exchanges = await transport.query(all: queries)
        let results = servers.indices.map { s in Array(exchanges[(s * types.count)..<((s + 1) * types.count)]) }
        let answers = zip(servers, results).map { ServerAnswers(nameserver: $0, exchanges: $1) }
        let observation = Self.judge(answers, check: id, domain: domain, configuration: configuration, serverAddress: serverAddress,
                                     now: now, transcribe: transcribesPassingRuns)
        guard observation.failure != nil, !transcribesPassingRuns else { return observation }
        // Failing: judged again, the same answers, this time written out.
        return Self.judge(answers, check: id, domain: domain, configuration: configuration, serverAddress: serverAddress, now: now)
    }
}

// MARK: - Judging

extension DNSCheck {
    /// Why one server counts as failing.
    struct ServerFailure {
        var nameserver: Nameserver
        var reason: String
        /// The transport's error kind when it never got a reply; nil when it replied wrongly.
        var transportKind: DNSQueryError.Kind?
    }

    /// The verdict on every server's answers: a pure function of what the transport measured.
    /// Without `transcribe` the answers are not written out, and a passing run's transcript is
    /// empty (a failing run's is incomplete: judge it again with `transcribe`).
    public static func judge(_ answers: [ServerAnswers], check: CheckID, domain: DNSName, configuration: Configuration,
                             serverAddress: IPAddress?, now: Date, transcribe: Bool = true) -> Observation {
        var transcript = Transcript()
        var failing: [ServerFailure] = []
        var answered: [ServerAnswers] = []
        for server in answers {
            if transcribe {
                transcript.append(.note, "nameserver \(server.nameserver.name.map { "\($0) " } ?? "")\(server.nameserver.server)")
                for exchange in server.exchanges { record(exchange, in: &transcript) }
            }
            if let failure = failure(of: server, domain: domain) {
                failing.append(failure)
                transcript.append(.note, "\(server.nameserver) fails: \(failure.reason)")
            } else {
                answered.append(server)
            }
        }
        let slowest = answers.flatMap(\.exchanges).map(\.duration).max() ?? .zero
        var timings = answers.map { server in
            (name: server.nameserver.name?.description ?? server.nameserver.server.address,
             milliseconds: (server.exchanges.map(\.duration).max() ?? .zero).timeInterval * 1000)
        }
        timings.append((name: "total", milliseconds: slowest.timeInterval * 1000))
        var observation = Observation(check: check, endpoint: nil, startedAt: now, duration: slowest, outcome: .ok,
                                      summary: "", timings: timings)

        let zone = domain.description
        if answered.isEmpty {
            let kinds = failing.map(\.transportKind)
            let kind: CheckFailure.Kind = kinds.allSatisfy { $0 == .timeout } ? .timeout
                : kinds.allSatisfy({ $0 == .timeout || $0 == .refused || $0 == .unreachable }) ? .unreachable : .protocolViolation
            let which = failing.count == 1 ? "its only nameserver fails" : "every nameserver fails"
            let message = "DNS: \(zone) \(which): " + failing.map { "\($0.nameserver): \($0.reason)" }.joined(separator: "; ")
            if kind != .protocolViolation { observation.endpoint = endpoints(failing) }
            observation.outcome = .failed(CheckFailure(kind: kind, category: .dns, severity: .critical, message: message))
            observation.summary = message
            transcript.append(.note, "problem: \(message)")
            observation.transcript = transcript
            return observation
        }

        var problems: [String] = []
        if !failing.isEmpty {
            problems.append("DNS: \(failing.count) of \(answers.count) nameservers of \(zone) fail: "
                + failing.map { "\($0.nameserver): \($0.reason)" }.joined(separator: "; "))
        }
        if configuration.pointsHere, let serverAddress {
            problems += pointsAway(answered, domain: domain, serverAddress: serverAddress)
        }
        problems += serialProblems(answered, domain: domain)
        problems += nsProblems(answered, domain: domain, configuration: configuration, transcript: &transcript)
        problems += expectationProblems(answered, domain: domain, configuration: configuration)
        problems += disagreements(answered, domain: domain, configuration: configuration)

        guard let first = problems.first else {
            let serials = Set(answered.compactMap { soa(in: $0, domain: domain)?.serial })
            var summary = "\(answered.count) nameserver\(answered.count == 1 ? "" : "s") answer with authority"
            if let serial = serials.first { summary += ", serial \(serial)" }
            summary += ", slowest in \(Observation.formatMilliseconds(slowest.timeInterval * 1000)) ms"
            observation.summary = summary
            observation.transcript = transcript
            return observation
        }
        for problem in problems { transcript.append(.note, "problem: \(problem)") }
        var message = first
        if problems.count > 1 {
            message += " (and \(problems.count - 1) more problem\(problems.count == 2 ? "" : "s"): see the transcript)"
        }
        // Servers that only failed to answer are a connection-level problem of their endpoint (a
        // shared nameserver down is one incident for every domain on it); anything else is the domain's.
        var kind = CheckFailure.Kind.protocolViolation
        if problems.count == 1, !failing.isEmpty,
           failing.allSatisfy({ $0.transportKind == .timeout || $0.transportKind == .refused || $0.transportKind == .unreachable }) {
            kind = failing.allSatisfy { $0.transportKind == .timeout } ? .timeout : .unreachable
            observation.endpoint = endpoints(failing)
        }
        observation.outcome = .failed(CheckFailure(kind: kind, category: .dns, severity: .warning, message: message))
        observation.summary = message
        observation.transcript = transcript
        return observation
    }

    static func endpoints(_ failing: [ServerFailure]) -> String {
        failing.map { "\($0.nameserver.server)/dns" }.joined(separator: " ")
    }

    /// The first thing that makes a server fail: no reply, an rcode other than NOERROR, a reply
    /// without authority, or no SOA for the domain's zone.
    static func failure(of server: ServerAnswers, domain: DNSName) -> ServerFailure? {
        for exchange in server.exchanges {
            var question: String { "\(exchange.query.name) \(exchange.query.type)" }
            if let error = exchange.error {
                return ServerFailure(nameserver: server.nameserver, reason: "\(question): \(error.detail)", transportKind: error.kind)
            }
            guard let reply = exchange.reply else {
                return ServerFailure(nameserver: server.nameserver, reason: "\(question): no reply", transportKind: .other)
            }
            if reply.rcode != .noError {
                var reason = "answered \(reply.rcode) to \(question)"
                if reply.rcode == .refused { reason += " (it does not serve the zone)" }
                if reply.rcode == .nxDomain { reason += " (the domain does not exist there)" }
                return ServerFailure(nameserver: server.nameserver, reason: reason, transportKind: nil)
            }
            // Without AA the answer came from a cache or is a referral: a lame delegation.
            if !reply.flags.authoritative {
                return ServerFailure(nameserver: server.nameserver,
                                     reason: "answered \(question) without authority (AA bit clear): it does not serve the zone",
                                     transportKind: nil)
            }
        }
        if soa(in: server, domain: domain) == nil {
            return ServerFailure(nameserver: server.nameserver, reason: "no SOA record for \(domain) or its zone", transportKind: nil)
        }
        return nil
    }

    /// The zone's SOA as this server gave it: from the answer at the domain, or (for a name
    /// inside a zone) from the authority section of the NODATA reply.
    static func soa(in server: ServerAnswers, domain: DNSName) -> (serial: UInt32, owner: DNSName)? {
        guard let reply = server.exchanges.first(where: { $0.query.type == .soa })?.reply else { return nil }
        for record in reply.answers + reply.authorities {
            if case .soa(let soa) = record.data, domain.isSubdomain(of: record.name) { return (soa.serial, record.name) }
        }
        return nil
    }

    /// The RRset of `type` at the domain in this server's answer.
    static func rrset(_ type: DNSRecordType, in server: ServerAnswers, domain: DNSName) -> Set<DNSRecordData>? {
        guard let reply = server.exchanges.first(where: { $0.query.type == type })?.reply else { return nil }
        return Set(reply.answers.filter { $0.type == type && $0.name == domain }.map(\.data))
    }

    static func text(_ set: Set<DNSRecordData>) -> String {
        set.isEmpty ? "none" : set.map(\.description).sorted().joined(separator: ", ")
    }

    /// Groups servers by a value: "at every nameserver" when all share it, else each by name.
    static func place(_ servers: [Nameserver], of total: Int) -> String {
        servers.count == total && total > 1 ? "at every nameserver"
            : "at " + servers.map(\.description).joined(separator: ", ")
    }

    static func pointsAway(_ answered: [ServerAnswers], domain: DNSName, serverAddress: IPAddress) -> [String] {
        let type: DNSRecordType = serverAddress.isIPv4 ? .a : .aaaa
        var groups: [Set<DNSRecordData>: [Nameserver]] = [:]
        let wanted: DNSRecordData = serverAddress.isIPv4 ? .a(serverAddress) : .aaaa(serverAddress)
        for server in answered {
            let answers = server.exchanges.first(where: { $0.query.type == type })?.reply?.answers ?? []
            if answers.contains(where: { $0.data == wanted && $0.name == domain }) { continue }
            groups[rrset(type, in: server, domain: domain) ?? [], default: []].append(server.nameserver)
        }
        return groups.sorted { text($0.key) < text($1.key) }.map { set, servers in
            "DNS points away from this server: \(domain) \(type) is \(text(set)) \(place(servers, of: answered.count)), "
                + "not \(serverAddress) (server.address)"
        }
    }

    static func serialProblems(_ answered: [ServerAnswers], domain: DNSName) -> [String] {
        let serials = answered.map { (server: $0.nameserver, serial: soa(in: $0, domain: domain)?.serial) }
        guard Set(serials.map(\.serial)).count > 1 else { return [] }
        let zone = answered.first.flatMap { soa(in: $0, domain: domain)?.owner } ?? domain
        return ["DNS: SOA serials of \(zone) differ: "
            + serials.map { "\($0.server) has \($0.serial.map(String.init) ?? "none")" }.joined(separator: ", ")]
    }

    /// The NS set against `expect.NS`, else against the configured nameservers' names: equal
    /// when every nameserver is named, else the named ones must be among them.
    static func nsProblems(_ answered: [ServerAnswers], domain: DNSName, configuration: Configuration,
                           transcript: inout Transcript) -> [String] {
        let named = configuration.nameservers.compactMap(\.name)
        let exact: Set<DNSRecordData>?
        if case .exactly(let set) = configuration.expect[.ns] {
            exact = set
        } else if named.count == configuration.nameservers.count {
            exact = Set(named.map { .ns($0) })
        } else {
            exact = nil
        }
        guard exact != nil || !named.isEmpty else { return [] }
        var wrong: [Set<DNSRecordData>: [Nameserver]] = [:]
        for server in answered {
            if let owner = soa(in: server, domain: domain)?.owner, owner != domain {
                transcript.append(.note, "\(domain) is inside the zone \(owner): its NS set is not checked at \(server.nameserver)")
                continue
            }
            let set = rrset(.ns, in: server, domain: domain) ?? []
            let ok = exact.map { set == $0 } ?? named.allSatisfy { set.contains(.ns($0)) }
            if !ok { wrong[set, default: []].append(server.nameserver) }
        }
        let expected = exact.map { text($0) } ?? "to include " + named.map(\.description).joined(separator: ", ")
        return wrong.sorted { text($0.key) < text($1.key) }.map { set, servers in
            "DNS: NS set of \(domain) is \(text(set)) \(place(servers, of: answered.count)), expected \(expected)"
        }
    }

    static func expectationProblems(_ answered: [ServerAnswers], domain: DNSName, configuration: Configuration) -> [String] {
        var problems: [String] = []
        for (type, expectation) in configuration.expect.sorted(by: { $0.key < $1.key }) where type != .ns {
            var wrong: [Set<DNSRecordData>: [Nameserver]] = [:]
            var missing: [String: [Nameserver]] = [:]
            for server in answered {
                let set = rrset(type, in: server, domain: domain) ?? []
                switch expectation {
                case .exactly(let wanted):
                    if set != wanted { wrong[set, default: []].append(server.nameserver) }
                case .contains(let texts):
                    let records = set.map { data -> String in
                        if case .txt(let strings) = data { return String(decoding: strings.joined(), as: UTF8.self) }
                        return data.description
                    }
                    for wanted in texts where !records.contains(where: { $0.contains(wanted) }) {
                        missing[wanted, default: []].append(server.nameserver)
                    }
                }
            }
            if case .exactly(let wanted) = expectation {
                problems += wrong.sorted { text($0.key) < text($1.key) }.map { set, servers in
                    "DNS: \(domain) \(type) is \(text(set)) \(place(servers, of: answered.count)), expected \(text(wanted))"
                }
            }
            problems += missing.sorted { $0.key < $1.key }.map { wanted, servers in
                "DNS: no \(domain) \(type) record contains \"\(wanted)\" \(place(servers, of: answered.count))"
            }
        }
        return problems
    }

    /// Servers that disagree on a type nothing else pins down (A when only `points_here` asks for it).
    static func disagreements(_ answered: [ServerAnswers], domain: DNSName, configuration: Configuration) -> [String] {
        guard answered.count > 1 else { return [] }
        var types = Set(answered.flatMap { $0.exchanges.map(\.query.type) })
        types.remove(.soa)
        var problems: [String] = []
        for type in types.sorted() {
            if case .exactly = configuration.expect[type] { continue }
            if type == .ns, configuration.nameservers.allSatisfy({ $0.name != nil }) { continue }
            let sets = answered.map { (server: $0.nameserver, set: rrset(type, in: $0, domain: domain) ?? []) }
            guard Set(sets.map(\.set)).count > 1 else { continue }
            problems.append("DNS: nameservers disagree on \(domain) \(type): "
                + sets.map { "\($0.server) has \(text($0.set))" }.joined(separator: "; "))
        }
        return problems
    }

    /// One exchange in dig's spirit: the question, then the header and every record received.
    static func record(_ exchange: DNSExchange, in transcript: inout Transcript) {
        let query = exchange.query
        var sent = "\(query.name) \(query.type) (id \(exchange.id)"
        sent += query.recursionDesired ? ", recursion desired" : ", no recursion"
        if let size = query.udpPayloadSize { sent += ", EDNS0 \(size)" }
        transcript.append(.sent, sent + ")")
        for note in exchange.notes { transcript.append(.note, note) }
        let ms = Observation.formatMilliseconds(exchange.duration.timeInterval * 1000)
        if let error = exchange.error {
            transcript.append(.note, "error after \(ms) ms: \(error.detail)")
            return
        }
        guard let reply = exchange.reply else { return }
        let via = exchange.usedTCP ? "tcp" : "udp"
        transcript.append(.received, "\(reply.rcode) [\(reply.flags.text)] \(reply.answers.count) answer\(reply.answers.count == 1 ? "" : "s"), "
            + "\(reply.authorities.count) authority, \(exchange.replyBytes) bytes over \(via) in \(ms) ms")
        for record in reply.answers { transcript.append(.received, record.description) }
        // The authority section explains an empty answer (the zone's SOA on NODATA, a referral's
        // NS); next to an answer it only repeats the NS set.
        if reply.answers.isEmpty {
            for record in reply.authorities { transcript.append(.received, "authority: \(record)") }
        }
    }
}
