import Foundation
import Glibc
import HostwatchCore
import HostwatchIO

/// Store modes of hostwatch-bench:
/// - `store-writer --state DIR [--count N]`: opens and updates tickets in a loop, printing
///   `committed HW-N` after each write returns (the crash test kills it at random points).
/// - `store-list --state DIR [--tickets 100000]`: fills a store with that many tickets (files
///   written directly, without fsync, to save time) and times `tickets list` over them.
enum StoreBench {
    static func writer(_ args: [String]) {
        var state = ""
        var count = Int.max
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--state": i += 1; state = args[i]
            case "--count": i += 1; count = Int(args[i]) ?? count
            default: fail("unknown argument \(args[i])")
            }
            i += 1
        }
        guard !state.isEmpty else { fail("--state DIR is required") }
        do {
            let store = try FileTicketStore(folder: state)
            var n = 0
            while n < count {
                let ticket = try store.open(draft(n))
                say("committed \(ticket.id) opened")
                let step = n
                let updated = try store.update(id: ticket.id) { t throws(TicketStoreError) in
                    t.addStep(Ticket.Step(at: Date(), text: "step \(step)"))
                }
                say("committed \(updated.id) updated \(updated.steps.count)")
                n += 1
            }
        } catch {
            fail("\(error)")
        }
    }

    /// One unbuffered line on stdout: what was printed is what was committed.
    static func say(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress, $0.count) }
    }

    static func list(_ args: [String]) {
        let arguments = BenchArguments(args, options: ["--state", "--tickets"])
        let total = arguments.count("--tickets", default: 100_000)
        guard let state = arguments.string("--state"), !state.isEmpty else { fail("--state DIR is required") }
        do {
            let fill = ContinuousClock.now
            // A store filled by an earlier run is reused (filling 100,000 files takes a while).
            let reuse = FileManager.default.fileExists(atPath: state + "/index.log")
            if !reuse {
            try FileManager.default.createDirectory(atPath: state + "/tickets", withIntermediateDirectories: true)
            var index = ""
            let encoder = FileTicketStore.encoder
            for n in 1...total {
                var ticket = Ticket(id: "HW-\(n)", draft: draft(n))
                if n % 10 != 0 { ticket.resolve(at: ticket.openedAt.addingTimeInterval(600), step: "recovered") }
                try encoder.encode(ticket).write(to: URL(fileURLWithPath: "\(state)/tickets/HW-\(n).json"))
                index += lineFor(ticket)
            }
            try index.write(toFile: state + "/index.log", atomically: true, encoding: .utf8)
            }
            let filled = (ContinuousClock.now - fill).timeInterval
            let store = try FileTicketStore(folder: state)
            let started = ContinuousClock.now
            let summaries = try store.list()
            let open = summaries.filter { $0.status != .resolved }
            let listMs = (ContinuousClock.now - started).timeInterval * 1000
            let cli = ContinuousClock.now
            let fresh = try FileTicketStore(folder: state)
            _ = try fresh.list(includingArchive: true).filter { $0.domains.contains("site7.test") }
            let relatedMs = (ContinuousClock.now - cli).timeInterval * 1000
            print("bench store-list: tickets=\(summaries.count) open=\(open.count) fill_s=\(fixed(filled, 1))"
                  + " list_ms=\(fixed(listMs, 1)) related_ms=\(fixed(relatedMs, 1))")
        } catch {
            fail("\(error)")
        }
    }

    /// The index line of a ticket, as the store writes it.
    static func lineFor(_ ticket: Ticket) -> String {
        var fields = [ticket.id, ticket.status.rawValue, ticket.severity.rawValue, ticket.category.rawValue,
                      String(Int64(ticket.openedAt.timeIntervalSince1970)),
                      ticket.resolvedAt.map { String(Int64($0.timeIntervalSince1970)) } ?? "", "0", ticket.key]
        fields.append(ticket.domains.joined(separator: ","))
        fields.append(ticket.accounts.map(\.name).joined(separator: "\u{1f}"))
        fields.append(ticket.subject)
        fields.append(ticket.solution ?? "")
        return fields.joined(separator: "\t") + "\n"
    }

    static func draft(_ n: Int) -> TicketDraft {
        let domain = "site\(n % 1000).test"
        let now = Date()
        return TicketDraft(key: "check:\(domain)/web", severity: .critical, category: .siteOffline, cause: .infrastructure,
                           subject: "\(domain): site offline — HTTP: connect to 127.0.0.1:443 refused",
                           server: .init(name: "bench", address: "127.0.0.1"), accounts: [.init(name: "Customer \(n % 1000)", plan: .free)],
                           domains: [domain], checks: ["\(domain)/web"], since: now, openedAt: now,
                           steps: [.init(at: now, text: "\(domain)/web failed: HTTP: connect to 127.0.0.1:443 refused")],
                           attachments: [.init(name: "transcript-web.txt", content: "* Trying 127.0.0.1:443...\n")])
    }
}
