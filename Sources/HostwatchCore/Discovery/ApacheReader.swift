/// Reads Apache 2.4's `apache2ctl -S` (the parsed vhost table) and the vhost files it names.
///
/// From `-S`: each `ADDRESS:PORT` group and its `port N namevhost NAME (FILE:LINE)` lines (or
/// the one-line `ADDRESS:PORT NAME (FILE:LINE)` form), with `alias NAME` lines below them.
/// From the `<VirtualHost>` block at FILE:LINE: `ServerAlias`, `SSLEngine on`,
/// `SSLCertificateFile` and `SetHandler "proxy:…"` (the PHP-FPM socket or address).
public enum ApacheReader {
    public static func read(_ table: String, files: any DiscoveryFileTree) -> SourceReading {
        var reading = SourceReading(source: "apache")
        var group: (address: String?, port: Int)?
        var sawTable = false
        for raw in table.split(separator: "\n") {
            let line = raw.trimmed
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let first = fields.first else { continue }
            if first == "VirtualHost" { sawTable = true; continue }
            if !raw.first!.isWhitespace, let listen = listenSpec(first) {
                group = listen
                // `*:443  c.test (/etc/apache2/sites-enabled/c.conf:2)`: one vhost on its own line.
                if fields.count >= 3, fields[1] != "is", let place = place(fields.last!) {
                    add(name: fields[1], listen: listen, place: place, reading: &reading, files: files)
                }
                continue
            }
            if first == "alias", fields.count == 2, !reading.sites.isEmpty {
                if let alias = HostNameFilter.domain(fields[1]), !reading.sites[reading.sites.count - 1].aliases.contains(alias),
                   alias != reading.sites[reading.sites.count - 1].name {
                    reading.sites[reading.sites.count - 1].aliases.append(alias)
                }
                continue
            }
            if let group, fields.count >= 5, first == "port", fields[2] == "namevhost", let port = Int(fields[1]),
               let place = place(fields.last!) {
                add(name: fields[3], listen: (group.address, port), place: place, reading: &reading, files: files)
            }
        }
        if !sawTable && reading.sites.isEmpty { reading.warn("the apache2ctl -S output holds no \"VirtualHost configuration:\" table") }
        return reading
    }

    /// `127.0.1.5:80`, `*:443`, `[::1]:80` → address and port.
    static func listenSpec(_ text: String) -> (address: String?, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        let host = String(text[..<colon]).trimmingBrackets
        return (host == "*" || host == "_default_" ? nil : host, port)
    }

    /// `(/etc/apache2/sites-enabled/a.conf:1)` → file and line.
    static func place(_ text: String) -> (file: String, line: Int)? {
        guard text.hasPrefix("("), text.hasSuffix(")") else { return nil }
        let inner = text.dropFirst().dropLast()
        guard let colon = inner.lastIndex(of: ":"), let line = Int(inner[inner.index(after: colon)...]) else { return nil }
        return (String(inner[..<colon]), line)
    }

    static func add(name: String, listen: (address: String?, port: Int), place: (file: String, line: Int),
                    reading: inout SourceReading, files: any DiscoveryFileTree) {
        guard let domain = HostNameFilter.domain(name) else { return }
        var site = DiscoveredSite(name: domain, service: .web)
        var tls = false
        if let text = files.text(place.file) {
            let block = vhostBlock(text, from: place.line)
            for line in block {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { NSDReader.unquote(String($0)) }
                guard let directive = words.first?.lowercased() else { continue }
                switch directive {
                case "serveralias":
                    for alias in words.dropFirst().compactMap(HostNameFilter.domain) where !site.aliases.contains(alias) && alias != domain {
                        site.aliases.append(alias)
                    }
                case "sslengine": tls = words.count > 1 && words[1].lowercased() == "on"
                case "sslcertificatefile": site.certificateFile = words.count > 1 ? words[1] : nil
                case "sethandler":
                    let handler = words.dropFirst().joined(separator: " ")
                    if handler.lowercased().hasPrefix("proxy:") {
                        // `proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost`: the socket is the upstream.
                        let target = handler.dropFirst(6)
                        let upstream = target.hasPrefix("unix:") ? String(target.prefix { $0 != "|" }) : String(target)
                        if !site.upstreams.contains(upstream) { site.upstreams.append(upstream) }
                    }
                default: break
                }
            }
        } else {
            reading.warn("cannot read \(place.file) (named by apache2ctl -S for \(domain))")
        }
        site.listens = [ListenAddress(address: listen.address, port: listen.port, tls: tls)]
        reading.sites.append(site)
    }

    /// The lines of the `<VirtualHost>` block starting at `line` (1-based), comments dropped.
    static func vhostBlock(_ text: String, from line: Int) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return [] }
        var out: [String] = []
        for raw in lines[(line - 1)...] {
            let trimmed = raw.trimmed
            if trimmed.lowercased().hasPrefix("</virtualhost") { break }
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            out.append(trimmed)
        }
        return out
    }
}
