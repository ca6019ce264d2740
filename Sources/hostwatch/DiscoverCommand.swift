import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// `hostwatch discover [--json] [--write] [--accept-removals]` (DESIGN.md §9): reads what the
/// server hosts, prints one line (or one `hostwatch.discovered/1` object) per domain, and with
/// `--write` brings `checks/discovered/` up to date. A discovery that would stop watching more
/// than 20 % of the watched domains at once is held back unless `--accept-removals`.
enum DiscoverCommand {
    /// One domain of `--json` output.
    struct Document: Encodable {
        var schema = "hostwatch.discovered/1"
        var domain: String
        var aliases: [String]
        var account: String?
        var accountKnown: Bool
        var plan: String
        var planName: String?
        var sources: [String]
        var suspended: Bool
        var listens: [String]
        var certificateFile: String?
        var upstreams: [String]
        var checks: [String]
        var diff: String
        var handWritten: Bool

        enum CodingKeys: String, CodingKey {
            case schema, domain, aliases, account, plan, sources, suspended, listens, upstreams, checks, diff
            case accountKnown = "account_known", planName = "plan_name", certificateFile = "certificate_file", handWritten = "hand_written"
        }
    }

    static func run(_ options: CommandLineOptions) throws(UsageError) -> Int32 {
        try options.allow(["json", "write", "accept-removals"])
        guard options.positional.isEmpty else { throw UsageError("discover takes no arguments") }
        guard let config = Commands.loadConfig(options) else { return 3 }
        let (sources, outcome) = discover(config)
        for warning in sources.warnings { Commands.printError("hostwatch: warning: \(warning)") }
        let folder = DiscoveredFolder(checksDir: config.agent.checksDir)
        print(report(outcome, json: options.json), terminator: "")
        for domain in outcome.keptForFailedSources {
            Commands.printError("hostwatch: warning: \(domain) stays watched as it is: \(sources.failed.joined(separator: ", ")) failed")
        }
        guard options.flags.contains("write") else { return 0 }
        if outcome.holdsBack && !options.flags.contains("accept-removals") {
            Commands.printError("hostwatch: held back: this would stop watching \(outcome.gone.count) of \(outcome.diff.watchedCount) domains (more than 20 %); check the sources, then run discover --write --accept-removals")
            return 1
        }
        return write(outcome, to: folder)
    }

    /// One discovery against the loaded config: every source, then the outcome against
    /// `checks/discovered/` and the hand-written files.
    static func discover(_ config: LoadedConfig) -> (DiscoverySources.Run, DiscoveryOutcome) {
        let sources = DiscoverySources(settings: config.agent.discovery).run()
        let folder = DiscoveredFolder(checksDir: config.agent.checksDir)
        let outcome = DiscoveryOutcome(readings: sources.readings, accounts: sources.accounts, settings: config.agent.discovery,
                                       server: config.agent.server, existing: folder.existing(), handWritten: config.origins.handWritten,
                                       failedSources: sources.failed)
        return (sources, outcome)
    }

    /// Writes new and changed files, removes gone ones; 0 when everything was written.
    static func write(_ outcome: DiscoveryOutcome, to folder: DiscoveredFolder) -> Int32 {
        let (written, removed, errors) = folder.apply(outcome)
        for error in errors { Commands.printError("hostwatch: \(error)") }
        Commands.printError("hostwatch: wrote \(written) file\(written == 1 ? "" : "s") and removed \(removed) in \(folder.path)")
        return errors.isEmpty ? 0 : 1
    }

    /// The printed report: a line (or JSON object) per domain, then the gone ones.
    static func report(_ outcome: DiscoveryOutcome, json: Bool) -> String {
        var out = ""
        for entry in outcome.entries {
            let d = entry.domain
            if json {
                out += Commands.jsonLine(Document(
                    domain: d.domain, aliases: d.aliases, account: d.account, accountKnown: d.account != nil, plan: d.plan.rawValue,
                    planName: d.planName, sources: d.sources, suspended: d.suspended, listens: d.listens.map(\.description),
                    certificateFile: d.certificateFile, upstreams: d.upstreams, checks: entry.file.checks,
                    diff: entry.change.rawValue, handWritten: entry.handWritten)) + "\n"
                continue
            }
            var line = "\(entry.change.rawValue.padding(9)) \(d.domain)"
            if !d.aliases.isEmpty { line += " (\(d.aliases.joined(separator: ", ")))" }
            line += "  account: \(d.account ?? DiscoveredDomain.unknownAccount)  plan: \(d.plan.rawValue)"
            line += "  from: \(d.sources.joined(separator: ", "))"
            if d.suspended { line += "  suspended: not checked as a site" }
            if entry.handWritten { line += "  hand-written file wins" }
            if entry.keptForFailedSources { line += "  kept as it is while a source fails" }
            line += "  checks: " + (entry.file.checks.isEmpty ? "none" : entry.file.checks.joined(separator: "; "))
            out += line + "\n"
        }
        for domain in outcome.gone {
            if json {
                out += "{\"schema\":\"hostwatch.discovered/1\",\"domain\":\(Commands.jsonLine(domain)),\"diff\":\"gone\"}\n"
            } else {
                out += "\("gone".padding(9)) \(domain)  no source names it any more: its checks stop\n"
            }
        }
        return out
    }
}

extension String {
    /// The string left-aligned in `width` columns.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
