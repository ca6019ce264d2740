/// The agent file's delivery sections (DESIGN.md §8):
/// `tickets: { deliver: [ {type: "email", …}, {type: "rt", …}, {type: "webhook", …} ],
///             retry: { first: "5s", max: "10m" }, warn_after: "15m" }` and `oncall: { email: […] }`.
extension AgentConfig {
    /// Reads `oncall: { email: [...] }` from the root reader.
    static func readOncall(_ reader: inout ConfigReader) -> [String] {
        guard var oncall = reader.object("oncall") else { return [] }
        defer { oncall.finish() }
        return readAddresses(&oncall, "email") ?? []
    }

    /// Reads the delivery keys of the `tickets` section (`deliver`, `retry`, `warn_after`);
    /// the caller finishes the reader. `configFolder` is where `*_file` values resolve;
    /// `caFile` is the agent's `tls.ca_file`; `oncall` the addresses critical e-mail also goes to.
    static func readDelivery(_ tickets: inout ConfigReader, oncall: [String], configFolder: String, caFile: String?) -> DeliverySettings {
        var settings = DeliverySettings()
        settings.oncallEmail = oncall
        if var retry = tickets.object("retry") {
            let first = retry.duration("first", minimum: .milliseconds(10)) ?? settings.retry.first
            let maximum = retry.duration("max", minimum: .milliseconds(10)) ?? settings.retry.maximum
            if maximum < first, let node = retry.members.first(where: { $0.key == "max" })?.value {
                retry.report(node, path: retry.path(of: "max"), "is shorter than retry.first")
            }
            settings.retry.first = first
            settings.retry.maximum = max(first, maximum)
            retry.finish()
        }
        settings.retry.warnAfter = tickets.duration("warn_after", minimum: .seconds(1)) ?? settings.retry.warnAfter
        if let node = tickets.take("deliver") {
            let file = tickets.file
            let problems = tickets.problems
            settings.sinks = tickets.list(node, path: tickets.path(of: "deliver")) { item, itemPath in
                guard var sink = ConfigReader(item, path: itemPath, file: file, problems: problems) else { return nil }
                return readSink(&sink, configFolder: configFolder, caFile: caFile, oncall: settings.oncallEmail)
            } ?? []
            var seen: [String: Int] = [:]
            if case .array(let items) = node.value {
                for (i, spec) in settings.sinks.enumerated() {
                    if let earlier = seen[spec.name] {
                        tickets.report(items[i], path: JSON5Path.appending(tickets.path(of: "deliver"), index: i),
                                       "a second sink named \"\(spec.name)\" (deliver[\(earlier)] has it): give one a distinct \"name\"")
                    }
                    seen[spec.name] = i
                }
            }
        }
        return settings
    }

