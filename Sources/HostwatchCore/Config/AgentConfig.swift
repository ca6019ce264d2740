import FoundationEssentials

/// The agent file (`/etc/hostwatch/hostwatch.json5`), typed (DESIGN.md §8). Paths are already
/// resolved against the config file's folder.
public struct AgentConfig: Sendable, Hashable {
    /// This server: its name in tickets and the address its sites are reached at.
    public struct Server: Sendable, Hashable {
        public var name: String
        public var address: String
        /// The name the shared mail server's certificate carries (`server.mail_host`, DESIGN.md
        /// §9): what every mail check verifies unless its domain file sets `host`.
        public var mailHost: String?

        public init(name: String, address: String, mailHost: String? = nil) {
            self.name = name
            self.address = address
            self.mailHost = mailHost
        }
    }

    /// Defaults every check inherits unless it overrides them.
    public struct Defaults: Sendable, Hashable {
        public var timing = CheckTiming()
        public var certWarningDays = 14
        /// How long a certificate examined on a full TLS handshake stands: in between, HTTPS
        /// checks resume the TLS session and carry what the examination showed (`0s`: every
        /// check makes a full handshake).
        public var certCheckEvery: Duration = .seconds(3600)
        public init() {}
    }

    /// Bounds on what the agent takes.
    public struct Limits: Sendable, Hashable {
        /// Transfers in flight at once.
        public var inFlight = 256
        /// Body bytes kept per HTTP result.
        public var bodyBytes = 1024
        /// Evidence bytes per ticket.
        public var evidenceBytes = 1 << 20
        /// Equal SMTP/IMAP/POP3 requests made within seconds of each other share one session
        /// (`SharedMailTransport`); false gives every check a session of its own.
        public var shareMailSessions = true
        /// HTTPS checks reuse their site's kept-alive connection when the agent has at most this
        /// many of them (a fresh connection still at least every 5 minutes, after a failure and
        /// for each certificate examination); 0: every check connects anew.
        public var keepConnections = 1000
        public init() {}
    }

    public var server: Server
    public var stateDir: String
    public var checksDir: String
    /// The CA bundle for TLS verification; nil uses libcurl's default.
    public var caFile: String?
    public var defaults = Defaults()
    public var limits = Limits()
    /// The dead man's switch, when configured.
    public var heartbeat: Heartbeat?
    /// The Prometheus textfile, when configured.
    public var metrics: Metrics?
    /// The static status page (`status_page`), when configured.
    public var statusPage: StatusPageSettings?
    public var incidents = IncidentSettings()
    /// Resolved tickets older than this move to the archive (`tickets.archive_after`).
    public var archiveAfter: Duration = .seconds(180 * 86_400)
    /// What to collect when an incident opens, by check kind (`evidence`).
    public var evidence = EvidenceSettings()
    /// Scheduled maintenance windows, as silences with ids `maintenance[N]`.
    public var maintenance: [Silence] = []
    /// Where ticket events go (`tickets`, `oncall`): the outbox's sinks and retry policy.
    public var delivery = DeliverySettings()

    /// Filesystems of this server to check (`disks`).
    public var disks: [DiskCheck.Configuration] = []
    /// The `discovery` section: the sources `hostwatch discover` reads (defaults when absent).
    public var discovery = DiscoverySettings()
    /// True when the agent file has a `discovery` section.
    public var discoveryConfigured = false
    /// Commands tried once for matching incidents (`remediation`); none unless configured.
    public var remediation: [RemediationRule] = []


