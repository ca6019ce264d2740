/// Reads bind9's `named.conf` (with its `include` files): every `zone "NAME" { type …; };`
/// at the top level or inside a `view`, and `options { listen-on [port N] { ADDRESS; }; }`.
/// Hint and forward zones, `localhost` and `.arpa` zones are not domains.
public enum BindReader {
    static let skippedTypes: Set<String> = ["hint", "forward", "delegation-only", "redirect", "static-stub"]

    public static func read(config path: String, files: any DiscoveryFileTree) -> SourceReading {
        var reading = SourceReading(source: "bind")
        var visited: Set<String> = []
        var listens: [NameserverAddress] = []
        func load(_ file: String, depth: Int) -> [BlockConfig.Directive] {
            guard visited.insert(file).inserted, depth < 8 else { return [] }
            guard let text = files.text(file) else {
                reading.warn("cannot read \(file)")
                return []
            }
            let config = BlockConfig(text, cStyleComments: true)
            for problem in config.problems { reading.warn("\(file): \(problem)") }
            return config.directives.flatMap { directive -> [BlockConfig.Directive] in
                guard directive.name == "include", let included = directive.arguments.first else { return [directive] }
                return files.expand(included).flatMap { load($0, depth: depth + 1) }
            }
        }
        func zones(_ directives: [BlockConfig.Directive]) {
            for directive in directives {
                if directive.name == "view" { zones(directive.block ?? []) }
                guard directive.name == "zone", let name = directive.arguments.first else { continue }
                let type = directive.block?.first { $0.name == "type" }?.arguments.first ?? "master"
                guard !skippedTypes.contains(type), let domain = HostNameFilter.domain(name),
                      !reading.sites.contains(where: { $0.name == domain }) else { continue }
                reading.sites.append(DiscoveredSite(name: domain, service: .dns))
            }
        }
        let root = load(path, depth: 0)
        zones(root)
        for options in root where options.name == "options" {
            for listen in options.block ?? [] where listen.name == "listen-on" {
                var port = 53
                if let p = listen.arguments.firstIndex(of: "port"), p + 1 < listen.arguments.endIndex { port = Int(listen.arguments[p + 1]) ?? 53 }
                for entry in listen.block ?? [] {
                    guard let address = entry.words.first, IPAddress(address) != nil else { continue }
                    listens.append(NameserverAddress(address: address, port: port))
                }
            }
        }
        reading.nameservers = listens.isEmpty ? [NameserverAddress(address: "127.0.0.1")] : listens
        return reading
    }
}
