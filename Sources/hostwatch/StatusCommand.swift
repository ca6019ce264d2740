import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// `hostwatch status`: every check and open incident, from the snapshot the agent writes.
enum StatusCommand {
    static func run(_ options: CommandLineOptions) throws(UsageError) -> Int32 {
        try options.allow(["json"])
        guard options.positional.isEmpty else { throw UsageError("status takes no arguments") }
        guard let config = Commands.loadConfig(options) else { return 1 }
        let file = JSONStateFile<StatusSnapshot>(path: config.agent.stateDir + "/status.json")
        var snapshot: StatusSnapshot
        do {
            guard let loaded = try file.load() else {
                Commands.printError("hostwatch: no status yet in \(config.agent.stateDir) (is the agent running?)")
                return 1
            }
            snapshot = loaded
        } catch {
            Commands.printError("hostwatch: \(error.description)")
            return 1
        }
        // Uptime from the history the agent saves every minute; without one the figures stay out.
        var history = UptimeHistory()
        do { history = try UptimeFile(stateDir: config.agent.stateDir).load() } catch {
            Commands.printError("hostwatch: \(error.description)")
        }
        let now = Date()
        for i in snapshot.checks.indices {
            let figures = history.figures(of: snapshot.checks[i].check, at: now)
            snapshot.checks[i].uptime24h = figures.last24h
            snapshot.checks[i].uptime30d = figures.last30d
            snapshot.checks[i].uptime90d = figures.last90d
        }
        if options.json {
            print(Commands.jsonText(snapshot))
            return 0
        }
        let age = Int(Date().timeIntervalSince(snapshot.writtenAt))
        print("server \(snapshot.server), snapshot \(RFC3339.format(snapshot.writtenAt)) (\(age) s ago)")
        for check in snapshot.checks {
            var line = "\(check.state == "ok" ? "ok" : check.state.uppercased())\t\(check.check)"
            if check.state == "failing" { line += "\tfailing \(check.consecutiveFailures)/\(check.failuresToOpen)" }
            if let since = check.downSince { line += "\tdown since \(RFC3339.format(since))" }
            if let until = check.silencedUntil { line += "\tsilenced until \(RFC3339.format(until))" }
            if check.uptime90d != nil {
                line += "\tuptime 24h \(percent(check.uptime24h)) 30d \(percent(check.uptime30d)) 90d \(percent(check.uptime90d))"
            }
            if let last = check.lastResult { line += "\t\(last)" }
            print(line)
        }
        if snapshot.incidents.isEmpty {
            print("no open incidents")
        } else {
            print("incidents:")
            for incident in snapshot.incidents {
                var line = "  \(incident.key)\t\(incident.ticket ?? "-")\tsince \(RFC3339.format(incident.since))"
                if let parent = incident.parent { line += "\tpart of \(parent)" } else if !incident.ticketed { line += "\tticket held (silenced)" }
                if incident.flapping { line += "\tflapping" }
                if incident.acknowledged { line += "\tacknowledged" }
                print(line)
            }
        }
        return 0
    }

    /// `99.95%`, or `-` when nothing was observed.
    static func percent(_ fraction: Double?) -> String {
        guard let fraction else { return "-" }
        let hundredths = Int((fraction * 10_000).rounded(.down))
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)%"
    }
}
