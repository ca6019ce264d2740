/// The agent file's sections about the agent itself (DESIGN.md §8): `heartbeat`, so a silent
/// agent is noticed from outside, and `metrics`, the Prometheus textfile.
extension AgentConfig {
    /// A dead man's switch (healthchecks.io style): a GET to `url` every `every` while the
    /// scheduler is healthy. The receiving service alerts when the pings stop, which is the only
    /// way anyone learns that an agent died together with its host.
    public struct Heartbeat: Sendable, Hashable {
        /// The ping URL. Its path usually holds the check's secret UUID: logs show only the
        /// scheme, host and port.
        public var url: String
        public var every: Duration
        public var timeout: Duration
        /// Connect here instead of resolving the URL's host (as a check's `address` does).
        public var address: String?

        public init(url: String, every: Duration = .seconds(60), timeout: Duration = .seconds(10), address: String? = nil) {
            self.url = url
            self.every = every
            self.timeout = timeout
            self.address = address
        }

        /// `https://hc.example.net:443`: the URL without path, query or credentials, for logs.
        public var target: String {
            let parts = URLParts(url)
            let host = parts.host.contains(":") ? "[\(parts.host)]" : parts.host
            return "\(parts.scheme)://\(host):\(parts.port)"
        }
    }

    /// The node_exporter textfile-collector file the agent rewrites every `every`.
    public struct Metrics: Sendable, Hashable {
        /// Absolute path of the `.prom` file (resolved against the config file's folder).
        public var textfile: String
        public var every: Duration

        public init(textfile: String, every: Duration = .seconds(15)) {
            self.textfile = textfile
            self.every = every
        }
    }

    /// Reads `heartbeat: { url, every, timeout, address }`.
    static func readHeartbeat(_ reader: inout ConfigReader) -> Heartbeat? {
        let url = reader.string("url", required: true)
        if let url, let node = reader.members.first(where: { $0.key == "url" })?.value {
            let parts = URLParts(url)
            if parts.scheme != "http" && parts.scheme != "https" {
                reader.report(node, path: reader.path(of: "url"), "expected an http:// or https:// URL, found \"\(parts.scheme)://…\"")
            } else if parts.host.isEmpty {
                reader.report(node, path: reader.path(of: "url"), "the URL has no host")
            } else if !(1...65535).contains(parts.port) {
                reader.report(node, path: reader.path(of: "url"), "the URL's port is not a port")
            }
        }
        var heartbeat = Heartbeat(url: url ?? "")
        heartbeat.every = reader.duration("every", minimum: .milliseconds(100)) ?? heartbeat.every
        heartbeat.timeout = reader.duration("timeout", minimum: .milliseconds(10)) ?? heartbeat.timeout
        heartbeat.address = reader.string("address")
        if let address = heartbeat.address, IPAddress(address) == nil,
           let node = reader.members.first(where: { $0.key == "address" })?.value {
            reader.report(node, path: reader.path(of: "address"), "\"\(address)\" is not an IP address")
        }
        reader.finish()
        return url == nil ? nil : heartbeat
    }

    /// Reads `metrics: { textfile, every }`; `resolve` makes the path absolute.
    static func readMetrics(_ reader: inout ConfigReader, resolve: (String) -> String) -> Metrics? {
        let textfile = reader.string("textfile", required: true)
        if let textfile, !textfile.hasSuffix(".prom"), let node = reader.members.first(where: { $0.key == "textfile" })?.value {
            // node_exporter's textfile collector reads only *.prom files: any other name is a
            // file nobody will ever scrape.
            reader.report(node, path: reader.path(of: "textfile"), "\"\(textfile)\" does not end in .prom (node_exporter reads only *.prom files)")
        }
        let every = reader.duration("every", minimum: .seconds(1)) ?? .seconds(15)
        reader.finish()
        return textfile.map { Metrics(textfile: resolve($0), every: every) }
    }
}
