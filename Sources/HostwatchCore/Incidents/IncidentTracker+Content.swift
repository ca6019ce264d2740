import FoundationEssentials

/// What a ticket says about its incident: subject, severity, whom it hits, and which server.
extension IncidentTracker {
    // MARK: Ticket content

    func allChecks(of incident: Incident) -> Set<CheckID> {
        var checks = incident.affected
        for child in incident.children {
            if let c = state.incidents[child] { checks.formUnion(allChecks(of: c)) }
        }
        return checks
    }

    func downChecks(of incident: Incident) -> Set<CheckID> {
        var checks = incident.members
        for child in incident.children {
            if let c = state.incidents[child] { checks.formUnion(downChecks(of: c)) }
        }
        return checks
    }

    func severity(of incident: Incident) -> Severity {
        switch incident.scope {
        case .server, .mass:
            return .critical
        case .check, .endpoint, .upstream, .certificates:
            guard var failure = incident.lastFailure else { return .critical }
            // A whole endpoint or upstream failing is the hosting's fault, whatever one site said.
            if case .check = incident.scope {} else if case .certificates = incident.scope {} else { failure.cause = .infrastructure }
            let plans = allChecks(of: incident).compactMap { subjects[$0]?.account.plan }
            return settings.policy.severity(of: failure, plan: plans.contains(.plus) ? .plus : .free)
        }
    }

    func title(_ incident: Incident) -> String {
        let message = incident.lastFailure?.message ?? ""
        switch incident.scope {
        case .check(let check):
            let domain = subjects[check]?.domain ?? check.target
            return "\(domain): \(Self.describe(incident.lastFailure?.category ?? .siteOffline)) — \(message)"
        case .endpoint(let endpoint):
            let down = downChecks(of: incident).count
            let total = endpointSizes[endpoint] ?? down
            let what = Self.describe(incident.lastFailure?.category ?? .siteOffline)
            // Name the domains (the first few) so a subject line alone says whom it hits.
            var domains: [String] = []
            for check in allChecks(of: incident).sorted() {
                if let d = subjects[check]?.domain, !domains.contains(d) { domains.append(d) }
            }
            let named = domains.count <= 3 ? domains.joined(separator: ", ")
                : domains.prefix(2).joined(separator: ", ") + " and \(domains.count - 2) more"
            return "\(what) on \(endpoint) (\(named)): \(down) of \(total) checks down — \(message)"
        case .server(let host):
            let count = endpoints(of: host).count
            let domains = Set(allChecks(of: incident).compactMap { subjects[$0]?.domain }).count
            let who = host == localHost ? server.name : "peer \(serverName(host)) (\(host))"
            return "\(who): server down — every endpoint failing (\(count) endpoints, \(domains) domains)"
        case .mass:
            return "\(server.name): mass outage — \(incident.children.count) incidents within \(DurationText.format(settings.stormWithin))"
        case .upstream(let upstream):
            let down = downChecks(of: incident)
            let sites = Set(down.compactMap { subjects[$0]?.domain }).count
            let total = Set((correlation.groups["upstream:\(upstream)"] ?? []).compactMap { subjects[$0]?.domain }).count
            let of = total > sites ? " of \(total)" : ""
            return "\(GatewayCorrelation.upstreamName(upstream)): \(sites)\(of) site\(sites == 1 && of.isEmpty ? "" : "s") \(gatewaySymptom(of: down))"
        case .certificates:
            let down = downChecks(of: incident).sorted()
            var domains: [String] = []
            var days = 0
            for check in down {
                if let d = subjects[check]?.domain, !domains.contains(d) { domains.append(d) }
                days = max(days, state.checks[check].lastFailure?.daysLeft ?? 0)
            }
            let named = domains.count <= 3 ? domains.joined(separator: ", ")
                : domains.prefix(3).joined(separator: ", ") + " and \(domains.count - 3) more"
            let count = domains.count == 1 ? "1 certificate expires" : "\(domains.count) certificates expire"
            return "\(server.name): \(count) within \(days) day\(days == 1 ? "" : "s") (\(named))"
        }
    }

