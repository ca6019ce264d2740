import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// Builds runnable checks from config: the one place that switches over check kinds.
struct CheckFactory {
    let agent: AgentConfig
    let http: any HTTPTransport
    let mail: any MailTransport
    /// The agent file's folder: relative `*_file` values resolve against it.
    let configFolder: String
    var environment: [String: String] = ProcessInfo.processInfo.environment

    /// The factory for a loaded config, with the libcurl transports on `loop`.
    init(config: LoadedConfig, loop: CurlMultiLoop) {
        agent = config.agent
        http = CurlHTTPTransport(loop: loop)
        mail = CurlMailTransport(loop: loop)
        configFolder = PathText.parent(of: config.path)
    }

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
        let hosted = Set(domains.map { $0.domain.lowercased() })
        return domains.flatMap { domain in
            domain.checks.map { spec in
                let id = CheckID(target: domain.domain, kind: spec.kind, index: spec.index)
                let check: any Check
                switch spec {
                case .web(let configuration, _):
                    check = HTTPCheck(id: id, configuration: configuration, serverAddress: agent.server.address,
                                      transport: http, caFile: agent.caFile, keepBodyBytes: agent.limits.bodyBytes)
                case .smtp(let configuration, _):
                    check = SMTPCheck(id: id, configuration: configuration, domain: domain.domain, serverAddress: agent.server.address,
                                      serverName: agent.server.name, transport: mail, passwordFile: credential(configuration.passwordFile),
                                      hosted: hosted, caFile: agent.caFile)
                case .imap(let configuration, _):
                    check = IMAPCheck(id: id, configuration: configuration, domain: domain.domain, serverAddress: agent.server.address,
                                      transport: mail, passwordFile: credential(configuration.passwordFile), caFile: agent.caFile)
                case .pop3(let configuration, _):
                    check = POP3Check(id: id, configuration: configuration, domain: domain.domain, serverAddress: agent.server.address,
                                      transport: mail, passwordFile: credential(configuration.passwordFile), caFile: agent.caFile)
                case .mailRoundTrip(let configuration):
                    check = MailRoundTripCheck(id: id, configuration: configuration, domain: domain.domain,
                                               serverAddress: agent.server.address, serverName: agent.server.name, transport: mail,
                                               passwordFile: credential(configuration.passwordFile), caFile: agent.caFile,
                                               makeToken: { "hostwatch-\(UInt64.random(in: 0...UInt64.max))" })
                }
                let subject = IncidentTracker.Subject(domain: domain.domain,
                                                      account: Ticket.Account(name: domain.account, plan: domain.plan),
                                                      timing: spec.timing, endpoint: check.endpoint,
                                                      isLocal: isLocal(check.endpoint))
                return Built(check: check, subject: subject)
            }
        }
    }

    /// A configured `*_file` value as a path (`$CREDENTIALS_DIRECTORY` first for a bare name).
    private func credential(_ value: String?) -> String? {
        value.map { SecretFile.resolve($0, configFolder: configFolder, environment: environment) }
    }
}
