/// Reads DirectAdmin's own files: every `data/users/USER/domains.list` (one domain a line)
/// under `/usr/local/directadmin`, and that user's `user.conf` (`package=`, `email=`,
/// `name=`, `suspended=yes`).
public enum DirectAdminReader {
    public static func read(root: String, files: any DiscoveryFileTree) -> SourceReading {
        var reading = SourceReading(source: "directadmin")
        let usersFolder = PanelKind.path("/usr/local/directadmin/data/users", under: root)
        let users = files.names(in: usersFolder)
        if users.isEmpty { reading.warn("no users in \(usersFolder)") }
        for user in users {
            guard let list = files.text("\(usersFolder)/\(user)/domains.list") else { continue }
            let values = files.text("\(usersFolder)/\(user)/user.conf").map(KeyValueLines.parse) ?? [:]
            if values.isEmpty { reading.warn("no readable \(usersFolder)/\(user)/user.conf") }
            let contact = [values["name"], values["email"]].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: " ")
            for line in list.split(separator: "\n") {
                guard let domain = HostNameFilter.domain(line.trimmed) else { continue }
                reading.sites.append(DiscoveredSite(name: domain, service: .web, account: user,
                                                    contact: contact.isEmpty ? nil : contact, plan: values["package"],
                                                    suspended: values["suspended"] == "yes"))
            }
        }
        return reading
    }
}
