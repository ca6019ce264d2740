/// The `accounts_file` for servers without a panel: one line per rule,
/// `DOMAIN-GLOB<TAB>ACCOUNT<TAB>PLAN` (`*.shop.test	Shop Ltd (#12)	plus`), `#` comments; the
/// first rule whose glob matches a domain names its account. PLAN is `free`, `plus`, or a plan
/// name that goes through `plans`; empty means free.
public struct AccountsFile: Sendable, Hashable {
    /// One rule.
    public struct Rule: Sendable, Hashable {
        public var glob: String
        public var account: String
        public var plan: String?
    }

    public var rules: [Rule]
    /// Lines that could not be read, `line N: message`.
    public var problems: [String]

    public init(_ text: String) {
        var rules: [Rule] = []
        var problems: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.trimmed.isEmpty || line.trimmed.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmed }
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                problems.append("line \(number + 1): expected DOMAIN-GLOB<TAB>ACCOUNT<TAB>PLAN, found \"\(line.prefix(60))\"")
                continue
            }
            rules.append(Rule(glob: fields[0], account: fields[1], plan: fields.count > 2 && !fields[2].isEmpty ? fields[2] : nil))
        }
        self.rules = rules
        self.problems = problems
    }

    /// The first rule matching `domain`.
    public func rule(for domain: String) -> Rule? { rules.first { Glob.matches(domain, $0.glob) } }
}
