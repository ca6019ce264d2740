/// Reads HestiaCP's own files under `/usr/local/hestia/data/users/USER/`: `web.conf`, one line
/// per web domain of `KEY='value'` pairs whose order differs between versions (read by key:
/// `DOMAIN`, `ALIAS` comma-separated, `SSL`, `SUSPENDED`), and `user.conf` (`NAME`,
/// `CONTACT`, `PACKAGE`, `SUSPENDED`).
public enum HestiaReader {
    public static func read(root: String, files: any DiscoveryFileTree) -> SourceReading {
        var reading = SourceReading(source: "hestia")
        let usersFolder = PanelKind.path("/usr/local/hestia/data/users", under: root)
        let users = files.names(in: usersFolder)
        if users.isEmpty { reading.warn("no users in \(usersFolder)") }
        for user in users {
            guard let web = files.text("\(usersFolder)/\(user)/web.conf") else { continue }
            let owner = files.text("\(usersFolder)/\(user)/user.conf").flatMap { text in
                text.split(separator: "\n").map(KeyValueLines.quotedPairs).reduce(into: [String: String]()) { $0.merge($1) { _, b in b } }
            } ?? [:]
            let contact = [owner["NAME"], owner["CONTACT"]].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: " ")
            for (number, line) in web.split(separator: "\n").enumerated() {
                let values = KeyValueLines.quotedPairs(line)
                guard let raw = values["DOMAIN"] else {
                    reading.warn("\(usersFolder)/\(user)/web.conf:\(number + 1): no DOMAIN='…' on the line")
                    continue
                }
                guard let domain = HostNameFilter.domain(raw) else { continue }
                let aliases = (values["ALIAS"] ?? "").split(separator: ",").compactMap { HostNameFilter.domain($0.trimmed) }
                let tls = values["SSL"] == "yes"
                reading.sites.append(DiscoveredSite(
                    name: domain, aliases: aliases.filter { $0 != domain }, service: .web,
                    listens: tls ? [ListenAddress(address: nil, port: 443, tls: true)] : [ListenAddress(address: nil, port: 80, tls: false)],
                    account: user, contact: contact.isEmpty ? nil : contact, plan: owner["PACKAGE"],
                    suspended: values["SUSPENDED"] == "yes" || owner["SUSPENDED"] == "yes"))
            }
        }
        return reading
    }
}
