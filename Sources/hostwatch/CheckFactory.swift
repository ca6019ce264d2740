import HostwatchCore
import HostwatchIO

/// Builds runnable checks from config: the one place that switches over check kinds.
struct CheckFactory {
    let agent: AgentConfig
    let http: any HTTPTransport
    let dns: any DNSTransport
    let disk: any DiskTransport

    /// A check with who it is about.
    struct Built {
        var check: any Check
        var subject: IncidentTracker.Subject
    }

    /// The domains' checks, then, with `disks`, the server's own disk checks.
    func build(_ domains: [DomainConfig], disks: Bool = false) -> [Built] {
        domains.flatMap { domain in
            domain.checks.map { spec in
                let id = CheckID(target: domain.domain, kind: spec.kind, index: spec.index)
                let check: any Check
                switch spec {
                case .web(let configuration, _):
                    check = HTTPCheck(id: id, configuration: configuration, serverAddress: agent.server.address,
                                      transport: http, caFile: agent.caFile, keepBodyBytes: agent.limits.bodyBytes)
                case .dns(let configuration):
                    // The domain name was validated when the file was read.
                    let name = (try? DNSName(domain.domain)) ?? .root
                    check = DNSCheck(id: id, domain: name, configuration: configuration,
                                     serverAddress: IPAddress(agent.server.address), transport: dns)
                }
                let subject = IncidentTracker.Subject(domain: domain.domain,
                                                      account: Ticket.Account(name: domain.account, plan: domain.plan),
                                                      timing: spec.timing)
                return Built(check: check, subject: subject)
            }
        } + (disks ? buildDisks() : [])
    }

    /// One check per `disks` entry: server-wide, so the target is the server's name and the
    /// account a placeholder until incidents know about server-wide subjects.
    func buildDisks() -> [Built] {
        agent.disks.enumerated().map { i, configuration in
            let id = CheckID(target: agent.server.name, kind: "disk", index: i)
            let subject = IncidentTracker.Subject(domain: agent.server.name, account: Ticket.Account(name: "(server)", plan: .free),
                                                  timing: configuration.timing)
            return Built(check: DiskCheck(id: id, configuration: configuration, transport: disk), subject: subject)
        }
    }
}
