import Foundation
import HostwatchCore
import HostwatchIO

/// `hostwatch-bench status-page [--domains 10000] [--out DIR] [--public]`: a year of uptime for `domains`
/// domains (one web check each; every tenth with a bad day a week, every hundredth down now),
/// each domain down with its ticket, then prints how long building and rendering the page takes, the size of `index.html` and of a
/// domain page, the bytes of `uptime.bin` and how long encoding and decoding it takes, and, with
/// `--out`, how long writing every file takes the first time and again with nothing changed.
enum StatusPageBench {
    static func run(_ args: [String]) {
        let arguments = BenchArguments(args, options: ["--domains", "--out"], flags: ["--public"])
        let domains = arguments.count("--domains", default: 10_000)
        let out = arguments.string("--out")
        let isPublic = arguments.has("--public")
        let now = Date(timeIntervalSince1970: 1_796_090_400)
        var history = UptimeHistory()
        var checks: [StatusSnapshot.CheckStatus] = []
        var infos: [StatusPage.DomainInfo] = []
        let filling = ContinuousClock.now
        for d in 0..<domains {
            let domain = "customer-\(d).example.net"
            let check = "\(domain)/web"
            let id = CheckID(target: domain, kind: "web")
            // One result an hour for a year (the accumulation per result is the same at any rate).
            for hour in stride(from: -365 * 24, through: 0, by: 1) {
                let since = hour + 365 * 24   // hours since the start, never negative
                let bad = d % 10 == 0 && (since / 24) % 7 == 0 && since % 24 == 3 || d % 100 == 0 && hour > -1
                history.record(id, ok: !bad, at: now.addingTimeInterval(Double(hour) * 3600), maxGap: .seconds(7200))
            }
            let down = d % 100 == 0
            checks.append(.init(check: check, state: down ? "down" : "ok", consecutiveFailures: down ? 3 : 0, failuresToOpen: 3,
                                downSince: down ? now.addingTimeInterval(-900) : nil, silencedUntil: nil, incident: nil,
                                lastResult: down ? "HTTP: connect to 203.0.113.10:443 refused" : "HTTP 200 in 31 ms", lastRun: now))
            infos.append(.init(name: domain, account: "Customer \(d)", plan: d % 3 == 0 ? .plus : .free,
                               endpoints: [check: "203.0.113.10:443/https"]))
        }
        let filled = (ContinuousClock.now - filling).timeInterval
        // Each domain down now has its incident and ticket.
        let down = stride(from: 0, to: domains, by: 100).map { "customer-\($0).example.net" }
        let incidents = down.enumerated().map { n, domain in
            StatusSnapshot.IncidentStatus(key: "site-offline:\(domain)", ticket: "HW-\(n + 42)", since: now.addingTimeInterval(-900),
                                          ticketed: true, parent: nil, checksDown: ["\(domain)/web"], flapping: false, acknowledged: false)
        }
        let tickets = down.enumerated().map { n, domain in
            TicketSummary(id: "HW-\(n + 42)", key: "site-offline:\(domain)", status: .open, severity: .critical, category: .siteOffline,
                          subject: "\(domain): site offline (HTTP: connect to 203.0.113.10:443 refused)", domains: [domain],
                          accounts: ["Customer \(n * 100)"], openedAt: now.addingTimeInterval(-840), resolvedAt: nil, solution: nil, archived: false)
        }
        let snapshot = StatusSnapshot(server: "web01", writtenAt: now, checks: checks, incidents: incidents)

        var best = Double.infinity
        var page: StatusPage?
        var index = ""
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let built = StatusPage.build(snapshot: snapshot, domains: infos, tickets: tickets, history: history, isPublic: isPublic, at: now)
            index = StatusPageHTML.index(built, writtenAt: now)
            best = min(best, (ContinuousClock.now - start).timeInterval)
            page = built
        }
        guard let page else { return }
        let renderAll = ContinuousClock.now
        var domainBytes = 0
        for domain in page.domains { domainBytes += StatusPageHTML.domain(domain, of: page, writtenAt: now).utf8.count }
        let allPages = (ContinuousClock.now - renderAll).timeInterval
        let encodeStart = ContinuousClock.now
        let bytes = history.encoded()
        let encoded = (ContinuousClock.now - encodeStart).timeInterval
        let decodeStart = ContinuousClock.now
        let rssBefore = TrackerBench.currentRSSKiB()
        let decodedCopy = try? UptimeHistory(decoding: bytes)
        // What a year of history costs the agent in memory: the RSS a decoded copy added.
        let historyKiB = TrackerBench.currentRSSKiB() - rssBefore
        let decodedOK = decodedCopy == history
        let decoded = (ContinuousClock.now - decodeStart).timeInterval
        print("bench status-page: domains=\(domains) build_and_render_index_s=\(fixed(best, 3)) index_bytes=\(index.utf8.count)"
            + " domain_pages_s=\(fixed(allPages, 3)) domain_page_bytes_avg=\(domainBytes / max(domains, 1))")
        print("bench uptime-history: checks=\(domains) days=365 uptime_bin_bytes=\(bytes.count) encode_s=\(fixed(encoded, 3))"
            + " decode_s=\(fixed(decoded, 3)) roundtrip=\(decodedOK ? "exact" : "DIFFERS") fill_s=\(fixed(filled, 1))"
            + " in_memory_mib=\(fixed(Double(historyKiB) / 1024, 1))")
        if let out {
            let writer = StatusPageWriter(folder: out)
            for label in ["first", "unchanged"] {
                let start = ContinuousClock.now
                do {
                    let files = try writer.write(page, at: now)
                    print("bench status-page-write: \(label) files=\(files) s=\(fixed((ContinuousClock.now - start).timeInterval, 3))")
                } catch {
                    fail("\(error)")
                }
            }
        }
    }
}
