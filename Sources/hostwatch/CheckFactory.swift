import HostwatchCore
import HostwatchIO

/// Builds runnable checks from config: the one place that switches over check kinds.
struct CheckFactory {
    let agent: AgentConfig
    let http: any HTTPTransport

    /// A check with who it is about.
    struct Built {
        var check: any Check
        var subject: IncidentTracker.Subject
    }

    /// True when an endpoint (`ADDRESS:PORT/PROTOCOL`) is on this server's address.
    func isLocal(_ endpoint: String?) -> Bool {
        let address = agent.server.address
        let host = address.contains(":") ? "[\(address)]" : address
        return endpoint?.hasPrefix(host + ":") ?? false
    }

    func build(_ domains: [DomainConfig]) -> [Built] {
        domains.flatMap { domain in
            domain.checks.map { spec in
                let id = CheckID(target: domain.domain, kind: spec.kind, index: spec.index)
                let check: any Check
                switch spec {
                case .web(let configuration, _):
                    check = HTTPCheck(id: id, configuration: configuration, serverAddress: agent.server.address,
                                      transport: http, caFile: agent.caFile, keepBodyBytes: agent.limits.bodyBytes)
                }
                let subject = IncidentTracker.Subject(domain: domain.domain,
                                                      account: Ticket.Account(name: domain.account, plan: domain.plan),
                                                      timing: spec.timing, endpoint: check.endpoint,
                                                      isLocal: isLocal(check.endpoint))
                return Built(check: check, subject: subject)
            }
        }
    }
}
