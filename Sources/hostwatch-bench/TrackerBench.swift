import Foundation
import Glibc
import HostwatchCore

/// `hostwatch-bench tracker [--domains 10000] [--rounds 10]`: feeds the incident tracker
/// observations of `domains` × 4 checks (HTTPS, HTTP, SMTP, IMAP endpoints of one server) for
/// `rounds` rounds — healthy, with 1 % of sites failing on their own, then a dead HTTPS
/// endpoint for all — and prints observations per second, CPU per observation, the share of
/// one core 40,000 observations a minute would take, and memory per tracked check.
enum TrackerBench {
    static func run(_ args: [String]) {
        let arguments = BenchArguments(args, options: ["--domains", "--rounds"])
        let domains = arguments.count("--domains", default: 10_000)
        let rounds = arguments.count("--rounds", default: 10)
        let rssBefore = currentRSSKiB()
        let server = Ticket.Server(name: "bench", address: "127.0.0.1")
        var tracker = IncidentTracker(server: server)
        let endpoints = ["127.0.0.1:443/https", "127.0.0.1:80/http", "127.0.0.1:25/smtp", "127.0.0.1:993/imap"]
        var checks: [CheckID] = []
        for d in 0..<domains {
            let domain = "site\(d).test"
            for (k, endpoint) in endpoints.enumerated() {
                let id = CheckID(target: domain, kind: ["web", "web", "smtp", "imap"][k], index: k < 2 ? k : nil)
                tracker.register(id, subject: .init(domain: domain, account: .init(name: "Customer \(d)", plan: d % 3 == 0 ? .plus : .free),
                                                    timing: CheckTiming(), endpoint: endpoint, isLocal: true))
                checks.append(id)
            }
        }
        let rssRegistered = currentRSSKiB()
        let refused = CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: connect to 127.0.0.1:443 refused")
        let error500 = CheckFailure(kind: .protocolViolation, category: .siteOffline, cause: .application, message: "HTTP: expected status 200, got 500")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var transcript = Transcript()
        transcript.append(.note, "Trying 127.0.0.1:443...")
        var observationCount = 0
        var actionCount = 0
        let cpuBefore = cpuSeconds()
        let started = ContinuousClock.now
        for round in 0..<rounds {
            let now = t0.addingTimeInterval(Double(round) * 60)
            for (n, check) in checks.enumerated() {
                let domainIndex = n / 4
                var outcome = Observation.Outcome.ok
                if round >= rounds / 2, n % 4 == 0 {
                    outcome = .failed(refused)
                } else if domainIndex % 100 == 7, n % 4 == 1 {
                    outcome = .failed(error500)
                }
                let observation = Observation(check: check, endpoint: endpoints[n % 4], startedAt: now, duration: .milliseconds(2),
                                              outcome: outcome, summary: "200 OK in 2.0 ms", transcript: transcript)
                actionCount += tracker.record(observation, at: now).count
                observationCount += 1
            }
            actionCount += tracker.tick(at: now.addingTimeInterval(1)).count
        }
        let wall = (ContinuousClock.now - started).timeInterval
        let cpu = cpuSeconds() - cpuBefore
        let rssAfter = currentRSSKiB()
        let perObservationUs = cpu * 1e6 / Double(observationCount)
        let shareAt40k = perObservationUs * 40_000 / 60 / 1e6 * 100
        let perCheck = Double(rssAfter - rssBefore) * 1024 / Double(checks.count)
        let perCheckRegistered = Double(rssRegistered - rssBefore) * 1024 / Double(checks.count)
        var line = "bench tracker: checks=\(checks.count) observations=\(observationCount) actions=\(actionCount)"
        line += " wall_s=\(fixed(wall, 3)) observations_per_s=\(fixed(Double(observationCount) / wall, 0))"
        line += " cpu_us_per_observation=\(fixed(perObservationUs, 2)) core_share_at_40k_per_min=\(fixed(shareAt40k, 3))%"
        line += " memory_bytes_per_check=\(fixed(perCheck, 0)) (registered_only=\(fixed(perCheckRegistered, 0)))"
        line += " open_incidents=\(tracker.snapshot(at: t0).incidents.count)"
        print(line)
    }

    static func currentRSSKiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