    static func readSink(_ reader: inout ConfigReader, configFolder: String, caFile: String?, oncall: [String]) -> SinkSpec? {
        defer { reader.finish() }
        guard let typeNode = reader.take("type") else {
            reader.reportHere("missing required key \"type\" (one of: \(SinkSpec.types.joined(separator: ", ")))")
            return nil
        }
        guard let type = reader.stringValue(typeNode, path: reader.path(of: "type")) else { return nil }
        let name = reader.string("name")
        if let name, name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }),
           let node = reader.members.first(where: { $0.key == "name" })?.value {
            reader.report(node, path: reader.path(of: "name"), "\"\(name)\" is not a plain name (letters, digits, - and _)")
        }
        let before = reader.problems.errors.count
        let address = reader.string("address")
        if let address, IPAddress(address) == nil, let node = reader.members.first(where: { $0.key == "address" })?.value {
            reader.report(node, path: reader.path(of: "address"), "\"\(address)\" is not an IP address")
        }
        let spec: SinkSpec?
        switch type {
        case "email":
            var c = EmailSinkConfiguration()
            c.name = name ?? "email"
            c.address = address
            c.oncall = oncall
            c.caFile = caFile
            c.to = readAddresses(&reader, "to", required: true) ?? []
            c.from = readAddress(&reader, "from", required: true) ?? ""
            c.replyTo = readAddress(&reader, "reply_to")
            c.smtp = readURL(&reader, "smtp", schemes: ["smtp", "smtps"]) ?? ""
            if let node = reader.take("tls"), let text = reader.stringValue(node, path: reader.path(of: "tls")) {
                if let tls = EmailSinkConfiguration.TLS(rawValue: text) { c.tls = tls } else {
                    reader.report(node, path: reader.path(of: "tls"), "expected one of \(EmailSinkConfiguration.TLS.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \"\(text)\"")
                }
            } else if c.smtp.hasPrefix("smtps://") {
                c.tls = .implicit
            }
            if c.smtp.hasPrefix("smtps://") != (c.tls == .implicit), reader.has("tls"), !c.smtp.isEmpty,
               let node = reader.members.first(where: { $0.key == "tls" })?.value {
                reader.report(node, path: reader.path(of: "tls"), "tls \"implicit\" goes with an smtps:// relay URL, and smtps:// with \"implicit\"")
            }
            c.user = reader.string("user")
            c.password = readSecret(&reader, "password_file", configFolder: configFolder)
            if (c.user == nil) != (c.password == nil) {
                reader.reportHere("\"user\" and \"password_file\" go together (AUTH to the relay)")
            }
            if c.password != nil, c.tls == .off || c.tls == .ifOffered, let node = reader.members.first(where: { $0.key == "password_file" })?.value {
                reader.report(node, path: reader.path(of: "password_file"), "a password is sent only over TLS: set tls to \"starttls\" or \"implicit\"")
            }
            c.subjectPrefix = reader.string("subject_prefix") ?? c.subjectPrefix
            if let node = reader.take("helpdesk_tag"), let text = reader.stringValue(node, path: reader.path(of: "helpdesk_tag")) {
                if (try? Regex(text)) == nil {
                    reader.report(node, path: reader.path(of: "helpdesk_tag"), "\"\(text)\" is not a regular expression")
                } else {
                    c.helpdeskTag = text
                }
            }
            c.timeout = reader.duration("timeout", minimum: .seconds(1)) ?? c.timeout
            spec = .email(c)
        case "rt":
            var c = RTSinkConfiguration()
            c.name = name ?? "rt"
            c.address = address
            c.caFile = caFile
            c.url = readURL(&reader, "url", schemes: ["http", "https"]) ?? ""
            while c.url.hasSuffix("/") { c.url.removeLast() }
            if c.url.hasSuffix("/REST/2.0") { c.url.removeLast("/REST/2.0".count) }
            c.queue = reader.string("queue", required: true) ?? ""
            c.token = readSecret(&reader, "token_file", configFolder: configFolder, required: true)
            if var fields = reader.object("custom_fields") {
                c.customFields.fingerprint = fields.string("fingerprint") ?? c.customFields.fingerprint
                c.customFields.domain = fields.string("domain") ?? c.customFields.domain
                c.customFields.severity = fields.string("severity") ?? c.customFields.severity
                fields.finish()
            }
            if var p = reader.object("priority") {
                c.priorities.critical = p.int("critical", in: 0...99) ?? c.priorities.critical
                c.priorities.warning = p.int("warning", in: 0...99) ?? c.priorities.warning
                c.priorities.plus = p.int("plus", in: 0...99) ?? c.priorities.plus
                p.finish()
            }
            c.requestor = readAddress(&reader, "requestor")
            c.resolveStatus = reader.string("resolve_status") ?? c.resolveStatus
            c.reopenStatus = reader.string("reopen_status") ?? c.reopenStatus
            c.timeout = reader.duration("timeout", minimum: .seconds(1)) ?? c.timeout
            spec = .rt(c)
        case "webhook":
            var c = WebhookSinkConfiguration()
            c.name = name ?? "webhook"
            c.address = address
            c.caFile = caFile
            c.url = readURL(&reader, "url", schemes: ["http", "https"]) ?? ""
            c.token = readSecret(&reader, "token_file", configFolder: configFolder)
            c.timeout = reader.duration("timeout", minimum: .milliseconds(100)) ?? c.timeout
            spec = .webhook(c)
        default:
            reader.report(typeNode, path: reader.path(of: "type"),
                          "unknown sink type \"\(type)\" (one of: \(SinkSpec.types.joined(separator: ", ")))")
            for member in reader.members { _ = reader.take(member.key) }
            return nil
        }
        return reader.problems.errors[before...].contains { !$0.isNotice } ? nil : spec
    }

    static func readSecret(_ reader: inout ConfigReader, _ key: String, configFolder: String, required: Bool = false) -> SecretReference? {
        guard let node = reader.take(key) else {
            if required { reader.reportHere("missing required key \"\(key)\"") }
            return nil
        }
        guard let value = reader.stringValue(node, path: reader.path(of: key)) else { return nil }
        guard !value.isEmpty else {
            reader.report(node, path: reader.path(of: key), "is empty")
            return nil
        }
        return SecretReference(value: value, configFolder: configFolder, file: reader.file, position: node.position, keyPath: reader.path(of: key))
    }

    static func readAddresses(_ reader: inout ConfigReader, _ key: String, required: Bool = false) -> [String]? {
        guard let node = reader.take(key) else {
            if required { reader.reportHere("missing required key \"\(key)\"") }
            return nil
        }
        let path = reader.path(of: key)
        let list: [String]?
        if case .string = node.value {
            list = reader.stringValue(node, path: path).map { [$0] }
        } else {
            list = reader.list(node, path: path) { reader.stringValue($0, path: $1) }
        }
        guard let list else { return nil }
        if required, list.isEmpty { reader.report(node, path: path, "needs at least one address") }
        for address in list where !EmailAddressText.isPlain(address) {
            reader.report(node, path: path, "\"\(address)\" is not an e-mail address (local@domain)")
            return nil
        }
        return list
    }

    static func readAddress(_ reader: inout ConfigReader, _ key: String, required: Bool = false) -> String? {
        guard let value = reader.string(key, required: required) else { return nil }
        if !EmailAddressText.isPlain(value), let node = reader.members.first(where: { $0.key == key })?.value {
            reader.report(node, path: reader.path(of: key), "\"\(value)\" is not an e-mail address (local@domain)")
            return nil
        }
        return value
    }

    static func readURL(_ reader: inout ConfigReader, _ key: String, schemes: [String]) -> String? {
        guard let text = reader.string(key, required: true), let node = reader.members.first(where: { $0.key == key })?.value else { return nil }
        let path = reader.path(of: key)
        guard let scheme = text.firstRange(of: "://").map({ text[..<$0.lowerBound].lowercased() }), schemes.contains(scheme) else {
            reader.report(node, path: path, "\"\(text)\" is not a URL starting with \(schemes.map { "\($0)://" }.joined(separator: " or "))")
            return nil
        }
        let rest = text.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") {
            reader.report(node, path: path, "credentials do not belong in the URL: use the *_file keys")
            return nil
        }
        var host = Substring(authority)
        var port: Substring = ""
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                reader.report(node, path: path, "\"\(text)\" has an unclosed [ in its host")
                return nil
            }
            port = host[host.index(after: close)...].drop { $0 == ":" }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            port = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:".contains($0)) }) else {
            reader.report(node, path: path, "\"\(text)\" has no usable host")
            return nil
        }
        if !port.isEmpty, Int(port).map({ !(1...65535).contains($0) }) ?? true {
            reader.report(node, path: path, "\"\(port)\" is not a port")
            return nil
        }
        return text
    }
}

/// Recognises a plain e-mail address (`local@domain`, no display name, no spaces or angle
/// brackets, which would let a configured value inject SMTP or header syntax).
public enum EmailAddressText {
    public static func isPlain(_ text: String) -> Bool {
        guard let at = text.lastIndex(of: "@"), at != text.startIndex, text.index(after: at) != text.endIndex else { return false }
        return text.count <= 254 && text.allSatisfy { $0.isASCII && !$0.isWhitespace && !"<>()[],;:\\\"".contains($0) && $0.asciiValue! >= 33 }
    }

    /// The part after the `@`.
    public static func domain(of address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return address }
        return String(address[address.index(after: at)...])
    }
}
