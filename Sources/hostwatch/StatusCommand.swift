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
        let snapshot: StatusSnapshot
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
}
