/// Reads Plesk through its CLI: `plesk bin site --list` (one domain a line) and, per domain,
/// `plesk bin subscription --info DOMAIN` (or `plesk bin domain --info DOMAIN` for a site that
/// is not a subscription): sections of `Key:   value` lines under `=====` rules. Read by key:
/// `Owner's contact name: NAME (LOGIN)` (the account is the login, the contact the name),
/// `Domain status` (anything but `OK` is suspended), `SSL/TLS support: On`, and a
/// `Service plan` line where the output has one.
public enum PleskReader {
    /// - Parameter info: each domain's `--info` output; a domain without one is still listed.
    public static func read(siteList: String, info: [String: String]) -> SourceReading {
        var reading = SourceReading(source: "plesk")
        for line in siteList.split(separator: "\n") {
            let raw = line.trimmed
            guard !raw.isEmpty else { continue }
            guard let domain = HostNameFilter.domain(raw) else {
                if raw.contains(" ") { reading.warn("site --list: \"\(raw.prefix(60))\" is not a domain name") }
                continue
            }
            var site = DiscoveredSite(name: domain, service: .web)
            if let text = info[domain] {
                let values = fields(text)
                if let owner = values["Owner's contact name"], !owner.isEmpty {
                    if let open = owner.lastIndex(of: "("), owner.hasSuffix(")") {
                        site.account = String(owner[owner.index(after: open)..<owner.index(before: owner.endIndex)]).trimmed
                        let name = owner[..<open].trimmed
                        site.contact = name.isEmpty ? nil : name
                    } else {
                        site.account = owner
                    }
                }
                if let status = values["Domain status"], status != "OK" { site.suspended = true }
                if values["SSL/TLS support"] == "On" { site.listens = [ListenAddress(address: nil, port: 443, tls: true)] }
                site.plan = values["Service plan"] ?? values["Plan"]
            }
            reading.sites.append(site)
        }
        return reading
    }

    /// `Key:   value` lines (the first colon splits; section titles and rules skipped).
    static func fields(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("=") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmed
            if values[key] == nil { values[key] = line[line.index(after: colon)...].trimmed }
        }
        return values
    }
}
