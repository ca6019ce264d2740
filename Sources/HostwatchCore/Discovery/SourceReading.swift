/// What one discovery source yielded: its sites, the server's own names it mentions, mail
/// service facts, and warnings about text it could not read (never a crash: a reader skips what
/// it does not understand and says so).
public struct SourceReading: Sendable, Hashable {
    /// The source's name in `sources` and warnings (`nginx`, `postfix`, `cpanel` …).
    public var source: String
    public var sites: [DiscoveredSite] = []
    /// The server's own host names (`myhostname`): never domains of a customer.
    public var hostNames: [String] = []
    /// Where mail is served, for postfix and dovecot.
    public var mail = MailService()
    /// The local authoritative DNS server's addresses, for nsd and bind.
    public var nameservers: [NameserverAddress] = []
    /// Problems with the text, each naming the source and the place.
    public var warnings: [String] = []

    public init(source: String) { self.source = source }

    mutating func warn(_ message: String) { warnings.append("\(source): \(message)") }
}