    /// The category and cause the ticket of an incident carries.
    func classification(of incident: Incident) -> (category: Category, cause: Cause) {
        switch incident.scope {
        case .server: (.serverDown, .infrastructure)
        case .mass: (incident.lastFailure?.category ?? .serverDown, .infrastructure)
        case .upstream: (.siteOffline, .infrastructure)
        case .certificates: (.certificate, .infrastructure)
        case .check, .endpoint: (incident.lastFailure?.category ?? .siteOffline, incident.lastFailure?.cause ?? .infrastructure)
        }
    }

    func content(of incident: Incident) -> TicketContent {
        let checks = allChecks(of: incident).sorted()
        var domains: [String] = []
        var accounts: [Ticket.Account] = []
        var seenDomains: Set<String> = []
        var seenAccounts: Set<Ticket.Account> = []
        for check in checks {
            guard let s = subjects[check] else { continue }
            if seenDomains.insert(s.domain).inserted { domains.append(s.domain) }
            if seenAccounts.insert(s.account).inserted { accounts.append(s.account) }
        }
        let (category, cause) = classification(of: incident)
        return TicketContent(key: incident.key, subject: title(incident), severity: incident.severity ?? severity(of: incident),
                             category: category, cause: cause, domains: domains, accounts: accounts,
                             checks: checks.map(\.description))
    }

    func draft(for incident: Incident, at now: Date) -> TicketDraft {
        let c = content(of: incident)
        let isGroup: Bool
        switch incident.scope {
        case .mass, .server: isGroup = true
        case .check, .endpoint, .upstream, .certificates: isGroup = false
        }
        let name = isGroup ? "transcript-first-failure.txt"
            : "transcript-\(incident.members.sorted().first.map { "\($0.target)-\($0.kind)\($0.index.map { "-\($0)" } ?? "")" } ?? "check").txt"
        return TicketDraft(key: c.key, severity: c.severity, category: c.category, cause: c.cause, subject: c.subject,
                           server: ticketServer(of: incident), accounts: c.accounts, domains: c.domains, checks: c.checks,
                           since: incident.since, openedAt: now, steps: incident.attempts,
                           attachments: incident.transcript.isEmpty ? [] : [Ticket.Attachment(name: name, content: incident.transcript)])
    }

    // MARK: Servers and peers

    /// This server's address as it appears in endpoints (`[v6]` in brackets).
    var localHost: String { server.address.contains(":") ? "[\(server.address)]" : server.address }

    /// The host part of `ADDRESS:PORT/PROTOCOL`.
    static func host(of endpoint: String) -> String {
        let target = endpoint.split(separator: "/").first.map(String.init) ?? endpoint
        guard let colon = target.lastIndex(of: ":") else { return target }
        return String(target[..<colon])
    }

    /// Every endpoint checked on one host.
    func endpoints(of host: String) -> [String] {
        Set(subjects.values.compactMap(\.endpoint).filter { Self.host(of: $0) == host }).sorted()
    }

    /// This server's name, a peer's configured name, or the peer's address.
    func serverName(_ host: String) -> String {
        host == localHost ? server.name : (settings.peers[host] ?? host)
    }

    /// The server a ticket is about: this one, or the peer its checks reach.
    func ticketServer(of incident: Incident) -> Ticket.Server {
        let host: String?
        switch incident.scope {
        case .server(let h): host = h
        case .endpoint(let e): host = Self.host(of: e)
        case .check(let c): host = subjects[c]?.endpoint.map(Self.host(of:))
        case .mass, .upstream, .certificates: host = nil
        }
        guard let host, host != localHost else { return server }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return Ticket.Server(name: serverName(host), address: bare)
    }

    static func describe(_ category: Category) -> String {
        switch category {
        case .siteOffline: "site offline"
        case .security: "security problem"
        case .certificate: "certificate expiring"
        case .emailDown: "email down"
        case .serverDown: "server down"
        case .dns: "DNS problem"
        case .disk: "disk problem"
        case .delivery: "ticket delivery failing"
        }
    }
}
