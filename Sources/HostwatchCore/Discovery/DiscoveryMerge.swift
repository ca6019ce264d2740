/// Joins what every source read into one `DiscoveredDomain` per domain (pure). The server's own
/// host names (postfix `myhostname`, `server.name`, `server.mail_host`) are never domains; a
/// `www.` name whose bare name is a domain is an alias of it. The account and plan come from
/// the panel, else from the first `accounts_file` rule that matches; plan names map through
/// `plans` (default free).
public enum DiscoveryMerge {
    public static func merge(_ readings: [SourceReading], accounts: AccountsFile?, plans: PlanMap,
                             ownNames: [String] = []) -> [DiscoveredDomain] {
        let own = Set((ownNames + readings.flatMap(\.hostNames)).map { $0.lowercased() })
        var byName: [String: DiscoveredDomain] = [:]
        var order: [String] = []
        var panel: [String: DiscoveredSite] = [:]
        for reading in readings {
            for site in reading.sites where !own.contains(site.name) {
                if byName[site.name] == nil {
                    byName[site.name] = DiscoveredDomain(domain: site.name)
                    order.append(site.name)
                }
                var domain = byName[site.name]!
                if !domain.sources.contains(reading.source) { domain.sources.append(reading.source) }
                for alias in site.aliases where !own.contains(alias) && !domain.aliases.contains(alias) { domain.aliases.append(alias) }
                if let service = site.service { domain.services.insert(service) }
                for listen in site.listens where !domain.listens.contains(listen) { domain.listens.append(listen) }
                domain.certificateFile = domain.certificateFile ?? site.certificateFile
                for upstream in site.upstreams where !domain.upstreams.contains(upstream) { domain.upstreams.append(upstream) }
                domain.suspended = domain.suspended || site.suspended
                if site.account != nil, panel[site.name] == nil { panel[site.name] = site }
                byName[site.name] = domain
            }
        }
        // `www.a.test` served as its own vhost is an alias of a.test when a.test is a domain.
        for name in order where name.hasPrefix("www.") {
            let bare = String(name.dropFirst(4))
            guard var target = byName[bare], let www = byName[name] else { continue }
            if !target.aliases.contains(name) { target.aliases.append(name) }
            for alias in www.aliases where alias != bare && !target.aliases.contains(alias) { target.aliases.append(alias) }
            for source in www.sources where !target.sources.contains(source) { target.sources.append(source) }
            target.services.formUnion(www.services)
            for listen in www.listens where !target.listens.contains(listen) { target.listens.append(listen) }
            target.certificateFile = target.certificateFile ?? www.certificateFile
            byName[bare] = target
            byName[name] = nil
        }
        var merged: [DiscoveredDomain] = []
        for name in order {
            guard var domain = byName[name] else { continue }
            // A name that is another domain's alias is that domain, not one of its own.
            domain.aliases.removeAll { $0 == domain.domain }
            if let owner = panel[name] {
                domain.account = owner.contact.map { "\(owner.account!) (\($0))" } ?? owner.account
                domain.planName = owner.plan
                domain.plan = plans.plan(for: owner.plan)
            } else if let rule = accounts?.rule(for: name) {
                domain.account = rule.account
                domain.planName = rule.plan
                domain.plan = plans.plan(for: rule.plan)
            }
            domain.listens.sort()
            merged.append(domain)
        }
        return merged.sorted { $0.domain < $1.domain }
    }
}
