/// One domain file (`checks/example.org.json5`): the domain, its account and plan, and its checks.
public struct DomainConfig: Sendable, Hashable {
    public var domain: String
    public var account: String
    public var plan: Plan
    public var checks: [CheckSpec]
    /// The file it came from, for messages.
    public var file: String

    /// Keys whose checks expect the domain's services on this server (`points_here` defaults on).
    static let serviceChecks = ["web", "smtp", "imap", "pop3", "mail_roundtrip"]

    /// Reads a domain file's root object, with the agent's defaults. Nil when there were errors.
    public static func read(_ root: JSON5Node, file: String, defaults: AgentConfig.Defaults,
                            problems: ConfigReader.Problems) -> DomainConfig? {
        guard var reader = ConfigReader(root, path: "", file: file, problems: problems) else { return nil }
        let before = problems.errors.count
        let domain = reader.string("domain", required: true)
        if let domain, !DomainName.isValid(domain), let node = reader.members.first(where: { $0.key == "domain" })?.value {
            reader.report(node, path: "domain", "\"\(domain)\" is not a domain name")
        }
        let account = reader.string("account") ?? domain ?? ""
        var plan = Plan.free
        if let node = reader.take("plan"), let text = reader.stringValue(node, path: "plan") {
            if let p = Plan(rawValue: text) { plan = p } else { reader.report(node, path: "plan", "expected \"free\" or \"plus\", found \"\(text)\"") }
        }
        var checks: [CheckSpec] = []
        for (web, index) in reader.objects("web") {
            var web = web
            if let configuration = HTTPCheck.Configuration.read(&web, defaults: defaults) {
                checks.append(.web(configuration, index: index))
            }
        }
        for (smtp, index) in reader.objects("smtp") {
            var smtp = smtp
            if let configuration = SMTPCheck.Configuration.read(&smtp, defaults: defaults) { checks.append(.smtp(configuration, index: index)) }
        }
        for (imap, index) in reader.objects("imap") {
            var imap = imap
            if let configuration = MailboxConfiguration.read(&imap, defaults: defaults, defaultPort: 993) { checks.append(.imap(configuration, index: index)) }
        }
        for (pop3, index) in reader.objects("pop3") {
            var pop3 = pop3
            if let configuration = MailboxConfiguration.read(&pop3, defaults: defaults, defaultPort: 995) { checks.append(.pop3(configuration, index: index)) }
        }
        if var roundTrip = reader.object("mail_roundtrip"),
           let configuration = MailRoundTripCheck.Configuration.read(&roundTrip, defaults: defaults) {
            checks.append(.mailRoundTrip(configuration))
        }
        if var dns = reader.object("dns") {
            let pointsHere = serviceChecks.contains { reader.has($0) }
            if let configuration = DNSCheck.Configuration.read(&dns, defaults: defaults, pointsHereDefault: pointsHere) {
                checks.append(.dns(configuration))
            }
        }
        reader.finish()
        guard let domain, problems.errors[before...].allSatisfy(\.isNotice) else { return nil }
        return DomainConfig(domain: domain, account: account, plan: plan, checks: checks, file: file)
    }
}

/// A configured check, chosen by its key in the domain file.
public enum CheckSpec: Sendable, Hashable {
    case web(HTTPCheck.Configuration, index: Int?)
    case smtp(SMTPCheck.Configuration, index: Int?)
    case imap(IMAPCheck.Configuration, index: Int?)
    case pop3(POP3Check.Configuration, index: Int?)
    case mailRoundTrip(MailRoundTripCheck.Configuration)
    case dns(DNSCheck.Configuration)

    /// The check kind as written in config.
    public var kind: String {
        switch self {
        case .web: "web"
        case .smtp: "smtp"
        case .imap: "imap"
        case .pop3: "pop3"
        case .mailRoundTrip: "mail_roundtrip"
        case .dns: "dns"
        }
    }

    public var index: Int? {
        switch self {
        case .web(_, let index), .smtp(_, let index), .imap(_, let index), .pop3(_, let index): index
        case .mailRoundTrip, .dns: nil
        }
    }

    public var timing: CheckTiming {
        switch self {
        case .web(let c, _): c.timing
        case .smtp(let c, _): c.timing
        case .imap(let c, _): c.timing
        case .pop3(let c, _): c.timing
        case .mailRoundTrip(let c): c.timing
        case .dns(let c): c.timing
        }
    }
}

extension HTTPCheck.Configuration {
    /// Reads one `web` object.
    static func read(_ reader: inout ConfigReader, defaults: AgentConfig.Defaults) -> HTTPCheck.Configuration? {
        let url = reader.string("url", required: true)
        if let url, let node = reader.members.first(where: { $0.key == "url" })?.value {
            let parts = URLParts(url)
            if parts.scheme != "http" && parts.scheme != "https" {
                reader.report(node, path: reader.path(of: "url"), "expected an http:// or https:// URL, found \"\(url)\"")
            } else if parts.host.isEmpty {
                reader.report(node, path: reader.path(of: "url"), "the URL has no host")
            } else if !(1...65535).contains(parts.port) {
                reader.report(node, path: reader.path(of: "url"), "the URL's port is not a port")
            }
        }
        let address = reader.string("address")
        if let address, IPAddress(address) == nil, let node = reader.members.first(where: { $0.key == "address" })?.value {
            reader.report(node, path: reader.path(of: "address"), "\"\(address)\" is not an IP address")
        }
        let expectStatus = reader.ints("expect_status", in: 100...599) ?? []
        let contains = reader.string("contains")
        let forbids = reader.strings("forbids") ?? []
        let certWarningDays = reader.int("cert_warning_days", in: 0...3650) ?? defaults.certWarningDays
        let upstream = reader.string("upstream")
        if let upstream, upstream.isEmpty || upstream.contains(where: \.isWhitespace),
           let node = reader.members.first(where: { $0.key == "upstream" })?.value {
            reader.report(node, path: reader.path(of: "upstream"), "expected an upstream such as \"unix:/run/php/php8.2-fpm.sock\" or \"127.0.0.1:9000\"")
        }
        let timing = AgentConfig.readTiming(&reader, base: defaults.timing)
        reader.finish()
        guard let url else { return nil }
        return HTTPCheck.Configuration(url: url, address: address, expectStatus: expectStatus, contains: contains,
                                       forbids: forbids, certWarningDays: certWarningDays, timing: timing, upstream: upstream)
    }
}

/// Checks the shape of a domain name (RFC 1035 §2.3.1, with digits allowed first per RFC 1123).
public enum DomainName {
    public static func isValid(_ name: String) -> Bool {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else { return false }
        return trimmed.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}
