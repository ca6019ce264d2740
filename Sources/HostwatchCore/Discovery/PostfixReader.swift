/// Reads postfix's own view of its configuration: `postconf` (every parameter, `name = value`,
/// defaults included) and `postconf -M` (master.cf services, one per line).
///
/// The mail domains are `virtual_mailbox_domains`, `virtual_alias_domains` and the entries of
/// `mydestination` that are not the host's own names; each is a list of names, files (`/path`:
/// names separated by spaces or commas) and maps whose source file is plain text
/// (`hash:`, `texthash:`, `btree:`, `lmdb:`, `cdb:`, `dbm:`: the keys, the domain part of
/// `user@domain` keys). A database map (`mysql:`, `pgsql:`, `ldap:` …) is a warning: its
/// domains cannot be read from a file. `myhostname` is the host's name (never a domain, and
/// the default `server.mail_host`); `smtpd_tls_cert_file` the certificate it presents.
/// From `postconf -M`: every `inet` service running `smtpd` (or `postscreen`), its address,
/// port and TLS (`-o smtpd_tls_wrappermode=yes`: implicit).
public enum PostfixReader {
    static let fileMapTypes: Set<String> = ["hash", "texthash", "btree", "lmdb", "cdb", "dbm", "sdbm"]
    static let servicePorts = ["smtp": 25, "submission": 587, "smtps": 465, "submissions": 465]

    public static func read(postconf: String, master: String?, files: any DiscoveryFileTree) -> SourceReading {
        var reading = SourceReading(source: "postfix")
        let parameters = parameters(postconf, reading: &reading)
        guard !parameters.isEmpty else {
            reading.warn("the postconf output holds no \"name = value\" lines")
            return reading
        }
        func value(_ name: String) -> String { expand(parameters[name] ?? "", parameters, depth: 0) }
        let hostName = HostNameFilter.domain(value("myhostname"))
        if let hostName {
            reading.hostNames.append(hostName)
            reading.mail.hostName = hostName
        }
        let certificate = value("smtpd_tls_cert_file")
        let chain = value("smtpd_tls_chain_files").split { $0 == "," || $0 == " " }.first.map(String.init) ?? ""
        reading.mail.certificateFile = certificate.isEmpty ? (chain.isEmpty ? nil : chain) : certificate
        var domains: [String] = []
        for parameter in ["virtual_mailbox_domains", "virtual_alias_domains", "mydestination"] {
            for name in listedNames(value(parameter), parameter: parameter, files: files, reading: &reading)
            where !domains.contains(name) && name != hostName {
                domains.append(name)
            }
        }
        reading.sites = domains.map { DiscoveredSite(name: $0, service: .mail) }
        let level = value("smtpd_tls_security_level")
        let offersTLS = reading.mail.certificateFile != nil && level != "none"
        if let master, master.contains(where: { !$0.isWhitespace }) {
            reading.mail.endpoints = endpoints(master, offersTLS: offersTLS)
        } else {
            reading.mail.endpoints = [MailService.Endpoint(kind: "smtp", address: nil, port: 25, tls: offersTLS ? .starttls : .ifOffered)]
        }
        return reading
    }

