/// What to collect when an incident opens (the `evidence` section, DESIGN.md §5 and §8), by
/// check kind: `web`; `mail` (smtp, imap, pop3, round trip); `dns`; `disk`; `server` (every
/// server-down incident).
public struct EvidenceSettings: Sendable, Hashable {
    /// Log files and commands for one kind of check.
    public struct Source: Sendable, Hashable {
        public var files: [String] = []
        /// Lines from the end of each file (and, in a file shared by many sites, lines that
        /// mention an affected domain).
        public var lines = 50
        /// Commands as argv (no shell), run with a minimal environment.
        public var commands: [[String]] = []
        public init() {}
    }

    public var sources: [String: Source] = [:]
    /// Bytes kept of each piece (a log excerpt, a command's output, a transcript).
    public var pieceBytes = 64 * 1024
    /// Bytes of evidence per ticket, all pieces together (`limits.evidence_bytes`).
    public var ticketBytes = 1 << 20
    public var commandTimeout: Duration = .seconds(10)
    /// Literal strings never to store (besides passwords from `*_file`, AUTH lines,
    /// `password=` values and bearer tokens, which are always redacted).
    public var redact: [String] = []

    public init() {}

    static let kinds = ["web", "mail", "dns", "disk", "server"]

    /// Reads the `evidence` section.
    static func read(_ reader: inout ConfigReader, limits: AgentConfig.Limits) -> EvidenceSettings {
        var settings = EvidenceSettings()
        settings.ticketBytes = limits.evidenceBytes
        for kind in kinds {
            guard var r = reader.object(kind) else { continue }
            var source = Source()
            source.files = r.strings("files") ?? []
            source.lines = r.int("lines", in: 1...10_000) ?? source.lines
            if let node = r.take("commands") {
                let path = r.path(of: "commands")
                source.commands = r.list(node, path: path) { item, itemPath in
                    guard let argv = r.list(item, path: itemPath, { r.stringValue($0, path: $1) }) else { return nil }
                    guard let first = argv.first, !first.isEmpty else {
                        r.report(item, path: itemPath, "a command is a non-empty list: [\"systemctl\", \"status\", \"nginx\"]")
                        return nil
                    }
                    return argv
                } ?? []
            }
            r.finish()
            settings.sources[kind] = source
        }
        settings.pieceBytes = reader.size("piece_bytes") ?? settings.pieceBytes
        settings.commandTimeout = reader.duration("command_timeout", minimum: .milliseconds(100)) ?? settings.commandTimeout
        settings.redact = reader.strings("redact") ?? []
        return settings
    }

    /// The evidence kind of a check kind.
    public static func kind(ofCheck checkKind: String) -> String {
        switch checkKind {
        case "smtp", "imap", "pop3", "mail_roundtrip": "mail"
        case "web": "web"
        default: checkKind
        }
    }
}
