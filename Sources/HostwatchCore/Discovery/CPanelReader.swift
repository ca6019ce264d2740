/// Reads cPanel's own files: `/etc/userdomains` (`domain: user`, one line per domain, the
/// `*: nobody` line skipped) and `/var/cpanel/users/USER` (`PLAN=`, `CONTACTEMAIL=`,
/// `SUSPENDED=1`); a file in `/var/cpanel/suspended/` also marks the user suspended.
public enum CPanelReader {
    public static func read(root: String, files: any DiscoveryFileTree) -> SourceReading {
        var reading = SourceReading(source: "cpanel")
        let path = PanelKind.path("/etc/userdomains", under: root)
        guard let text = files.text(path) else {
            reading.warn("cannot read \(path)")
            return reading
        }
        var users: [String: (plan: String?, contact: String?, suspended: Bool)] = [:]
        let suspendedUsers = Set(files.names(in: PanelKind.path("/var/cpanel/suspended", under: root)))
        for (number, line) in text.split(separator: "\n").enumerated() {
            guard let colon = line.firstIndex(of: ":") else {
                reading.warn("\(path):\(number + 1): expected \"domain: user\", found \"\(line.prefix(60))\"")
                continue
            }
            let user = line[line.index(after: colon)...].trimmed
            guard let domain = HostNameFilter.domain(line[..<colon].trimmed), !user.isEmpty, user != "nobody" else { continue }
            if users[user] == nil {
                let values = files.text(PanelKind.path("/var/cpanel/users/\(user)", under: root)).map(KeyValueLines.parse) ?? [:]
                if values.isEmpty { reading.warn("no readable /var/cpanel/users/\(user) for \(domain)") }
                users[user] = (values["PLAN"], values["CONTACTEMAIL"].flatMap { $0.isEmpty ? nil : $0 },
                               values["SUSPENDED"] == "1" || suspendedUsers.contains(user))
            }
            let info = users[user]!
            reading.sites.append(DiscoveredSite(name: domain, service: .web, account: user, contact: info.contact,
                                                plan: info.plan, suspended: info.suspended))
        }
        return reading
    }
}
