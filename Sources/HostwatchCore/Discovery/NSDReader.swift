/// Reads an `nsd.conf` (and the files its `include:` lines name, glob patterns too): every
/// `zone:` section's `name:`, and the `server:` section's `ip-address:` and `port:`, where the
/// local authoritative answers. Zones under `.arpa` are not domains.
public enum NSDReader {
    public static func read(config path: String, files: any DiscoveryFileTree) -> SourceReading {
        var reading = SourceReading(source: "nsd")
        guard let text = files.text(path) else {
            reading.warn("cannot read \(path)")
            return reading
        }
        var addresses: [(String, Int?)] = []
        var port = 53
        var section = ""
        var visited: Set<String> = [path]
        func walk(_ text: String, file: String, depth: Int) {
            for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                var line = raw.trimmed
                if let hash = line.firstIndex(of: "#"), !line[..<hash].contains("\"") { line = line[..<hash].trimmed }
                if line.isEmpty { continue }
                guard let colon = line.firstIndex(of: ":") else {
                    reading.warn("\(file):\(number + 1): expected \"key: value\", found \"\(line.prefix(60))\"")
                    continue
                }
                let key = line[..<colon].trimmed
                let value = unquote(line[line.index(after: colon)...].trimmed)
                if value.isEmpty && !raw.first!.isWhitespace {
                    section = key
                    continue
                }
                switch (section, key) {
                case (_, "include"):
                    guard depth < 8 else { continue }
                    let matched = files.expand(value)
                    for included in matched where visited.insert(included).inserted {
                        if let text = files.text(included) { walk(text, file: included, depth: depth + 1) } else {
                            reading.warn("cannot read \(included) (included from \(file))")
                        }
                    }
                case ("zone", "name"):
                    if let name = HostNameFilter.domain(value), !reading.sites.contains(where: { $0.name == name }) {
                        reading.sites.append(DiscoveredSite(name: name, service: .dns))
                    }
                case ("server", "ip-address"), ("server", "interface"):
                    let parts = value.split(separator: "@")
                    addresses.append((String(parts[0]), parts.count > 1 ? Int(parts[1]) : nil))
                case ("server", "port"):
                    port = Int(value) ?? port
                default:
                    break
                }
            }
        }
        walk(text, file: path, depth: 0)
        let listed = addresses.isEmpty ? [("127.0.0.1", nil)] : addresses
        reading.nameservers = listed.filter { IPAddress($0.0) != nil }.map { NameserverAddress(address: $0.0, port: $0.1 ?? port) }
        return reading
    }

    static func unquote(_ value: String) -> String {
        value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") ? String(value.dropFirst().dropLast()) : value
    }
}