    /// Reads the agent file's root object. `resolve` turns a configured path into an absolute
    /// one (relative paths resolve against the config file's folder). Nil when there were errors.
    public static func read(_ root: JSON5Node, file: String, problems: ConfigReader.Problems,
                            resolve: (String) -> String) -> AgentConfig? {
        guard var reader = ConfigReader(root, path: "", file: file, problems: problems) else { return nil }
        let before = problems.errors.count
        var server: Server?
        if var s = reader.object("server", required: true) {
            let name = s.string("name", required: true)
            let address = s.string("address", required: true)
            if let address, IPAddress(address) == nil, let node = s.members.first(where: { $0.key == "address" })?.value {
                s.report(node, path: s.path(of: "address"), "\"\(address)\" is not an IP address (hostwatch never resolves names through the system resolver)")
            }
            let mailHost = s.string("mail_host")
            if let mailHost, !DomainName.isValid(mailHost), let node = s.members.first(where: { $0.key == "mail_host" })?.value {
                s.report(node, path: s.path(of: "mail_host"), "\"\(mailHost)\" is not a host name")
            }
            s.finish()
            if let name, let address { server = Server(name: name, address: address, mailHost: mailHost) }
        }
        let stateDir = reader.string("state_dir") ?? "/var/lib/hostwatch"
        let checksDir = reader.string("checks") ?? "checks"
        var caFile: String?
        if var tls = reader.object("tls") {
            caFile = tls.string("ca_file")
            tls.finish()
        }
        var defaults = Defaults()
        if var d = reader.object("defaults") {
            defaults.timing = readTiming(&d, base: defaults.timing)
            defaults.certWarningDays = d.int("cert_warning_days", in: 0...3650) ?? defaults.certWarningDays
            defaults.certCheckEvery = d.duration("cert_check_every", minimum: .zero) ?? defaults.certCheckEvery
            d.finish()
        }
        var limits = Limits()
        if var l = reader.object("limits") {
            limits.inFlight = l.int("in_flight", in: 1...100_000) ?? limits.inFlight
            limits.bodyBytes = l.size("body_bytes") ?? limits.bodyBytes
            limits.evidenceBytes = l.size("evidence_bytes") ?? limits.evidenceBytes
            limits.shareMailSessions = l.bool("share_mail_sessions") ?? limits.shareMailSessions
            limits.keepConnections = l.int("keep_connections", in: 0...100_000) ?? limits.keepConnections
            l.finish()
        }
        var incidents = IncidentSettings()
        if var i = reader.object("incidents") {
            incidents = readIncidents(&i)
            i.finish()
        }
        if let node = reader.take("peers") {
            // Other servers this agent watches from outside (checks with their `address`).
            let peers = reader.list(node, path: "peers") { item, itemPath -> (String, String)? in
                guard var p = ConfigReader(item, path: itemPath, file: file, problems: problems) else { return nil }
                defer { p.finish() }
                let name = p.string("name", required: true)
                let address = p.string("address", required: true)
                if let address, IPAddress(address) == nil, let n = p.members.first(where: { $0.key == "address" })?.value {
                    p.report(n, path: p.path(of: "address"), "\"\(address)\" is not an IP address")
                    return nil
                }
                guard let name, let address else { return nil }
                return (address.contains(":") ? "[\(address)]" : address, name)
            } ?? []
            incidents.peers = Dictionary(peers, uniquingKeysWith: { a, _ in a })
        }
        var maintenance: [Silence] = []
        if let node = reader.take("maintenance") {
            maintenance = reader.list(node, path: "maintenance") { item, itemPath in
                guard var m = ConfigReader(item, path: itemPath, file: file, problems: problems) else { return nil }
                defer { m.finish() }
                return readMaintenance(&m, id: "maintenance\(itemPath.dropFirst("maintenance".count))")
            } ?? []
        }
        var archiveAfter = Duration.seconds(180 * 86_400)
        var delivery = DeliverySettings()
        delivery.oncallEmail = readOncall(&reader)
        if var t = reader.object("tickets") {
            archiveAfter = t.duration("archive_after", minimum: .seconds(3600)) ?? archiveAfter
            delivery = readDelivery(&t, oncall: delivery.oncallEmail, configFolder: resolve("."), caFile: caFile.map(resolve))
            t.finish()
        }
        var evidence = EvidenceSettings()
        if var e = reader.object("evidence") {
            evidence = EvidenceSettings.read(&e, limits: limits)
            e.finish()
        }
        var heartbeat: Heartbeat?
        if var h = reader.object("heartbeat") { heartbeat = readHeartbeat(&h) }
        var metrics: Metrics?
        if var m = reader.object("metrics") { metrics = readMetrics(&m, resolve: resolve) }
        var statusPage: StatusPageSettings?
        if var p = reader.object("status_page") {
            statusPage = readStatusPage(&p, defaultInterval: defaults.timing.interval, resolve: resolve)
        }
        var disks: [DiskCheck.Configuration] = []
        for (d, _) in reader.objects("disks") {
            var d = d
            guard let disk = DiskCheck.Configuration.read(&d, defaults: defaults) else { continue }
            if disks.contains(where: { DiskCheck.normalized($0.mount) == DiskCheck.normalized(disk.mount) }) {
                d.reportHere("\"\(disk.mount)\" is listed twice")
                continue
            }
            disks.append(disk)
        }
        var discovery = DiscoverySettings()
        let discoveryConfigured = reader.has("discovery")
        if var d = reader.object("discovery") { discovery = DiscoverySettings.read(&d, resolve: resolve) }
        let remediation = RemediationRule.readAll(&reader)
        reader.finish()
        guard let server, problems.errors[before...].allSatisfy(\.isNotice) else { return nil }
        var config = AgentConfig(server: server, stateDir: resolve(stateDir), checksDir: resolve(checksDir),
                           caFile: caFile.map(resolve), defaults: defaults, limits: limits,
                           heartbeat: heartbeat, metrics: metrics,
                           incidents: incidents, archiveAfter: archiveAfter, evidence: evidence, maintenance: maintenance, delivery: delivery,
                           disks: disks, discovery: discovery, discoveryConfigured: discoveryConfigured)
        config.remediation = remediation
        config.statusPage = statusPage
        return config
    }