    /// `name = value` lines; a line starting with white space continues the one before.
    static func parameters(_ text: String, reading: inout SourceReading) -> [String: String] {
        var result: [String: String] = [:]
        var last: String?
        var bad = 0
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) || line.hasPrefix("#") { continue }
            if line.first!.isWhitespace, let key = last {
                result[key, default: ""] += " " + line.trimmed
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                bad += 1
                if bad <= 3 { reading.warn("line \(number + 1): expected \"name = value\", found \"\(line.prefix(60))\"") }
                continue
            }
            let key = line[..<eq].trimmed
            result[key] = line[line.index(after: eq)...].trimmed
            last = key
        }
        return result
    }

    /// `$name` and `${name}` replaced by their values, as postfix does (depth-limited: a loop
    /// of references is left unexpanded).
    static func expand(_ value: String, _ parameters: [String: String], depth: Int) -> String {
        guard value.contains("$"), depth < 10 else { return value }
        var out = ""
        var i = value.startIndex
        while i < value.endIndex {
            let c = value[i]
            guard c == "$" else {
                out.append(c)
                i = value.index(after: i)
                continue
            }
            var j = value.index(after: i)
            var name = ""
            if j < value.endIndex, value[j] == "{" || value[j] == "(" {
                let close: Character = value[j] == "{" ? "}" : ")"
                j = value.index(after: j)
                while j < value.endIndex, value[j] != close { name.append(value[j]); j = value.index(after: j) }
                if j < value.endIndex { j = value.index(after: j) }
            } else {
                while j < value.endIndex, value[j].isLetter || value[j].isNumber || value[j] == "_" { name.append(value[j]); j = value.index(after: j) }
            }
            out += expand(parameters[name] ?? "", parameters, depth: depth + 1)
            i = j
        }
        return out
    }

    /// The domain names a list parameter names, through its files and maps.
    static func listedNames(_ list: String, parameter: String, files: any DiscoveryFileTree, reading: inout SourceReading) -> [String] {
        var names: [String] = []
        for item in list.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).map(String.init) {
            if item.hasPrefix("/") {
                guard let text = files.text(item) else {
                    reading.warn("\(parameter): cannot read \(item)")
                    continue
                }
                for line in text.split(separator: "\n") where !line.trimmed.hasPrefix("#") {
                    names += line.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }).compactMap { HostNameFilter.domain(String($0)) }
                }
            } else if let colon = item.firstIndex(of: ":"), !item[..<colon].contains(".") {
                let type = String(item[..<colon])
                let path = String(item[item.index(after: colon)...])
                guard fileMapTypes.contains(type), path.hasPrefix("/") else {
                    reading.warn("\(parameter) uses \(item), which discovery cannot read (only lists, files and hash:, texthash:, btree:, lmdb:, cdb: maps)")
                    continue
                }
                guard let text = files.text(path) else {
                    reading.warn("\(parameter): cannot read the source file of \(item)")
                    continue
                }
                names += mapKeys(text).compactMap { key in
                    let domain = key.contains("@") ? String(key[key.index(after: key.lastIndex(of: "@")!)...]) : key
                    return HostNameFilter.domain(domain)
                }
            } else if let name = HostNameFilter.domain(item) {
                names.append(name)
            }
        }
        return names
    }

    /// The keys of a postfix lookup table's source (`key value`, `#` comments, continuation lines skipped).
    static func mapKeys(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard let first = line.first, !first.isWhitespace, first != "#" else { return nil }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
        }
    }

    /// smtpd listeners from `postconf -M`.
    static func endpoints(_ master: String, offersTLS: Bool) -> [MailService.Endpoint] {
        var lines: [String] = []
        for line in master.split(separator: "\n") where !line.hasPrefix("#") {
            if line.first?.isWhitespace == true, !lines.isEmpty { lines[lines.count - 1] += " " + line.trimmed } else { lines.append(String(line)) }
        }
        var found: [MailService.Endpoint] = []
        for line in lines {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 8, fields[1] == "inet", fields[7] == "smtpd" || fields[7] == "postscreen" else { continue }
            var address: String?
            var portText = fields[0]
            if let colon = fields[0].lastIndex(of: ":") {
                address = String(fields[0][..<colon]).trimmingBrackets
                portText = String(fields[0][fields[0].index(after: colon)...])
            }
            guard let port = Int(portText) ?? servicePorts[portText] else { continue }
            let options = fields.dropFirst(8).joined(separator: " ")
            let tls: MailTLS
            if options.contains("smtpd_tls_wrappermode=yes") {
                tls = .implicit
            } else if options.contains("smtpd_tls_security_level=encrypt") {
                tls = .starttls
            } else {
                tls = offersTLS ? .starttls : (port == 25 ? .ifOffered : .off)
            }
            let endpoint = MailService.Endpoint(kind: "smtp", address: address, port: port, tls: tls)
            if !found.contains(endpoint) { found.append(endpoint) }
        }
        return found
    }
}
