/// Reads `virtualmin list-domains --multiline`: a domain name on a line of its own (some
/// versions add a colon), then its `    Key: value` lines indented below it. Read by key:
/// `Username` (the account), `Contact email`, `Plan`, `Disabled` (present: suspended),
/// `Features` (`ssl` or `virtualmin-nginx-ssl`: HTTPS), `Alias of` (an alias domain files
/// under its target). The output can hold database passwords: nothing of it is logged.
public enum VirtualminReader {
    public static func read(_ text: String) -> SourceReading {
        var reading = SourceReading(source: "virtualmin")
        var blocks: [(name: String, values: [String: String])] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            if line.first?.isWhitespace == true {
                guard !blocks.isEmpty, let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmed
                blocks[blocks.count - 1].values[key] = line[line.index(after: colon)...].trimmed
            } else {
                var name = line.trimmed
                if name.hasSuffix(":") { name.removeLast() }
                guard !name.contains(" ") else {
                    reading.warn("line \(number + 1): expected a domain name, found \"\(line.prefix(60))\"")
                    continue
                }
                blocks.append((name, [:]))
            }
        }
        for block in blocks {
            guard let domain = HostNameFilter.domain(block.name) else { continue }
            let values = block.values
            if let target = values["Alias of"].flatMap(HostNameFilter.domain),
               let index = reading.sites.firstIndex(where: { $0.name == target }) {
                if !reading.sites[index].aliases.contains(domain) { reading.sites[index].aliases.append(domain) }
                continue
            }
            let features = Set((values["Features"] ?? "").split(separator: " ").map(String.init))
            let tls = features.contains("ssl") || features.contains("virtualmin-nginx-ssl")
            let contact = values["Contact email"].flatMap { $0.isEmpty ? nil : $0 }
            reading.sites.append(DiscoveredSite(
                name: domain, service: .web,
                listens: tls ? [ListenAddress(address: nil, port: 443, tls: true)] : [],
                account: values["Username"], contact: contact, plan: values["Plan"],
                suspended: values["Disabled"].map { !$0.isEmpty && $0.lowercased() != "no" } ?? false))
        }
        return reading
    }
}
