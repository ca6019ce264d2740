/// Reading the mail checks' entries of a domain file (`smtp`, `imap`, `pop3`, `mail_roundtrip`:
/// DESIGN.md §8), with every problem reported at its position.
extension SMTPCheck.Configuration {
    /// Reads one `smtp` object.
    static func read(_ reader: inout ConfigReader, defaults: AgentConfig.Defaults) -> SMTPCheck.Configuration? {
        let before = reader.problems.errors.count
        let port = reader.int("port", in: 1...65535) ?? 25
        let tls = MailKeys.tls(&reader, port: port)
        let (address, host) = MailKeys.place(&reader)
        let helo = reader.string("helo")
        let (user, passwordFile) = MailKeys.login(&reader, tls: tls)
        let relayTest = reader.bool("relay_test") ?? false
        if relayTest, user != nil, let node = reader.members.first(where: { $0.key == "relay_test" })?.value {
            reader.report(node, path: reader.path(of: "relay_test"),
                          "the open-relay test needs a check without \"user\": an authenticated client may relay")
        }
        let certWarningDays = reader.int("cert_warning_days", in: 0...3650) ?? defaults.certWarningDays
        let timing = AgentConfig.readTiming(&reader, base: defaults.timing)
        reader.finish()
        guard reader.problems.errors.count == before else { return nil }
        return SMTPCheck.Configuration(port: port, tls: tls, address: address, host: host, helo: helo, user: user,
                                       passwordFile: passwordFile, relayTest: relayTest, certWarningDays: certWarningDays,
                                       timing: timing)
    }
}

extension MailboxConfiguration {
    /// Reads one `imap` (default port 993) or `pop3` (995) object.
    static func read(_ reader: inout ConfigReader, defaults: AgentConfig.Defaults, defaultPort: Int) -> MailboxConfiguration? {
        let before = reader.problems.errors.count
        let port = reader.int("port", in: 1...65535) ?? defaultPort
        let tls = MailKeys.tls(&reader, port: port)
        let (address, host) = MailKeys.place(&reader)
        let (user, passwordFile) = MailKeys.login(&reader, tls: tls)
        let certWarningDays = reader.int("cert_warning_days", in: 0...3650) ?? defaults.certWarningDays
        let timing = AgentConfig.readTiming(&reader, base: defaults.timing)
        reader.finish()
        guard reader.problems.errors.count == before else { return nil }
        return MailboxConfiguration(port: port, tls: tls, address: address, host: host, user: user, passwordFile: passwordFile,
                                    certWarningDays: certWarningDays, timing: timing)
    }
}

extension MailRoundTripCheck.Configuration {
    /// Reads the `mail_roundtrip` object.
    static func read(_ reader: inout ConfigReader, defaults: AgentConfig.Defaults) -> MailRoundTripCheck.Configuration? {
        let before = reader.problems.errors.count
        let to = MailKeys.mailbox(&reader, "to", required: true)
        let from = MailKeys.mailbox(&reader, "from", required: false)
        let imapUser = reader.string("imap_user")
        let passwordFile = reader.string("password_file", required: true)
        let within = reader.duration("within", minimum: .seconds(1)) ?? .seconds(120)
        let smtpPort = reader.int("smtp_port", in: 1...65535) ?? 25
        let imapPort = reader.int("imap_port", in: 1...65535) ?? 993
        if MailTLS.default(port: imapPort) == .ifOffered, let node = reader.members.first(where: { $0.key == "imap_port" })?.value {
            reader.report(node, path: reader.path(of: "imap_port"), "port 25 is not an IMAP port")
        }
        let (address, host) = MailKeys.place(&reader)
        let timing = AgentConfig.readTiming(&reader, base: defaults.timing)
        reader.finish()
        guard reader.problems.errors.count == before, let to, let passwordFile else { return nil }
        return MailRoundTripCheck.Configuration(to: to, from: from, imapUser: imapUser ?? to, passwordFile: passwordFile,
                                                within: within, smtpPort: smtpPort, imapPort: imapPort, address: address,
                                                host: host, timing: timing)
    }
}

/// Keys the mail checks share.
enum MailKeys {
    /// `tls`: one of the four modes, defaulting by port.
    static func tls(_ reader: inout ConfigReader, port: Int) -> MailTLS {
        guard let node = reader.take("tls"), let text = reader.stringValue(node, path: reader.path(of: "tls")) else {
            return .default(port: port)
        }
        guard let tls = MailTLS(rawValue: text) else {
            reader.report(node, path: reader.path(of: "tls"), "expected \"implicit\", \"starttls\", \"if-offered\" or \"off\", found \"\(text)\"")
            return .default(port: port)
        }
        return tls
    }

    /// `address` (an IP literal: never resolved) and `host` (the certificate's name).
    static func place(_ reader: inout ConfigReader) -> (address: String?, host: String?) {
        let address = reader.string("address")
        if let address, IPAddress(address) == nil, let node = reader.members.first(where: { $0.key == "address" })?.value {
            reader.report(node, path: reader.path(of: "address"), "\"\(address)\" is not an IP address")
        }
        let host = reader.string("host")
        if let host, !DomainName.isValid(host), let node = reader.members.first(where: { $0.key == "host" })?.value {
            reader.report(node, path: reader.path(of: "host"), "\"\(host)\" is not a host name")
        }
        return (address, host)
    }

    /// `user` and `password_file`: both or neither, and never a password over plain text.
    static func login(_ reader: inout ConfigReader, tls: MailTLS) -> (user: String?, passwordFile: String?) {
        let user = reader.string("user")
        let passwordFile = reader.string("password_file")
        if user != nil, passwordFile == nil {
            reader.reportHere("\"user\" needs \"password_file\"")
        } else if user == nil, let node = reader.members.first(where: { $0.key == "password_file" })?.value, passwordFile != nil {
            reader.report(node, path: reader.path(of: "password_file"), "\"password_file\" needs \"user\"")
        }
        if user != nil, tls == .off || tls == .ifOffered, let node = reader.members.first(where: { $0.key == "user" })?.value {
            reader.report(node, path: reader.path(of: "user"),
                          "logging in needs tls \"starttls\" or \"implicit\": the password must not travel in plain text")
        }
        return (user, passwordFile)
    }

    /// An address such as `monitor@example.org`.
    static func mailbox(_ reader: inout ConfigReader, _ key: String, required: Bool) -> String? {
        guard let value = reader.string(key, required: required) else { return nil }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let valid = parts.count == 2 && !parts[0].isEmpty && DomainName.isValid(String(parts[1]))
            && !value.contains(where: { $0 == "<" || $0 == ">" || $0 == " " || $0.isNewline })
        if !valid, let node = reader.members.first(where: { $0.key == key })?.value {
            reader.report(node, path: reader.path(of: key), "\"\(value)\" is not a mail address")
            return nil
        }
        return value
    }
}
