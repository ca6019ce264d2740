import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// Builds runnable checks from config: the one place that switches over check kinds.
struct CheckFactory {
    /// The agent file, with `server.mail_host` filled in from postfix when discovery may.
    private(set) var agent: AgentConfig
    let http: any HTTPTransport
    /// Mail for SMTP, IMAP and POP3 checks: one session answers every equal request made within
    /// a few seconds (`SharedMailTransport`: on shared hosting every domain's check is the same).
    let mail: any MailTransport
    /// Mail for the round trip, whose every session must be its own (it polls for its message).
    let ownMail: any MailTransport
    let dns: any DNSTransport
    let disk: any DiskTransport
    /// The agent file's folder: relative `*_file` values resolve against it.
    let configFolder: String
    var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Where disk checks keep their growth samples across reloads and restarts (the agent's);
    /// nil: a fresh history per check (`hostwatch check`).
    var diskHistories: HistoryStore?
    /// Whether DNS and web checks write out the transcript of a passing run: `hostwatch check`
    /// shows it; the agent keeps only a failing run's. (A web check's transfer is recorded
    /// either way; only writing the record out as a transcript is left to when it is read. Mail
    /// transcripts are written out either way.)
    var transcribesPassingRuns = true

    /// The sites' certificate examinations and TLS sessions, which the web and mail checks share.
    let certificates: CertificateMemory

    /// The factory for a loaded config, with the libcurl transports on `loop` and DNS on `dnsLoop`.
    /// `keeping`: the certificate memory of the checks this config replaces (a reload), kept
    /// when `cert_check_every` and the CA file (`tls.ca_file`, path and content) are unchanged,
    /// so the sites' examinations and sessions carry over.
    init(config: LoadedConfig, loop: CurlMultiLoop, dnsLoop: DNSSocketLoop, keeping earlier: CertificateMemory? = nil) {
        agent = config.agent
        let every = config.agent.defaults.certCheckEvery
        let compact = Self.keepsCompactSessions(config)
        let trust = TrustedCAFile(config.agent.caFile)
        let certificates = earlier.flatMap { $0.every == every && $0.compactSessions == compact && $0.trust == trust ? $0 : nil }
            ?? CertificateMemory(every: every, compactSessions: compact, trust: trust)
        certificates.sweep()
        self.certificates = certificates
        // A loop sized by `keptConnections` holds a connection for every HTTPS site.
        http = CurlHTTPTransport(loop: loop, certificates: certificates, keepsConnections: loop.keptConnections > 0)
        ownMail = CurlMailTransport(loop: loop, certificates: certificates)
        let gaps = config.domains.flatMap(\.checks).compactMap(Self.mailTiming).map { min($0.interval, $0.retryInterval) }
        mail = SharedMailTransport(ownMail, within: config.agent.limits.shareMailSessions ? SharedMailTransport.window(forRunsEvery: gaps) : .zero)
        dns = SocketDNSTransport(loop: dnsLoop)
        disk = LocalDiskTransport()
        configFolder = PathText.parent(of: config.path)
        // server.mail_host unset in a config with a `discovery` section: the name postfix gives
        // itself (DESIGN.md §9), asked only when a mail check does not name its own `host`.
        if agent.server.mailHost == nil, agent.discoveryConfigured, config.domains.contains(where: { $0.checks.contains(where: Self.needsMailHost) }) {
            agent.server.mailHost = DiscoverySources(settings: agent.discovery).mailHost()
        }
    }

    /// The HTTPS web checks of a config: each keeps its site's connection open between checks
    /// when the libcurl loop's connection cache can hold them all (`limits.keep_connections`). A
    /// cache smaller than the sites it serves would only close one idle connection per check.
    static func httpsCheckCount(_ config: LoadedConfig) -> Int {
        config.domains.reduce(0) { count, domain in
            count + domain.checks.count { if case .web(let web, _) = $0 { URLParts(web.url).scheme == "https" } else { false } }
        }
    }

    /// Whether the sites' TLS sessions are kept compact (as bytes, parsed again at each
    /// resumption): past `limits.keep_connections` HTTPS checks, where connections are no longer
    /// kept either. At 10,000 sites the parsed sessions were 40 MB of the agent's memory.
    static func keepsCompactSessions(_ config: LoadedConfig) -> Bool {
        httpsCheckCount(config) > config.agent.limits.keepConnections
    }

    /// Idle connections the checks' libcurl loop keeps: one per HTTPS check when they all fit
    /// under `limits.keep_connections` and beside the transfers and DNS queries in flight within
    /// `openFiles` (the process's limit of open files), else none.
    static func keptConnections(_ config: LoadedConfig, openFiles: Int) -> Int {
        let https = httpsCheckCount(config)
        let room = openFiles - 2 * config.agent.limits.inFlight - 128
        return https <= min(config.agent.limits.keepConnections, room) ? https : 0
    }

    /// The timing of a check that may share its sessions (SMTP, IMAP, POP3).
    static func mailTiming(_ spec: CheckSpec) -> CheckTiming? {
        switch spec {
        case .smtp(let c, _): c.timing
        case .imap(let c, _), .pop3(let c, _): c.timing
        case .mailRoundTrip, .web, .dns: nil
        }
    }

    /// A mail check that verifies the default name (no `host` of its own).
    static func needsMailHost(_ spec: CheckSpec) -> Bool {
        switch spec {
        case .smtp(let c, _): c.host == nil
        case .imap(let c, _), .pop3(let c, _): c.host == nil
        case .mailRoundTrip(let c): c.host == nil
        case .web, .dns: false
        }
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

    /// The domains' checks, then, with `disks`, the server's own disk checks.
    func build(_ domains: [DomainConfig], disks: Bool = false) -> [Built] {
        let hosted = Set(domains.map { $0.domain.lowercased() })
        return domains.flatMap { domain in
            domain.checks.map { spec in
                let id = CheckID(target: domain.domain, kind: spec.kind, index: spec.index)
                let check: any Check
                switch spec {
                case .web(let configuration, _):
                    check = HTTPCheck(id: id, configuration: configuration, serverAddress: agent.server.address,
                                      transport: http, caFile: agent.caFile, keepBodyBytes: agent.limits.bodyBytes,
                                      transcribesPassingRuns: transcribesPassingRuns)
                case .smtp(var configuration, _):
                    configuration.host = configuration.host ?? agent.server.mailHost
                    check = SMTPCheck(id: id, configuration: configuration, domain: domain.domain, serverAddress: agent.server.address,
                                      serverName: agent.server.name, transport: mail, passwordFile: credential(configuration.passwordFile),
                                      hosted: hosted, caFile: agent.caFile)
                case .imap(var configuration, _):
                    configuration.host = configuration.host ?? agent.server.mailHost
                    check = IMAPCheck(id: id, configuration: configuration, domain: domain.domain, serverAddress: agent.server.address,
                                      transport: mail, passwordFile: credential(configuration.passwordFile), caFile: agent.caFile)
                case .pop3(var configuration, _):
                    configuration.host = configuration.host ?? agent.server.mailHost
                    check = POP3Check(id: id, configuration: configuration, domain: domain.domain, serverAddress: agent.server.address,
                                      transport: mail, passwordFile: credential(configuration.passwordFile), caFile: agent.caFile)
                case .mailRoundTrip(var configuration):
                    // server.mail_host (DESIGN.md §9): the shared mail server's own name, unless the file sets `host`.
                    configuration.host = configuration.host ?? agent.server.mailHost
                    check = MailRoundTripCheck(id: id, configuration: configuration, domain: domain.domain,
                                               serverAddress: agent.server.address, serverName: agent.server.name, transport: ownMail,
                                               passwordFile: credential(configuration.passwordFile), caFile: agent.caFile,
                                               makeToken: { "hostwatch-\(UInt64.random(in: 0...UInt64.max))" })
                case .dns(let configuration):
                    // The domain name was validated when the file was read.
                    let name = (try? DNSName(domain.domain)) ?? .root
                    check = DNSCheck(id: id, domain: name, configuration: configuration,
                                     serverAddress: IPAddress(agent.server.address), transport: dns,
                                     transcribesPassingRuns: transcribesPassingRuns)
                }
                var subject = IncidentTracker.Subject(domain: domain.domain,
                                                      account: Ticket.Account(name: domain.account, plan: domain.plan),
                                                      timing: spec.timing, endpoint: check.endpoint,
                                                      isLocal: isLocal(check.endpoint))
                if case .web(let configuration, _) = spec { subject.upstream = configuration.upstream }
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
            let history = diskHistories?.diskHistory(for: DiskCheck.normalized(configuration.mount)) ?? DiskCheck.History()
            return Built(check: DiskCheck(id: id, configuration: configuration, transport: disk, history: history), subject: subject)
        }
    }

    /// A configured `*_file` value as a path (`$CREDENTIALS_DIRECTORY` first for a bare name).
    private func credential(_ value: String?) -> String? {
        value.map { SecretFile.resolve($0, configFolder: configFolder, environment: environment) }
    }
}
