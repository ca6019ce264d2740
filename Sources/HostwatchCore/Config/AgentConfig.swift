/// The agent file (`/etc/hostwatch/hostwatch.json5`), typed (DESIGN.md §8). Paths are already
/// resolved against the config file's folder.
public struct AgentConfig: Sendable, Hashable {
    /// This server: its name in tickets and the address its sites are reached at.
    public struct Server: Sendable, Hashable {
        public var name: String
        public var address: String
    }

    /// Defaults every check inherits unless it overrides them.
    public struct Defaults: Sendable, Hashable {
        public var timing = CheckTiming()
        public var certWarningDays = 14
        public init() {}
    }

    /// Bounds on what the agent takes.
    public struct Limits: Sendable, Hashable {
        /// Transfers in flight at once.
        public var inFlight = 256
        /// Body bytes kept per HTTP result.
        public var bodyBytes = 1024
        /// Evidence bytes per ticket.
        public var evidenceBytes = 1 << 20
        public init() {}
    }

    public var server: Server
    public var stateDir: String
    public var checksDir: String
    /// The CA bundle for TLS verification; nil uses libcurl's default.
    public var caFile: String?
    public var defaults = Defaults()
    public var limits = Limits()
    /// Filesystems of this server to check (`disks`).
    public var disks: [DiskCheck.Configuration] = []

    /// Sections of DESIGN.md §8 this build reads but does not act on yet.
    static let reservedSections = ["incidents", "maintenance", "evidence", "tickets", "oncall", "heartbeat", "metrics"]

    /// Reads the agent file's root object. `resolve` turns a configured path into an absolute
    /// one (relative paths resolve against the config file's folder). Nil when there were errors.
    public static func read(_ root: JSON5Node, file: String, problems: ConfigReader.Problems,
                            resolve: (String) -> String) -> AgentConfig? {
        guard var reader = ConfigReader(root, path: "", file: file, problems: problems) else { return nil }
        let before = problems.errors.count
        var server: Server?
        if var s = reader.object("server", required: true) {
            let name = s.string("name", required: true)
            let address = s.string("address", required: true)
            if let address, !IPAddressText.isLiteral(address), let node = s.members.first(where: { $0.key == "address" })?.value {
                s.report(node, path: s.path(of: "address"), "\"\(address)\" is not an IP address (hostwatch never resolves names through the system resolver)")
            }
            s.finish()
            if let name, let address { server = Server(name: name, address: address) }
        }
        let stateDir = reader.string("state_dir") ?? "/var/lib/hostwatch"
        let checksDir = reader.string("checks") ?? "checks"
        var caFile: String?
        if var tls = reader.object("tls") {
            caFile = tls.string("ca_file")
            tls.finish()
        }
        var defaults = Defaults()
        if var d = reader.object("defaults") {
            defaults.timing = readTiming(&d, base: defaults.timing)
            defaults.certWarningDays = d.int("cert_warning_days", in: 0...3650) ?? defaults.certWarningDays
            d.finish()
        }
        var limits = Limits()
        if var l = reader.object("limits") {
            limits.inFlight = l.int("in_flight", in: 1...100_000) ?? limits.inFlight
            limits.bodyBytes = l.size("body_bytes") ?? limits.bodyBytes
            limits.evidenceBytes = l.size("evidence_bytes") ?? limits.evidenceBytes
            l.finish()
        }
        var disks: [DiskCheck.Configuration] = []
        for (d, _) in reader.objects("disks") {
            var d = d
            guard let disk = DiskCheck.Configuration.read(&d, defaults: defaults) else { continue }
            if disks.contains(where: { DiskCheck.normalized($0.mount) == DiskCheck.normalized(disk.mount) }) {
                d.reportHere("\"\(disk.mount)\" is listed twice")
                continue
            }
            disks.append(disk)
        }
        for section in reservedSections {
            reader.reserve(section, notice: "\"\(section)\" is accepted but not acted on by this build yet")
        }
        reader.finish()
        guard let server, problems.errors[before...].allSatisfy(\.isNotice) else { return nil }
        return AgentConfig(server: server, stateDir: resolve(stateDir), checksDir: resolve(checksDir),
                           caFile: caFile.map(resolve), defaults: defaults, limits: limits, disks: disks)
    }

    /// The `checks` folder as written, from a root object that may hold errors elsewhere.
    public static func checksFolder(in root: JSON5Node) -> String? {
        guard case .object(let members) = root.value, let node = members.first(where: { $0.key == "checks" })?.value,
              case .string(let folder) = node.value else { return nil }
        return folder
    }

    /// Reads the timing keys any check object may override (`interval`, `timeout`,
    /// `retry_interval`, `failures`, `recoveries`).
    public static func readTiming(_ reader: inout ConfigReader, base: CheckTiming) -> CheckTiming {
        var timing = base
        timing.interval = reader.duration("interval", minimum: .milliseconds(100)) ?? timing.interval
        timing.timeout = reader.duration("timeout", minimum: .milliseconds(10)) ?? timing.timeout
        timing.retryInterval = reader.duration("retry_interval", minimum: .milliseconds(100)) ?? timing.retryInterval
        timing.failures = reader.int("failures", in: 1...100) ?? timing.failures
        timing.recoveries = reader.int("recoveries", in: 1...100) ?? timing.recoveries
        return timing
    }
}

/// Recognises IP address literals without asking any resolver.
public enum IPAddressText {
    /// True for a dotted-quad IPv4 address or an IPv6 address (no brackets, no zone).
    public static func isLiteral(_ text: String) -> Bool { isIPv4(text) || isIPv6(text) }

    public static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy { $0.isASCII && $0.isNumber } && Int(p)! <= 255
        }
    }

    public static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":"), text.count <= 45 else { return false }
        let halves = splitOnDoubleColon(text)
        guard halves.count <= 2 else { return false }
        var groups = 0
        for (h, half) in halves.enumerated() where !half.isEmpty {
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            for (i, part) in parts.enumerated() {
                if h == halves.count - 1, i == parts.count - 1, isIPv4(String(part)) { groups += 2; continue }
                guard !part.isEmpty, part.count <= 4, part.allSatisfy(\.isHexDigit) else { return false }
                groups += 1
            }
        }
        return halves.count == 2 ? groups < 8 : groups == 8
    }

    /// `"1::2"` → `["1", "2"]`, `"::1"` → `["", "1"]`; three parts mean two `::`.
    private static func splitOnDoubleColon(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var previousColon = false
        for ch in text {
            if ch == ":", previousColon {
                current.removeLast()
                parts.append(current)
                current = ""
                previousColon = false
                continue
            }
            previousColon = ch == ":"
            current.append(ch)
        }
        parts.append(current)
        return parts
    }
}
