/// Removes secrets from evidence before it is stored: configured literals (probe passwords,
/// tokens), SMTP/IMAP AUTH and LOGIN arguments, `password=` values, bearer tokens and
/// Authorization headers. Pure; applied to every piece of evidence.
public struct Redactor: Sendable, Hashable {
    public static let mark = "[redacted]"
    /// Literal secrets, longest first so a secret containing another is removed whole.
    public let secrets: [String]

    public init(secrets: [String]) {
        self.secrets = secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingAll(secret, with: Self.mark)
        }
        guard Self.mayHoldPattern(out) else { return out }
        return out.split(separator: "\n", omittingEmptySubsequences: false).map { redactLine(String($0)) }.joined(separator: "\n")
    }

    static func mayHoldPattern(_ text: String) -> Bool {
        let lower = text.lowercased()
        return ["auth", "login", "pass", "pwd=", "bearer", "token", "secret", "cookie", "api_key"].contains { lower.contains($0) }
    }

    func redactLine(_ line: String) -> String {
        let lower = line.lowercased()
        // Header-like lines whose whole value is secret.
        for prefix in ["authorization:", "proxy-authorization:", "cookie:", "set-cookie:"] {
            if let range = lower.firstRange(of: prefix) {
                let keep = line.distance(from: line.startIndex, to: range.upperBound)
                return String(line.prefix(keep)) + " " + Self.mark
            }
        }
        // Protocol commands: AUTH PLAIN <base64>, AUTH LOGIN, A1 LOGIN user pass, PASS x.
        let words = line.split(separator: " ", omittingEmptySubsequences: false)
        for (i, word) in words.enumerated() {
            let w = word.lowercased()
            if w == "auth", i + 1 < words.count {
                return words[...(i + 1)].joined(separator: " ") + (i + 2 < words.count ? " " + Self.mark : "")
            }
            if w == "login", i + 1 < words.count, i <= 2 {
                return words[...i].joined(separator: " ") + " " + Self.mark
            }
            if w == "pass", i <= 2, i + 1 < words.count {
                return words[...i].joined(separator: " ") + " " + Self.mark
            }
        }
        var out = line
        for key in ["password=", "passwd=", "pwd=", "token=", "secret=", "api_key="] { out = Self.redactValue(after: key, in: out) }
        out = Self.redactValue(after: "bearer ", in: out)
        return out
    }

    /// Replaces the value after `key` (any case) up to whitespace, `&`, `;`, `,` or a quote.
    static func redactValue(after key: String, in line: String) -> String {
        var result = ""
        var rest = Substring(line)
        while let range = rest.lowercased().firstRange(of: key) {
            let lowerRest = rest.lowercased()
            let offset = lowerRest.distance(from: lowerRest.startIndex, to: range.upperBound)
            guard let keyEnd = rest.index(rest.startIndex, offsetBy: offset, limitedBy: rest.endIndex) else { break }
            result += rest[..<keyEnd]
            let value = rest[keyEnd...].prefix { !$0.isWhitespace && !"&;,\"'".contains($0) }
            result += value.isEmpty ? "" : mark
            rest = rest[value.endIndex...]
        }
        return result + rest
    }
}

extension String {
    /// Every occurrence of `target` replaced (without Foundation).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
