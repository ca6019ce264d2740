/// The difference between what discovery found and what is watched now (pure): per domain
/// `new`, `changed`, `gone` or `unchanged`. A hand-written `checks/DOMAIN.json5` wins whole:
/// its domain is `unchanged` here whatever discovery says, and never `gone`.
public struct DiscoveryDiff: Sendable, Hashable {
    /// One domain's state against what is watched.
    public enum Change: String, Sendable, Hashable, Codable {
        case new, changed, gone, unchanged
    }

    public var changes: [String: Change]
    /// Domains watched now (hand-written files and discovered ones).
    public var watchedCount: Int

    /// - Parameters:
    ///   - discovered: each discovered domain's file text.
    ///   - existing: each file in `checks/discovered/`, by domain.
    ///   - handWritten: domains with a hand-written file in `checks/`.
    public init(discovered: [String: String], existing: [String: String], handWritten: Set<String>) {
        var changes: [String: Change] = [:]
        for (domain, text) in discovered {
            if handWritten.contains(domain) { changes[domain] = .unchanged } else if let old = existing[domain] {
                changes[domain] = old == text ? .unchanged : .changed
            } else {
                changes[domain] = .new
            }
        }
        for domain in existing.keys where discovered[domain] == nil && !handWritten.contains(domain) { changes[domain] = .gone }
        self.changes = changes
        watchedCount = handWritten.union(existing.keys).count
    }

    public var gone: [String] { changes.filter { $0.value == .gone }.map(\.key).sorted() }

    /// True when applying this diff would stop watching more than `percent` of the watched
    /// domains at once: held back until the operator accepts the removals.
    public func dropsTooMany(percent: Double = 20) -> Bool {
        Self.dropsTooMany(gone: gone.count, watched: watchedCount, percent: percent)
    }

    /// The 20 % rule on counts (DESIGN.md §9).
    public static func dropsTooMany(gone: Int, watched: Int, percent: Double = 20) -> Bool {
        watched > 0 && Double(gone) > Double(watched) * percent / 100
    }
}
