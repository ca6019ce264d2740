import FoundationEssentials

/// One `remediation` rule (DESIGN.md §9): a command tried once for a matching open incident,
/// written down on its ticket.
///
/// ```json5
/// remediation: [{ when: { category: "site-offline", upstream: "unix:/run/php/php8.2-fpm.sock" },
///                 run: ["sudo", "-n", "systemctl", "restart", "php8.2-fpm"], after: "2m", timeout: "30s" }],
/// ```
public struct RemediationRule: Sendable, Hashable {
    /// What an incident must be for the rule to apply; every condition given must hold.
    public struct Match: Sendable, Hashable {
        /// The ticket category (`site-offline`, `email-down`, …).
        public var category: Category?
        /// The upstream an upstream incident is keyed on.
        public var upstream: String?
        /// The incident key exactly (`endpoint:203.0.113.10:443/https`).
        public var key: String?

        public init(category: Category? = nil, upstream: String? = nil, key: String? = nil) {
            self.category = category
            self.upstream = upstream
            self.key = key
        }
    }

    /// `remediation[N]`, for steps and logs.
    public var name: String
    public var match: Match
    /// argv, run without a shell.
    public var run: [String]
    /// How long the incident's ticket must have been open first.
    public var after: Duration = .seconds(120)
    /// Killed (with its process group) when it runs longer.
    public var timeout: Duration = .seconds(30)
    /// The rule runs again (for any incident) only this long after its last run.
    public var cooldown: Duration = .seconds(3600)
    /// No rule runs when this many remediations ran within the last hour.
    public var maxPerHour = 3
    /// How long after the command the checks must have passed for it to count as having worked.
    public var verifyWithin: Duration = .seconds(180)

    public init(name: String, match: Match, run: [String]) {
        self.name = name
        self.match = match
        self.run = run
    }

    /// Whether an incident meets every condition.
    public func matches(_ incident: RemediationPlanner.OpenIncident) -> Bool {
        if let category = match.category, category != incident.category { return false }
        if let key = match.key, key != incident.key { return false }
        if let upstream = match.upstream, "upstream:\(upstream)" != incident.key { return false }
        return true
    }
}

/// Decides which remediation runs now (pure): each open, ticketed incident gets at most one run
/// in its life, after the rule's `after`, never within a rule's `cooldown` of its last run, and
/// never beyond `max_per_hour` runs in all. The history it judges by is saved by the agent, so a
/// restart (or a crash loop) does not run a command again.
public struct RemediationPlanner: Sendable {
    /// What the planner needs to know of an open incident.
    public struct OpenIncident: Sendable, Hashable {
        public var key: String
        public var category: Category
        public var openedAt: Date
        public init(key: String, category: Category, openedAt: Date) {
            self.key = key
            self.category = category
            self.openedAt = openedAt
        }
    }

    /// One run, as saved in `remediation.json`.
    public struct Run: Sendable, Codable, Hashable {
        public var rule: String
        public var key: String
        /// When the incident it ran for opened: a later incident of the same key is a new one.
        public var incidentOpenedAt: Date
        public var at: Date
        public init(rule: String, key: String, incidentOpenedAt: Date, at: Date) {
            self.rule = rule
            self.key = key
            self.incidentOpenedAt = incidentOpenedAt
            self.at = at
        }
    }

    public var rules: [RemediationRule]
    public private(set) var runs: [Run] = []

    public init(rules: [RemediationRule], runs: [Run] = []) {
        self.rules = rules
        self.runs = runs
    }

    /// The runs due at `now`, recorded as made (the caller carries them out).
    public mutating func due(_ incidents: [OpenIncident], at now: Date) -> [(rule: RemediationRule, incident: OpenIncident)] {
        guard !rules.isEmpty else { return [] }
        // A day of history is plenty for every limit.
        runs.removeAll { now.timeIntervalSince($0.at) > 86_400 }
        var due: [(rule: RemediationRule, incident: OpenIncident)] = []
        for incident in incidents.sorted(by: { $0.openedAt < $1.openedAt }) {
            // Once per incident, whichever rule ran.
            guard !runs.contains(where: { $0.key == incident.key && $0.incidentOpenedAt == incident.openedAt }) else { continue }
            guard let rule = rules.first(where: { $0.matches(incident) }) else { continue }
            guard now.timeIntervalSince(incident.openedAt) >= rule.after.timeInterval else { continue }
            if let last = runs.last(where: { $0.rule == rule.name }), now.timeIntervalSince(last.at) < rule.cooldown.timeInterval { continue }
            let lastHour = runs.filter { now.timeIntervalSince($0.at) < 3600 }.count
            guard lastHour < rule.maxPerHour else { continue }
            runs.append(Run(rule: rule.name, key: incident.key, incidentOpenedAt: incident.openedAt, at: now))
            due.append((rule, incident))
        }
        return due
    }
}

extension RemediationRule {
    /// Reads the agent file's `remediation` list (one object or a list of them).
    static func readAll(_ reader: inout ConfigReader) -> [RemediationRule] {
        reader.objects("remediation").compactMap { r, index in
            var r = r
            defer { r.finish() }
            let name = "remediation" + (index.map { "[\($0)]" } ?? "")
            var match = Match()
            if var when = r.object("when", required: true) {
                let conditions = when.has("category") || when.has("upstream") || when.has("key")
                if let node = when.take("category"), let text = when.stringValue(node, path: when.path(of: "category")) {
                    match.category = Category(rawValue: text)
                    if match.category == nil {
                        when.report(node, path: when.path(of: "category"),
                                    "expected one of \(Category.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \"\(text)\"")
                    }
                }
                match.upstream = when.string("upstream")
                match.key = when.string("key")
                if !conditions {
                    when.reportHere("a rule needs at least one of \"category\", \"upstream\", \"key\": it would match every incident")
                }
                when.finish()
            }
            var run: [String] = []
            if let node = r.take("run") {
                let path = r.path(of: "run")
                run = r.list(node, path: path) { r.stringValue($0, path: $1) } ?? []
                if run.isEmpty || run[0].isEmpty {
                    r.report(node, path: path, "a command is a non-empty list: [\"sudo\", \"-n\", \"systemctl\", \"restart\", \"php8.2-fpm\"]")
                    return nil
                }
            } else {
                r.reportHere("missing required key \"run\"")
                return nil
            }
            var rule = RemediationRule(name: name, match: match, run: run)
            rule.after = r.duration("after", minimum: .seconds(0)) ?? rule.after
            rule.timeout = r.duration("timeout", minimum: .seconds(1)) ?? rule.timeout
            rule.cooldown = r.duration("cooldown", minimum: .seconds(1)) ?? rule.cooldown
            rule.maxPerHour = r.int("max_per_hour", in: 1...60) ?? rule.maxPerHour
            rule.verifyWithin = r.duration("verify_within", minimum: .seconds(1)) ?? rule.verifyWithin
            return rule
        }
    }
}
