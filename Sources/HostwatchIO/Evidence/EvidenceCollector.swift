import Dispatch
import FoundationEssentials
import HostwatchCore

/// Collects the evidence of an incident when it opens (and again on reopen): the latest
/// transcripts of its failing checks, their recent results, log excerpts and command output
/// for the kinds of check involved, and a system snapshot. Every piece is redacted and capped
/// (`piece_bytes` each, `evidence_bytes` per ticket). Runs on a queue of its own: reading logs
/// and waiting for commands never holds up the checks.
public struct EvidenceCollector: Sendable {
    /// What one incident needs.
    public struct Request: Sendable {
        public var ticketID: String
        public var domains: [String]
        /// Evidence kinds involved: `web`, `mail`, `dns`, `disk`, `server`.
        public var kinds: [String]
        /// The latest transcript per failing check (at most a few).
        public var transcripts: [(check: String, text: String)]
        /// The recent results per affected check, oldest first.
        public var history: [(check: String, results: [RecentRuns.Run])]
        /// The upstream of an upstream incident (`unix:/run/php/php8.2-fpm.sock`): probed, and
        /// the web server's log lines naming it are kept as well as those naming the domains.
        public var upstream: String?

        public init(ticketID: String, domains: [String], kinds: [String], transcripts: [(check: String, text: String)],
                    history: [(check: String, results: [RecentRuns.Run])]) {
            self.ticketID = ticketID
            self.domains = domains
            self.kinds = kinds
            self.transcripts = transcripts
            self.history = history
        }
    }

    public let settings: EvidenceSettings
    public let redactor: Redactor
    private static let queue = DispatchQueue(label: "hostwatch.evidence")

    public init(settings: EvidenceSettings, redactor: Redactor) {
        self.settings = settings
        self.redactor = redactor
    }

    /// Collects everything for `request` off the concurrency pool.
    public func collect(_ request: Request) async -> [Ticket.Attachment] {
        await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: collectNow(request)) }
        }
    }

    /// The same, on the calling thread.
    public func collectNow(_ request: Request) -> [Ticket.Attachment] {
        var pieces: [Ticket.Attachment] = []
        if let upstream = request.upstream {
            pieces.append(Ticket.Attachment(name: "upstream.txt", content: UpstreamProbe.describe(upstream)))
        }
        for (check, text) in request.transcripts {
            pieces.append(Ticket.Attachment(name: Self.transcriptName(check: check), content: text))
        }
        if !request.history.isEmpty {
            var text = ""
            for (check, results) in request.history {
                text += "== \(check): last \(results.count) results ==\n"
                for r in results {
                    // A steady check's passing runs carry no summary (the scheduler keeps none).
                    text += "\(RFC3339.format(r.at))  \(r.ok ? "ok  " : "FAIL")  \(Int(r.durationMs.rounded())) ms\(r.summary.isEmpty ? "" : "  " + r.summary)\n"
                }
            }
            pieces.append(Ticket.Attachment(name: "recent-results.txt", content: text))
        }
        var needles = request.domains
        if let upstream = request.upstream {
            // Log lines name the socket or address, without the scheme or nginx's `unix:`.
            var bare = Substring(upstream)
            if let scheme = bare.firstRange(of: "://") { bare = bare[scheme.upperBound...] }
            if bare.hasPrefix("unix:") { bare = bare.dropFirst(5) }
            needles.insert(String(bare), at: 0)
        }
        var seenFiles: Set<String> = []
        var seenCommands: Set<[String]> = []
        for kind in request.kinds {
            guard let source = settings.sources[kind] else { continue }
            for file in source.files where seenFiles.insert(file).inserted {
                let text = LogTail.excerpt(path: file, lines: source.lines, domains: needles)
                pieces.append(Ticket.Attachment(name: "log-\(Self.fileName(file)).txt", content: text))
            }
            for argv in source.commands where seenCommands.insert(argv).inserted {
                let result = CommandRunner.run(argv, timeout: settings.commandTimeout, cap: settings.pieceBytes)
                var text = "$ \(argv.joined(separator: " "))\n"
                if let failure = result.failedToStart {
                    text += "[could not start: \(failure)]\n"
                } else {
                    text += result.output
                    if !result.output.hasSuffix("\n"), !result.output.isEmpty { text += "\n" }
                    if result.truncatedBytes > 0 { text += "[\(result.truncatedBytes) more bytes of output not kept]\n" }
                    text += result.status.map { "[exit status \($0)]\n" } ?? "[killed after \(DurationText.format(settings.commandTimeout)): no exit]\n"
                }
                let words = argv.map { String($0.drop { $0 == "-" }) }.filter { !$0.isEmpty }
                pieces.append(Ticket.Attachment(name: "command-\(Self.fileName(words.joined(separator: "-"))).txt", content: text))
            }
        }
        pieces.append(Ticket.Attachment(name: "system.txt", content: SystemSnapshot.collect()))
        return cap(pieces.map { Ticket.Attachment(name: $0.name, mediaType: $0.mediaType, content: redactor.redact($0.content)) })
    }

    /// Each piece to `pieceBytes`, all of them to `ticketBytes`, saying what was cut.
    func cap(_ pieces: [Ticket.Attachment]) -> [Ticket.Attachment] {
        var total = 0
        var out: [Ticket.Attachment] = []
        for var piece in pieces {
            let limit = min(settings.pieceBytes, settings.ticketBytes - total)
            guard limit > 256 else {
                out.append(Ticket.Attachment(name: piece.name, content: "[not kept: the ticket's evidence limit of \(settings.ticketBytes) bytes was reached]\n"))
                continue
            }
            let size = piece.content.utf8.count
            if size > limit {
                // Keep the end of logs and output: the newest lines matter most.
                let keep = limit - 100
                let tail = piece.content.utf8.suffix(keep)
                let start = tail.firstIndex(of: 10).map { piece.content.utf8.index(after: $0) } ?? tail.startIndex
                piece.content = "[first \(size - piece.content.utf8.distance(from: start, to: piece.content.utf8.endIndex)) bytes not kept]\n"
                    + String(decoding: piece.content.utf8[start...], as: UTF8.self)
            }
            total += piece.content.utf8.count
            out.append(piece)
        }
        return out
    }

    /// The attachment name of a check's transcript (`transcript-shop.test-web.txt`), the same
    /// for the first transcript, the evidence's and a member's that joined later.
    public static func transcriptName(check: String) -> String {
        let name = check.replacingAll("/", with: "-").replacingAll("[", with: "-").replacingAll("]", with: "")
        return "transcript-\(fileName(name)).txt"
    }

    static func fileName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }.prefix(80))
            .trimmingCharacters(in: "_")
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
