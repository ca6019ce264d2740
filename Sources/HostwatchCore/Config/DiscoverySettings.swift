/// The agent file's `discovery` section (DESIGN.md §9): which sources to read and how, how to
/// name accounts and plans, and which checks discovered domains get. Every source is on by
/// default with the command or path the packages install; `false` turns one off.
public struct DiscoverySettings: Sendable, Hashable {
    /// How a discovered vhost is checked.
    public enum WebScheme: String, Sendable, Hashable {
        /// HTTPS when the vhost has a certificate, else HTTP.
        case auto, https, http
    }

    /// How often the running agent rediscovers; nil: only `hostwatch discover`.
    public var every: Duration?
    /// Each command's time limit.
    public var timeout: Duration = .seconds(30)
    public var nginx: [String]? = ["nginx", "-T"]
    public var apache: [String]? = ["apache2ctl", "-S"]
    /// `postconf`; `-M` is added for the master.cf services.
    public var postfix: [String]? = ["postconf"]
    public var dovecot: [String]? = ["doveconf", "-n"]
    public var nsd: String? = "/etc/nsd/nsd.conf"
    public var bind: String? = "/etc/bind/named.conf"
    public var panel: PanelKind = .none
    /// Where the panel's files are (`/` on a real server; tests point at a copy).
    public var panelRoot = "/"
    /// Absolute path of the accounts TSV, when configured.
    public var accountsFile: String?
    public var plans = PlanMap()
    public var webScheme = WebScheme.auto
    /// Give discovered web checks `contains: DOMAIN`.
    public var containsDomain = false
    public var mail = true
    public var dns = true

    public init() {}

    /// Reads the `discovery` object; `resolve` makes `accounts_file` absolute.
    static func read(_ reader: inout ConfigReader, resolve: (String) -> String) -> DiscoverySettings {
        var settings = DiscoverySettings()
        let everyNode = reader.members.first { $0.key == "every" }?.value
        let zero: Bool
        switch everyNode?.value {
        case .string(let text)?: zero = text == "0" || DurationText.parse(text) == .zero
        case .number(let n)?: zero = n.integer == 0
        default: zero = false
        }
        if zero { _ = reader.take("every") } else { settings.every = reader.duration("every", minimum: .seconds(1)) }
        settings.timeout = reader.duration("timeout", minimum: .seconds(1)) ?? settings.timeout
        settings.nginx = command(&reader, "nginx", default: settings.nginx)
        settings.apache = command(&reader, "apache", default: settings.apache)
        settings.postfix = command(&reader, "postfix", default: settings.postfix)
        settings.dovecot = command(&reader, "dovecot", default: settings.dovecot)
        settings.nsd = configPath(&reader, "nsd", default: settings.nsd)
        settings.bind = configPath(&reader, "bind", default: settings.bind)
        if var panel = reader.object("panel") {
            if let node = panel.take("kind"), let text = panel.stringValue(node, path: panel.path(of: "kind")) {
                if let kind = PanelKind(rawValue: text) { settings.panel = kind } else {
                    panel.report(node, path: panel.path(of: "kind"),
                                 "expected one of \(PanelKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \"\(text)\"")
                }
            }
            settings.panelRoot = panel.string("root").map(resolve) ?? settings.panelRoot
            panel.finish()
        }
        settings.accountsFile = reader.string("accounts_file").map(resolve)
        if var plans = reader.object("plans") {
            for member in plans.members {
                guard let node = plans.take(member.key), let text = plans.stringValue(node, path: plans.path(of: member.key)) else { continue }
                if let plan = Plan(rawValue: text) { settings.plans.entries.append((member.key, plan)) } else {
                    plans.report(node, path: plans.path(of: member.key), "expected \"free\" or \"plus\", found \"\(text)\"")
                }
            }
            plans.finish()
        }
        if var web = reader.object("web") {
            if let node = web.take("scheme"), let text = web.stringValue(node, path: web.path(of: "scheme")) {
                if let scheme = WebScheme(rawValue: text) { settings.webScheme = scheme } else {
                    web.report(node, path: web.path(of: "scheme"), "expected \"auto\", \"https\" or \"http\", found \"\(text)\"")
                }
            }
            settings.containsDomain = web.bool("contains_domain") ?? settings.containsDomain
            web.finish()
        }
        settings.mail = reader.bool("mail") ?? settings.mail
        settings.dns = reader.bool("dns") ?? settings.dns
        reader.finish()
        return settings
    }

    /// `KEY: { command: [...] }` or `KEY: false`.
    private static func command(_ reader: inout ConfigReader, _ key: String, default value: [String]?) -> [String]? {
        guard let node = reader.take(key) else { return value }
        if case .bool(false) = node.value { return nil }
        guard var source = ConfigReader(node, path: reader.path(of: key), file: reader.file, problems: reader.problems) else { return value }
        defer { source.finish() }
        guard let command = source.strings("command") else { return value }
        if command.isEmpty, let n = source.members.first(where: { $0.key == "command" })?.value {
            source.report(n, path: source.path(of: "command"), "the command is empty")
            return value
        }
        return command
    }

    /// `KEY: { config: "/etc/nsd/nsd.conf" }` or `KEY: false`.
    private static func configPath(_ reader: inout ConfigReader, _ key: String, default value: String?) -> String? {
        guard let node = reader.take(key) else { return value }
        if case .bool(false) = node.value { return nil }
        guard var source = ConfigReader(node, path: reader.path(of: key), file: reader.file, problems: reader.problems) else { return value }
        defer { source.finish() }
        return source.string("config") ?? value
    }
}
