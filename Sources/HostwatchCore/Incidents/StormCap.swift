import FoundationEssentials

/// The storm cap (DESIGN.md §4): when critical tickets were opened within the window, so that
/// more than `maxTickets` of them within `within` go into one mass-outage ticket instead of
/// paging once each. Warnings are never recorded. The clock is a parameter; saved in the
/// tracker's state as the plain list of times it always was.
struct StormCap: Sendable, Codable {
    private(set) var openings: [Date] = []

    init() {}

    init(from decoder: any Decoder) throws {
        openings = try decoder.singleValueContainer().decode([Date].self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(openings)
    }

    /// Whether a new critical ticket at `now` goes into the mass outage instead.
    mutating func isReached(at now: Date, settings: IncidentSettings) -> Bool {
        forget(before: now, settings: settings)
        return openings.count >= settings.stormMaxTickets
    }

    /// A critical ticket was opened (its own, or the mass outage's).
    mutating func opened(at now: Date) {
        openings.append(now)
    }

    mutating func forget(before now: Date, settings: IncidentSettings) {
        let start = now.addingTimeInterval(-settings.stormWithin.timeInterval)
        openings.removeAll { $0 < start }
    }
}