    /// Reads the `incidents` section (DESIGN.md §8), including an optional `policy` table that
    /// overrides rows of the default severity table:
    /// `policy: { "site-offline": { application: { free: "warning", plus: "critical" } } }`.
    static func readIncidents(_ reader: inout ConfigReader) -> IncidentSettings {
        var settings = IncidentSettings()
        if let node = reader.take("k_of_n") {
            let path = reader.path(of: "k_of_n")
            if let pair = reader.list(node, path: path, { reader.intValue($0, path: $1, in: 1...64) }) {
                if pair.count == 2, pair[0] <= pair[1] {
                    settings.kOfN = Debounce.KOfN(k: pair[0], n: pair[1])
                } else {
                    reader.report(node, path: path, "expected [k, n] with k ≤ n, such as [3, 5]")
                }
            }
        }
        settings.flapWindow = reader.duration("flap_window", minimum: .seconds(1)) ?? settings.flapWindow
        settings.flapChanges = reader.int("flap_changes", in: 2...1000) ?? settings.flapChanges
        if var storm = reader.object("storm") {
            settings.stormMaxTickets = storm.int("max_tickets", in: 1...100_000) ?? settings.stormMaxTickets
            settings.stormWithin = storm.duration("within", minimum: .seconds(1)) ?? settings.stormWithin
            storm.finish()
        }
        settings.reopenWithin = reader.duration("reopen_within", minimum: .zero) ?? settings.reopenWithin
        settings.remindEvery = reader.duration("remind_every", minimum: .seconds(60)) ?? settings.remindEvery
        if var policy = reader.object("policy") {
            for member in policy.members {
                let categoryPath = policy.path(of: member.key)
                // `delivery` is hostwatch's own warning about its sinks, not a row of the support policy.
                guard let category = Category(rawValue: member.key), category != .delivery else {
                    _ = policy.take(member.key)
                    policy.report(member.value, path: categoryPath,
                                  "unknown category \"\(member.key)\" (one of: \(Category.allCases.filter { $0 != .delivery }.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                guard let node = policy.take(member.key), var causes = ConfigReader(node, path: categoryPath, file: policy.file, problems: policy.problems) else { continue }
                for cause in [Cause.infrastructure, .application] {
                    guard var row = causes.object(cause.rawValue) else { continue }
                    var value = settings.policy.rows[category]?[cause] ?? IncidentPolicy.Row(free: .critical, plus: .critical)
                    for (planKey, keyPath) in [("free", \IncidentPolicy.Row.free), ("plus", \IncidentPolicy.Row.plus)] {
                        guard let n = row.take(planKey), let text = row.stringValue(n, path: row.path(of: planKey)) else { continue }
                        if let severity = Severity(rawValue: text) { value[keyPath: keyPath] = severity } else {
                            row.report(n, path: row.path(of: planKey), "expected \"warning\" or \"critical\", found \"\(text)\"")
                        }
                    }
                    row.finish()
                    settings.policy.rows[category, default: [:]][cause] = value
                }
                causes.finish()
            }
            policy.finish()
        }
        return settings
    }

    /// Reads one maintenance window: `{ target, start, duration, reason }`.
    static func readMaintenance(_ reader: inout ConfigReader, id: String) -> Silence? {
        var target: Silence.Target?
        if let node = reader.take("target"), let text = reader.stringValue(node, path: reader.path(of: "target")) {
            target = Silence.Target(text)
            if target == nil { reader.report(node, path: reader.path(of: "target"), "expected a domain, endpoint:ADDRESS:PORT, server or all, found \"\(text)\"") }
        } else if !reader.has("target") {
            reader.reportHere("missing required key \"target\"")
        }
        var start: Date?
        if let node = reader.take("start"), let text = reader.stringValue(node, path: reader.path(of: "start")) {
            start = RFC3339.parse(text)
            if start == nil { reader.report(node, path: reader.path(of: "start"), "expected an RFC 3339 time such as \"2026-12-01T02:00:00Z\", found \"\(text)\"") }
        } else if !reader.has("start") {
            reader.reportHere("missing required key \"start\"")
        }
        let duration = reader.duration("duration", minimum: .seconds(1))
        if duration == nil, !reader.has("duration") { reader.reportHere("missing required key \"duration\"") }
        let reason = reader.string("reason") ?? "maintenance"
        guard let target, let start, let duration else { return nil }
        return Silence(id: id, target: target, start: start, end: start.addingTimeInterval(duration.timeInterval), reason: reason, by: "config")
    }

    /// The `checks` folder as written, from a root object that may hold errors elsewhere.
    public static func checksFolder(in root: JSON5Node) -> String? {
        guard case .object(let members) = root.value, let node = members.first(where: { $0.key == "checks" })?.value,
              case .string(let folder) = node.value else { return nil }
        return folder
    }

    /// Reads the timing keys any check object may override (`interval`, `timeout`,
    /// `retry_interval`, `failures`, `recoveries`).
    public static func readTiming(_ reader: inout ConfigReader, base: CheckTiming) -> CheckTiming {
        var timing = base
        timing.interval = reader.duration("interval", minimum: .milliseconds(100)) ?? timing.interval
        timing.timeout = reader.duration("timeout", minimum: .milliseconds(10)) ?? timing.timeout
        timing.retryInterval = reader.duration("retry_interval", minimum: .milliseconds(100)) ?? timing.retryInterval
        timing.failures = reader.int("failures", in: 1...100) ?? timing.failures
        timing.recoveries = reader.int("recoveries", in: 1...100) ?? timing.recoveries
        return timing
    }
}
