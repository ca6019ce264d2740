/// Reads what `nginx -T` prints: every file of the effective configuration, each after a
/// `# configuration file PATH:` line, the first being the main file. `include` directives are
/// followed into the files the dump holds (glob patterns too), so a server block counts where
/// nginx itself would load it; a file the dump does not hold is a warning.
///
/// Per server block: `server_name` (wildcards, regexes, `_` and `localhost` dropped), `listen`
/// (address, port, `ssl`; nginx's default `*:80` when none), `ssl_certificate` (the server's or
/// the `http` block's), and the upstream each location passes to (`fastcgi_pass`, `proxy_pass`,
/// `uwsgi_pass`, `scgi_pass`, `grpc_pass`), an `upstream` block's name expanded to its servers.
public enum NginxReader {
    public static func read(_ dump: String) -> SourceReading {
        var reading = SourceReading(source: "nginx")
        let files = split(dump)
        guard let main = files.first else {
            reading.warn("the output holds no configuration (expected \"# configuration file …:\" lines from nginx -T)")
            return reading
        }
        let texts = Dictionary(files.map { ($0.path, $0.text) }, uniquingKeysWith: { a, _ in a })
        let prefix = main.path.contains("/") ? String(main.path[..<main.path.lastIndex(of: "/")!]) : "."
        let tree = InMemoryFileTree(texts)
        var parsed: [String: [BlockConfig.Directive]] = [:]
        func directives(of path: String) -> [BlockConfig.Directive] {
            if let cached = parsed[path] { return cached }
            let config = BlockConfig(texts[path] ?? "")
            for problem in config.problems { reading.warn("\(path): \(problem)") }
            parsed[path] = config.directives
            return config.directives
        }
        func inline(_ list: [BlockConfig.Directive], depth: Int) -> [BlockConfig.Directive] {
            list.flatMap { directive -> [BlockConfig.Directive] in
                if directive.name == "include", directive.block == nil, let pattern = directive.arguments.first {
                    guard depth < 16 else { return [] }
                    let absolute = pattern.hasPrefix("/") ? pattern : prefix + "/" + pattern
                    let matched = tree.expand(absolute).filter { texts[$0] != nil }
                    if matched.isEmpty, !(absolute.contains("*")) {
                        reading.warn("include \(absolute) is not in the nginx -T output")
                    }
                    return matched.flatMap { inline(directives(of: $0), depth: depth + 1) }
                }
                var copy = directive
                copy.block = directive.block.map { inline($0, depth: depth + 1) }
                return [copy]
            }
        }
        let root = inline(directives(of: main.path), depth: 0)
        for http in root where http.name == "http" {
            let body = http.block ?? []
            var upstreams: [String: [String]] = [:]
            for u in body where u.name == "upstream" {
                guard let name = u.arguments.first else { continue }
                upstreams[name] = (u.block ?? []).filter { $0.name == "server" }.compactMap { $0.arguments.first }
            }
            let httpCertificate = body.first { $0.name == "ssl_certificate" }?.arguments.first
            for server in body where server.name == "server" {
                if let site = site(server.block ?? [], upstreams: upstreams, httpCertificate: httpCertificate) {
                    reading.sites.append(site)
                }
            }
        }
        return reading
    }

