/// Reads `doveconf -n` (the settings that differ from dovecot's defaults, in its own
/// `key = value` and `section name { … }` syntax): `protocols`, `listen`, `ssl`, `ssl_cert`,
/// and the `inet_listener`s of `service imap-login` and `service pop3-login`. A listener
/// `doveconf -n` does not show has its default port (imap 143, imaps 993, pop3 110, pop3s 995);
/// `port = 0` turns it off. Dovecot names no domains: it serves every mail domain postfix does.
public enum DovecotReader {
    static let defaults: [String: [(listener: String, port: Int, implicit: Bool)]] = [
        "imap": [("imap", 143, false), ("imaps", 993, true)],
        "pop3": [("pop3", 110, false), ("pop3s", 995, true)],
    ]

    public static func read(_ text: String) -> SourceReading {
        var reading = SourceReading(source: "dovecot")
        var top: [String: String] = [:]
        /// `service/inet_listener` → its settings.
        var listeners: [String: [String: [String: String]]] = [:]
        var stack: [(kind: String, name: String)] = []
        var sawSetting = false
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmed
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line == "}" {
                if stack.isEmpty { reading.warn("line \(number + 1): unexpected \"}\"") } else { stack.removeLast() }
                continue
            }
            if line.hasSuffix("{") {
                let words = line.dropLast().split(separator: " ").map(String.init)
                stack.append((words.first ?? "", words.dropFirst().joined(separator: " ")))
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                reading.warn("line \(number + 1): expected \"key = value\", found \"\(line.prefix(60))\"")
                continue
            }
            sawSetting = true
            let key = line[..<eq].trimmed
            let value = line[line.index(after: eq)...].trimmed
            if stack.isEmpty {
                top[key] = value
            } else if stack.count == 2, stack[0].kind == "service", stack[1].kind == "inet_listener" {
                listeners[stack[0].name, default: [:]][stack[1].name, default: [:]][key] = value
            }
        }
        if !stack.isEmpty { reading.warn("the output ends inside \"\(stack.last!.kind)\" (a \"}\" is missing)") }
        guard sawSetting else {
            reading.warn("the doveconf -n output holds no settings")
            return reading
        }
        let ssl = top["ssl"] ?? "yes"
        let tlsOn = ssl != "no"
        if let cert = top["ssl_cert"], tlsOn {
            reading.mail.certificateFile = cert.hasPrefix("<") ? String(cert.dropFirst()).trimmed : cert
        }
        if let hostname = top["hostname"].flatMap(HostNameFilter.domain) { reading.mail.hostName = hostname }
        let listen = (top["listen"] ?? "*").split { $0 == "," || $0 == " " }.map { String($0).trimmingBrackets }
            .first { $0 != "*" && $0 != "::" && $0 != "0.0.0.0" }
        let protocols = (top["protocols"] ?? "imap pop3 lmtp").split(separator: " ").map(String.init)
        for proto in ["imap", "pop3"] where protocols.contains(proto) {
            for (name, defaultPort, implicit) in defaults[proto] ?? [] {
                let settings = listeners["\(proto)-login"]?[name] ?? [:]
                let port = settings["port"].flatMap { Int($0) } ?? defaultPort
                guard port > 0 else { continue }
                let listenerTLS = implicit || settings["ssl"] == "yes"
                if listenerTLS && !tlsOn { continue }
                let address = settings["address"].flatMap { $0.split { $0 == "," || $0 == " " }.first.map { String($0).trimmingBrackets } } ?? listen
                let tls: MailTLS = listenerTLS ? .implicit : (tlsOn ? .starttls : .off)
                reading.mail.endpoints.append(MailService.Endpoint(kind: proto, address: address == "*" ? nil : address, port: port, tls: tls))
            }
        }
        return reading
    }
}
