/// The incident rules of DESIGN.md §4, from the agent file's `incidents` section.
public struct IncidentSettings: Sendable, Hashable {
    /// "k of the last n" failures also open an incident; nil turns it off.
    public var kOfN: Debounce.KOfN? = Debounce.KOfN(k: 3, n: 5)
    /// The window in which state changes count towards flapping.
    public var flapWindow: Duration = .seconds(30 * 60)
    /// State changes of a check within `flapWindow` that make it flapping.
    public var flapChanges = 4
    /// More than this many new tickets within `stormWithin` become one mass-outage ticket.
    public var stormMaxTickets = 10
    public var stormWithin: Duration = .seconds(10 * 60)
    /// A failure of the same key within this time of its resolution reopens the ticket.
    public var reopenWithin: Duration = .seconds(6 * 3600)
    /// Reminders on unacknowledged critical tickets while still down.
    public var remindEvery: Duration = .seconds(4 * 3600)
    public var policy = IncidentPolicy()
    /// Names of peer servers by address (`peers` in the agent file), for their server-down
    /// tickets; a peer without a name is called by its address.
    public var peers: [String: String] = [:]

    public init() {}
}
