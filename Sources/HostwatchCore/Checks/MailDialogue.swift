/// A mail dialogue cut into steps, each a command and the reply that ends it: the one place
/// that knows how SMTP (RFC 5321 §4.2: multi-line replies, `334` SASL challenges per RFC 4954),
/// IMAP (RFC 9051 §2.2.2: tagged, untagged and `+` continuation responses) and POP3 (RFC 1939
/// §3: `+OK`/`-ERR` status lines, RFC 5034 `+ ` challenges) frame their replies.
///
/// The checks judge the steps in protocol order and quote the status lines; they never look at
/// greeting wording, only at reply codes and status words.
public struct MailDialogue: Sendable {
    /// One command (or, first, the greeting) and what the server answered.
    public struct Step: Sendable, Hashable {
        /// The command as sent (secrets already redacted), without an IMAP tag; nil for the greeting.
        public var command: String?
        /// Every line received for this step, in order.
        public var replies: [String] = []
        /// The line that ended the reply (for IMAP without its tag), or nil when none came.
        public var status: String?
        /// An IMAP command's tag, to recognise its tagged reply.
        var tag: String?
        /// True while the server waits for a SASL response (`334`, `+ `).
        var awaitingContinuation = false

        /// True once the reply is complete.
        public var isAnswered: Bool { status != nil }

        /// `EHLO`, `STARTTLS`, `AUTH PLAIN`, `MAIL FROM:<a@b.test>`, `EXAMINE INBOX`, `greeting`:
        /// how a failure message names the step.
        public var name: String {
            guard let command else { return "greeting" }
            if command == "." { return "end of data" }
            let words = command.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let verb = words.first?.uppercased() else { return command }
            switch verb {
            case "MAIL", "RCPT":
                return MailDialogue.quote(words.prefix(2).joined(separator: " "), limit: 120)
            case "AUTH", "AUTHENTICATE", "EXAMINE", "SELECT", "UID":
                return words.count > 1 && words[1] != "[redacted]" ? "\(verb) \(words[1].uppercased())" : verb
            default:
                return verb
            }
        }
    }

    public let proto: MailProtocol
    public private(set) var steps: [Step] = []

    public init(_ lines: [DialogueLine], proto: MailProtocol) {
        self.proto = proto
        var current = Step(command: nil)
        var started = false
        for line in lines {
            switch line.direction {
            case .sent:
                if current.awaitingContinuation {
                    // A SASL response continues the AUTH step it answers.
                    current.awaitingContinuation = false
                    continue
                }
                if started || !current.replies.isEmpty || current.status != nil { steps.append(current) }
                var command = line.text
                var tag: String?
                if proto == .imap, let space = command.firstIndex(of: " ") {
                    tag = String(command[..<space])
                    command = String(command[command.index(after: space)...])
                }
                current = Step(command: command, tag: tag)
            case .received:
                current.replies.append(line.text)
                receive(line.text, into: &current)
            }
            started = true
        }
        if started { steps.append(current) }
    }

    private func receive(_ text: String, into step: inout Step) {
        switch proto {
        case .smtp:
            guard let code = Self.smtpCode(text) else { return }
            let isLast = text.utf8.count == 3 || text.utf8.dropFirst(3).first != UInt8(ascii: "-")
            guard isLast else { return }
            step.status = text
            step.awaitingContinuation = code == 334
            if code == 334 { step.status = nil }
        case .imap:
            if text.hasPrefix("+") {
                step.awaitingContinuation = true
            } else if let tag = step.tag, text.hasPrefix(tag + " ") {
                step.status = String(text.dropFirst(tag.count + 1))
                step.awaitingContinuation = false
            } else if step.command == nil, step.status == nil, text.hasPrefix("* ") {
                step.status = String(text.dropFirst(2))
            }
        case .pop3:
            if text.hasPrefix("+OK") || text.hasPrefix("-ERR") {
                step.status = text
                step.awaitingContinuation = false
            } else if text == "+" || text.hasPrefix("+ ") {
                step.awaitingContinuation = true
                step.status = nil
            }
        }
    }

    /// The first step that is the greeting, or nil when nothing was received at all.
    public var greeting: Step? {
        steps.first.flatMap { $0.command == nil ? $0 : nil }
    }

    /// The steps after the greeting.
    public var commands: ArraySlice<Step> {
        greeting == nil ? steps[...] : steps.dropFirst()
    }

    /// True when the step's reply says yes: SMTP 2xx or 3xx, IMAP `OK` (or `PREAUTH` for the
    /// greeting), POP3 `+OK`.
    public func accepted(_ step: Step) -> Bool {
        guard let status = step.status else { return false }
        switch proto {
        case .smtp:
            return Self.smtpCode(status).map { (200..<400).contains($0) } ?? false
        case .imap:
            let word = status.split(separator: " ", maxSplits: 1).first.map { $0.uppercased() }
            return word == "OK" || (step.command == nil && word == "PREAUTH")
        case .pop3:
            return status.hasPrefix("+OK")
        }
    }

    /// The last received line of all steps that starts with `prefix` and has more text after it.
    public func lastReply(startingWith prefix: String) -> String? {
        steps.lazy.reversed().flatMap { $0.replies.reversed() }
            .first { $0.hasPrefix(prefix) && $0.count > prefix.count }
    }

    /// The three-digit code that starts an SMTP reply line, or nil.
    public static func smtpCode(_ line: String) -> Int? {
        let bytes = Array(line.utf8.prefix(4))
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= 48 && $0 <= 57 }),
              bytes.count == 3 || bytes[3] == 32 || bytes[3] == 45 else { return nil }
        return Int(bytes[0] - 48) * 100 + Int(bytes[1] - 48) * 10 + Int(bytes[2] - 48)
    }

    /// SMTP capabilities from the last EHLO reply (`STARTTLS`, `AUTH PLAIN LOGIN`), upper-cased.
    public var ehloCapabilities: [String] {
        guard let ehlo = steps.last(where: { $0.command?.uppercased().hasPrefix("EHLO") == true }) else { return [] }
        return ehlo.replies.dropFirst().map { String($0.dropFirst(4)).uppercased() }
    }

    /// A server's words made safe to put in a one-line message: control characters (C0, DEL, C1) become `?`,
    /// and long text is cut (a 1 MB banner must not become a 1 MB ticket subject).
    public static func quote(_ text: String, limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { return out + "…" }
            out.unicodeScalars.append(scalar.value < 32 || (0x7F..<0xA0).contains(scalar.value) ? "?" : scalar)
            count += 1
        }
        return out
    }
}
