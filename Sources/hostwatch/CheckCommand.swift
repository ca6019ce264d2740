import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// `hostwatch check`: every selected check once, now; no debounce, nothing written.
enum CheckCommand {
    static func run(_ options: CommandLineOptions) async throws(UsageError) -> Int32 {
        try options.allow(["json", "verbose"])
        guard let config = Commands.loadConfig(options) else { return 3 }
        let known = Set(config.domains.map { $0.domain.lowercased() })
        for name in options.positional where !known.contains(name.lowercased()) {
            Commands.printError("hostwatch: no domain \"\(name)\" in \(config.agent.checksDir)")
            return 3
        }
        let wanted = Set(options.positional.map { $0.lowercased() })
        let domains = config.domains.filter { wanted.isEmpty || wanted.contains($0.domain.lowercased()) }
        let loop = CurlMultiLoop(maxInFlight: config.agent.limits.inFlight)
        // Wait for the libcurl thread to leave OpenSSL before the process exits.
        defer { loop.shutdownAndWait() }
        let dnsLoop = DNSSocketLoop(maxInFlight: config.agent.limits.inFlight)
        defer { dnsLoop.shutdown() }
        // Disks are server-wide: checked when no domain is named (DESIGN.md §8).
        let built = CheckFactory(config: config, loop: loop, dnsLoop: dnsLoop).build(domains, disks: wanted.isEmpty)
        let observations = await withTaskGroup(of: (Int, Observation).self) { group in
            for (i, item) in built.enumerated() {
                group.addTask { (i, await item.check.run(now: Date())) }
            }
            var results: [(Int, Observation)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let policy = IncidentPolicy()
        var worst: Int32 = 0
        var results: [CheckResult] = []
        for (observation, item) in zip(observations, built) {
            let severity = observation.failure.map { policy.severity(of: $0, plan: item.subject.account.plan) }
            if let severity { worst = max(worst, severity == .critical ? 2 : 1) }
            results.append(CheckResult(observation, severity: severity))
        }
        if options.json {
            print(Commands.jsonText(results))
        } else {
            for result in results {
                let label = result.severity?.uppercased() ?? "OK"
                print("\(label)\t\(result.check)\t\(result.summary)")
                if options.flags.contains("verbose") || result.severity != nil {
                    let timings = observations.first { $0.check.description == result.check }?.timingText ?? ""
                    if !timings.isEmpty { print("\ttimings: \(timings)") }
                    if let expiry = result.certificateExpiry { print("\tcertificate expires: \(RFC3339.format(expiry))") }
                }
            }
        }
        return worst
    }
}
