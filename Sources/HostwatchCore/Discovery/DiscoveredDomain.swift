/// One domain as discovery sees it after every source is merged: names, owner, plan, how it
/// is served, and which sources named it.
public struct DiscoveredDomain: Sendable, Hashable {
    public var domain: String
    public var aliases: [String] = []
    /// The account as tickets show it (`alice (alice@example.net)`), or nil when nobody knows.
    public var account: String?
    public var plan: Plan = .free
    /// The panel's (or accounts file's) plan name before the `plans` map.
    public var planName: String?
    /// Which sources named it (`nginx`, `postfix`, `cpanel` …), in reading order.
    public var sources: [String] = []
    public var services: Set<DiscoveredSite.Service> = []
    public var listens: [ListenAddress] = []
    public var certificateFile: String?
    public var upstreams: [String] = []
    public var suspended = false

    public init(domain: String) { self.domain = domain }

    /// What tickets say when no panel and no `accounts_file` line names the account.
    public static let unknownAccount = "account unknown: add it to accounts.tsv"
}