    /// The files of an `nginx -T` dump, in order. Text without markers is one file, `nginx.conf`.
    static func split(_ dump: String) -> [(path: String, text: String)] {
        var files: [(path: String, text: String)] = []
        var current: String?
        var lines: [Substring] = []
        let marker = "# configuration file "
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(marker), line.hasSuffix(":") {
                if let current { files.append((current, lines.joined(separator: "\n"))) }
                current = String(line.dropFirst(marker.count).dropLast())
                lines = []
            } else if current != nil {
                lines.append(line)
            } else if !line.hasPrefix("nginx: ") {
                lines.append(line)
            }
        }
        if let current {
            files.append((current, lines.joined(separator: "\n")))
        } else if lines.contains(where: { !$0.allSatisfy(\.isWhitespace) }) {
            files.append(("nginx.conf", lines.joined(separator: "\n")))
        }
        return files
    }

    static func site(_ body: [BlockConfig.Directive], upstreams: [String: [String]], httpCertificate: String?) -> DiscoveredSite? {
        let names = body.filter { $0.name == "server_name" }.flatMap(\.arguments).compactMap { name -> String? in
            // `.a.test` means a.test and *.a.test: the domain is a.test.
            HostNameFilter.domain(name.hasPrefix(".") ? String(name.dropFirst()) : name)
        }
        guard let (primary, aliases) = HostNameFilter.primaryAndAliases(names) else { return nil }
        let sslOn = body.contains { $0.name == "ssl" && $0.arguments.first == "on" }
        var listens = body.filter { $0.name == "listen" }.compactMap { listen(Array($0.arguments), sslOn: sslOn) }
        if !body.contains(where: { $0.name == "listen" }) { listens = [ListenAddress(address: nil, port: 80, tls: sslOn)] }
        let certificate = body.first { $0.name == "ssl_certificate" }?.arguments.first
            ?? (listens.contains(where: \.tls) ? httpCertificate : nil)
        var found: [String] = []
        collectPasses(body, upstreams: upstreams, into: &found)
        return DiscoveredSite(name: primary, aliases: aliases, service: .web, listens: listens,
                              certificateFile: certificate, upstreams: found)
    }

    /// `listen 127.0.0.1:443 ssl http2;` → address, port, TLS; nil for a unix socket.
    static func listen(_ arguments: [String], sslOn: Bool) -> ListenAddress? {
        guard let spec = arguments.first, !spec.hasPrefix("unix:") else { return nil }
        let tls = sslOn || arguments.dropFirst().contains("ssl")
        var address: String?
        var portText = spec
        if spec.hasPrefix("["), let close = spec.firstIndex(of: "]") {
            address = String(spec[spec.index(after: spec.startIndex)..<close])
            let rest = spec[spec.index(after: close)...]
            portText = rest.hasPrefix(":") ? String(rest.dropFirst()) : "80"
        } else if let colon = spec.lastIndex(of: ":") {
            address = String(spec[..<colon])
            portText = String(spec[spec.index(after: colon)...])
        } else if Int(spec) == nil {
            address = spec
            portText = "80"
        }
        if address == "*" || address == "::" || address == "0.0.0.0" { address = nil }
        guard let port = Int(portText), (1...65535).contains(port) else { return nil }
        return ListenAddress(address: address, port: port, tls: tls)
    }

    static let passDirectives: Set<String> = ["fastcgi_pass", "proxy_pass", "uwsgi_pass", "scgi_pass", "grpc_pass"]

    static func collectPasses(_ body: [BlockConfig.Directive], upstreams: [String: [String]], into found: inout [String]) {
        for directive in body {
            if passDirectives.contains(directive.name), let target = directive.arguments.first {
                for upstream in resolve(target, upstreams: upstreams) where !found.contains(upstream) { found.append(upstream) }
            }
            if let block = directive.block { collectPasses(block, upstreams: upstreams, into: &found) }
        }
    }

    /// A pass target as the upstream it reaches: `http://backend/x` with `upstream backend
    /// { server 127.0.0.1:8080; }` is `http://127.0.0.1:8080`.
    static func resolve(_ target: String, upstreams: [String: [String]]) -> [String] {
        var scheme = ""
        var rest = Substring(target)
        if let range = target.firstRange(of: "://") {
            scheme = String(target[..<range.upperBound])
            rest = target[range.upperBound...]
        }
        var host: Substring
        if rest.hasPrefix("unix:") {
            // `http://unix:/run/app.sock:/path`: the socket ends at the next colon.
            let afterPrefix = rest.dropFirst(5)
            host = "unix:" + (afterPrefix.split(separator: ":", maxSplits: 1).first ?? afterPrefix)
        } else {
            host = rest.prefix { $0 != "/" }
        }
        if let servers = upstreams[String(host)], !servers.isEmpty { return servers.map { scheme + $0 } }
        return [scheme + host]
    }
}
