/// Which names a source mentions are customer domains. Default-server and wildcard names
/// (`_`, `*.x`, `~regex`), `localhost`, bare words without a dot, IP literals and names in
/// `.arpa` are not; the server's own host names are dropped later, in the merge, once every
/// source has said what they are.
public enum HostNameFilter {
    /// The name in lower case without a trailing dot, or nil when it is not a domain to watch.
    public static func domain(_ raw: String) -> String? {
        var name = raw.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name != "_", name != "localhost", !name.hasPrefix("localhost."),
              !name.contains("*"), !name.hasPrefix("~"), !name.hasPrefix("."), !name.contains("$"),
              name.contains("."), !name.hasSuffix(".arpa"), IPAddress(name) == nil,
              DomainName.isValid(name) else { return nil }
        return name
    }

    /// Splits names into the primary one and aliases: the first name that is not `www.` of
    /// another listed name is primary, so `server_name www.a.test a.test` files under a.test.
    public static func primaryAndAliases(_ names: [String]) -> (String, [String])? {
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        guard let first = unique.first else { return nil }
        let primary = unique.first { !($0.hasPrefix("www.") && unique.contains(String($0.dropFirst(4)))) } ?? first
        return (primary, unique.filter { $0 != primary })
    }
}
