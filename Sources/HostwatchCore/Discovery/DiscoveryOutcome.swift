/// One discovery, ready to show or apply (pure): every discovered domain with its generated
/// file and its change against what is watched, the domains gone, and whether applying it is
/// held back (DESIGN.md §9; issue 12, item 7).
public struct DiscoveryOutcome: Sendable {
    /// One domain's line of `hostwatch discover`.
    public struct Entry: Sendable {
        public var domain: DiscoveredDomain
        public var file: DiscoveredDomainFile
        public var change: DiscoveryDiff.Change
        /// A hand-written `checks/DOMAIN.json5` owns this domain: nothing is written for it.
        public var handWritten: Bool
        /// Changed while a source failed: its file stays as it was (the failed source may be
        /// what lost its web or mail checks).
        public var keptForFailedSources = false

        /// True when `--write` (or the agent) writes this entry's file.
        public var writes: Bool { !handWritten && !keptForFailedSources && (change == .new || change == .changed) }
    }

    public var entries: [Entry]
    /// Domains with a generated file that no source names any more.
    public var gone: [String]
    /// Gone or changed domains kept as they are because a source that might name them failed.
    public var keptForFailedSources: [String]
    public var diff: DiscoveryDiff
    /// The mail host the generated files verify against (configured or discovered).
    public var mailHost: String?

    /// - Parameters:
    ///   - existing: the files in `checks/discovered/`, by domain.
    ///   - handWritten: domains configured by a hand-written file.
    ///   - failedSources: sources that failed this run (their domains are not gone).
    public init(readings: [SourceReading], accounts: AccountsFile?, settings: DiscoverySettings, server: AgentConfig.Server,
                existing: [String: String], handWritten: Set<String>, failedSources: [String]) {
        let discoveredHost = readings.first { $0.source == "postfix" }?.mail.hostName
            ?? readings.compactMap(\.mail.hostName).first
        mailHost = server.mailHost ?? discoveredHost
        let ownNames = [server.name, server.mailHost].compactMap { $0?.lowercased() }
        let domains = DiscoveryMerge.merge(readings, accounts: accounts, plans: settings.plans, ownNames: ownNames)
        var mail = MailService()
        for reading in readings {
            for endpoint in reading.mail.endpoints where !mail.endpoints.contains(endpoint) { mail.endpoints.append(endpoint) }
        }
        var nameservers: [NameserverAddress] = []
        for reading in readings { for ns in reading.nameservers where !nameservers.contains(ns) { nameservers.append(ns) } }
        let context = DiscoveredDomainFile.Context(serverAddress: server.address, settings: settings, mail: mail,
                                                   nameservers: nameservers,
                                                   mailHost: server.mailHost == nil ? discoveredHost : nil)
        let files = domains.map { DiscoveredDomainFile($0, context: context) }
        let diff = DiscoveryDiff(discovered: Dictionary(files.map { ($0.domain.domain, $0.text) }, uniquingKeysWith: { a, _ in a }),
                                 existing: existing, handWritten: handWritten)
        entries = files.map { Entry(domain: $0.domain, file: $0, change: diff.changes[$0.domain.domain] ?? .new,
                                    handWritten: handWritten.contains($0.domain.domain)) }
        if failedSources.isEmpty {
            gone = diff.gone
            keptForFailedSources = []
        } else {
            // The last good result stays in force: nothing goes and no file changes until
            // every source reads cleanly again; only new domains are added.
            gone = []
            for i in entries.indices where entries[i].change == .changed { entries[i].keptForFailedSources = true }
            keptForFailedSources = (diff.gone + entries.filter(\.keptForFailedSources).map(\.domain.domain)).sorted()
        }
        self.diff = diff
    }

    /// More than 20 % of the watched domains would stop being watched at once.
    public var holdsBack: Bool { DiscoveryDiff.dropsTooMany(gone: gone.count, watched: diff.watchedCount) }
}
