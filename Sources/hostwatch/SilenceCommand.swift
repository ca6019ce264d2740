import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// `hostwatch silence`: maintenance windows from the command line, written into the store; the
/// running agent takes them up within seconds.
enum SilenceCommand {
    static func run(_ options: CommandLineOptions) throws(UsageError) -> Int32 {
        guard let config = Commands.loadConfig(options) else { return 1 }
        let silences = FileSilenceStore(folder: config.agent.stateDir)
        let now = Date()
        do {
            if options.flags.contains("list") {
                try options.allow(["list", "json"])
                let active = config.agent.maintenance.filter { $0.end > now } + (try silences.list(at: now))
                if options.json {
                    print(Commands.jsonText(SilenceList(silences: active)))
                } else if active.isEmpty {
                    print("no silences")
                } else {
                    for s in active {
                        print("\(s.id)\t\(s.target)\t\(RFC3339.format(s.start))\t\(RFC3339.format(s.end))\t\(s.by)\t\(s.reason)")
                    }
                }
                return 0
            }
            if let id = options.values["remove"] {
                try options.allow(["remove"])
                guard try silences.remove(id: id) else {
                    Commands.printError("hostwatch: no silence \(id)")
                    return 1
                }
                print("removed \(id)")
                return 0
            }
            try options.allow(["for", "reason", "by", "json"])
            guard options.positional.count == 1, let target = Silence.Target(options.positional[0]) else {
                throw UsageError("silence takes one TARGET: a domain, endpoint:ADDRESS:PORT, server or all")
            }
            guard let text = options.values["for"], let duration = DurationText.parse(text) else {
                throw UsageError("silence needs --for DURATION (e.g. 30m, 2h)")
            }
            guard let reason = options.values["reason"], !reason.isEmpty else { throw UsageError("silence needs --reason TEXT") }
            let silence = try silences.add(target: target, start: now, end: now.addingTimeInterval(duration.timeInterval),
                                           reason: reason, by: options.values["by"] ?? Commands.loginName())
            if options.json { print(Commands.jsonText(silence)) } else {
                print("\(silence.id): \(silence.target) silenced until \(RFC3339.format(silence.end)) (\(silence.reason))")
            }
            return 0
        } catch let error as UsageError {
            throw error
        } catch {
            Commands.printError("hostwatch: \(error)")
            return 1
        }
    }

    struct SilenceList: Encodable {
        var schema = "hostwatch.silence-list/1"
        var silences: [Silence]
    }
}
