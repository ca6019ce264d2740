/// The agent file's `status_page` section (DESIGN.md §9).
extension AgentConfig {
    /// Where the agent writes the static status page, and for whom.
    public struct StatusPageSettings: Sendable, Hashable {
        /// The folder of `index.html` and `d/DOMAIN.html` (resolved against the config file's folder).
        public var dir: String
        /// True: a page for customers, without addresses, accounts, plans, results or ticket details.
        public var isPublic: Bool
        /// At most one write per `interval` (default: `defaults.interval`).
        public var interval: Duration

        public init(dir: String, isPublic: Bool = false, interval: Duration = .seconds(60)) {
            self.dir = dir
            self.isPublic = isPublic
            self.interval = interval
        }
    }

    /// Reads `status_page: { dir, public, interval }`; `resolve` makes the folder absolute.
    static func readStatusPage(_ reader: inout ConfigReader, defaultInterval: Duration, resolve: (String) -> String) -> StatusPageSettings? {
        let dir = reader.string("dir", required: true)
        if let dir, dir.isEmpty, let node = reader.members.first(where: { $0.key == "dir" })?.value {
            reader.report(node, path: reader.path(of: "dir"), "expected a folder, found an empty string")
        }
        let isPublic = reader.bool("public") ?? false
        let interval = reader.duration("interval", minimum: .seconds(1)) ?? max(defaultInterval, .seconds(1))
        reader.finish()
        guard let dir, !dir.isEmpty else { return nil }
        return StatusPageSettings(dir: resolve(dir), isPublic: isPublic, interval: interval)
    }
}
