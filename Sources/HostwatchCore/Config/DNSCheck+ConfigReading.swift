extension DNSCheck.Configuration {
    /// The record types `expect` takes, as written in config (DESIGN.md §8 spells them in upper case).
    static let expectableTypes: [String: DNSRecordType] = ["A": .a, "AAAA": .aaaa, "MX": .mx, "NS": .ns, "TXT": .txt,
                                                           "CNAME": .cname, "CAA": .caa]

    /// Reads the `dns` object of a domain file. `pointsHereDefault` is true when the domain has
    /// a web or mail check (its services are expected here, so its DNS should send people here).
    static func read(_ reader: inout ConfigReader, defaults: AgentConfig.Defaults, pointsHereDefault: Bool) -> DNSCheck.Configuration? {
        var nameservers: [DNSCheck.Nameserver]?
        if let node = reader.take("nameservers") {
            let path = reader.path(of: "nameservers")
            nameservers = reader.list(node, path: path) { item, itemPath in nameserver(item, path: itemPath, in: reader) }
            if let list = nameservers {
                if list.isEmpty { reader.report(node, path: path, "list at least one nameserver") }
                var seen: Set<DNSServer> = []
                for (i, nameserver) in list.enumerated() where !seen.insert(nameserver.server).inserted {
                    if case .array(let items) = node.value {
                        reader.report(items[i], path: JSON5Path.appending(path, index: i), "\(nameserver.server) is listed twice")
                    }
                }
            }
        } else {
            reader.reportHere("missing required key \"nameservers\"")
        }
        var expect: [DNSRecordType: DNSCheck.Expectation] = [:]
        if var e = reader.object("expect") {
            for (key, type) in expectableTypes.sorted(by: { $0.value < $1.value }) {
                guard let node = e.take(key) else { continue }
                let path = e.path(of: key)
                guard let texts = e.list(node, path: path, { e.stringValue($0, path: $1) }) else { continue }
                if type == .txt {
                    expect[type] = .contains(texts)
                    continue
                }
                var records: Set<DNSRecordData> = []
                var bad = false
                if case .array(let items) = node.value {
                    for (i, text) in texts.enumerated() {
                        switch DNSCheck.Expectation.record(type, from: text) {
                        case .success(let data): records.insert(data)
                        case .failure(let problem):
                            e.report(items[i], path: JSON5Path.appending(path, index: i), problem.message)
                            bad = true
                        }
                    }
                }
                if !bad { expect[type] = .exactly(records) }
            }
            e.finish()
        }
        let pointsHere = reader.bool("points_here") ?? pointsHereDefault
        let timing = AgentConfig.readTiming(&reader, base: defaults.timing)
        reader.finish()
        guard let nameservers, !nameservers.isEmpty else { return nil }
        return DNSCheck.Configuration(nameservers: nameservers, expect: expect, pointsHere: pointsHere, timing: timing)
    }

    /// One nameserver: `"203.0.113.54"` or `{ name, address, port }`.
    private static func nameserver(_ node: JSON5Node, path: String, in reader: ConfigReader) -> DNSCheck.Nameserver? {
        func address(_ text: String, at node: JSON5Node, path: String) -> String? {
            guard let ip = IPAddress(text) else {
                reader.report(node, path: path, "\"\(text)\" is not an IP address (nameservers are given by address: hostwatch never resolves names)")
                return nil
            }
            return ip.description
        }
        if case .string(let text) = node.value {
            return address(text, at: node, path: path).map { DNSCheck.Nameserver(server: DNSServer(address: $0)) }
        }
        guard var object = ConfigReader(node, path: path, file: reader.file, problems: reader.problems) else { return nil }
        var name: DNSName?
        if let text = object.string("name"), let nameNode = object.members.first(where: { $0.key == "name" })?.value {
            do { name = try DNSName(text) } catch {
                object.report(nameNode, path: object.path(of: "name"), "\"\(text)\" is not a domain name: \(error)")
            }
        }
        var ip: String?
        if let text = object.string("address", required: true), let addressNode = object.members.first(where: { $0.key == "address" })?.value {
            ip = address(text, at: addressNode, path: object.path(of: "address"))
        }
        // Not in DESIGN.md §8: a port other than 53, for nameservers on test or lab addresses.
        let port = object.int("port", in: 1...65535) ?? 53
        object.finish()
        guard let ip else { return nil }
        return DNSCheck.Nameserver(name: name, server: DNSServer(address: ip, port: port))
    }
}

extension DNSCheck.Expectation {
    /// Why an expected record's text could not be read.
    struct Problem: Error {
        var message: String
    }

    /// Reads one expected record in zone-file form: `203.0.113.10` (A), `2001:db8::10` (AAAA),
    /// `10 mail.example.org.` (MX), `ns1.example.net.` (NS, CNAME), `0 issue "ca.example"` (CAA).
    static func record(_ type: DNSRecordType, from text: String) -> Result<DNSRecordData, Problem> {
        func name(_ text: Substring) -> Result<DNSName, Problem> {
            do { return .success(try DNSName(String(text))) } catch {
                return .failure(Problem(message: "\"\(text)\" is not a domain name: \(error)"))
            }
        }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        switch type {
        case .a, .aaaa:
            guard let ip = IPAddress(text), ip.isIPv4 == (type == .a) else {
                return .failure(Problem(message: "\"\(text)\" is not an \(type == .a ? "IPv4" : "IPv6") address"))
            }
            return .success(type == .a ? .a(ip) : .aaaa(ip))
        case .mx:
            guard words.count == 2, let preference = UInt16(words[0]) else {
                return .failure(Problem(message: "\"\(text)\" is not an MX record (write \"10 mail.example.org.\")"))
            }
            return name(words[1]).map { .mx(preference: preference, exchange: $0) }
        case .ns, .cname:
            guard words.count == 1 else { return .failure(Problem(message: "\"\(text)\" is not a domain name")) }
            return name(words[0]).map { type == .ns ? .ns($0) : .cname($0) }
        case .caa:
            guard words.count >= 3, let flags = UInt8(words[0]), words[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                return .failure(Problem(message: "\"\(text)\" is not a CAA record (write \"0 issue \\\"letsencrypt.org\\\"\")"))
            }
            var value = words[2...].joined(separator: " ")
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return .success(.caa(flags: flags, tag: String(words[1]).lowercased(), value: Array(value.utf8)))
        default:
            return .failure(Problem(message: "\(type) records cannot be expected"))
        }
    }
}
