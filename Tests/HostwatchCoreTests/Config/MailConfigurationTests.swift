import Testing
@testable import HostwatchCore

@Suite struct MailConfigurationTests {
    func read(_ text: String) -> (DomainConfig?, [String]) {
        let document = JSON5Document.parse(text)
        let problems = ConfigReader.Problems()
        guard let root = document.root else { return (nil, ["unparsable"]) }
        let config = DomainConfig.read(root, file: "d.json5", defaults: AgentConfig.Defaults(), problems: problems)
        return (config, problems.errors.map(\.description))
    }

    @Test func readsTheDesignExample() throws {
        let (config, errors) = read("""
            { domain: "example.org",
              smtp: [{ port: 25, tls: "if-offered", relay_test: true },
                     { port: 587, tls: "starttls", user: "monitor@example.org", password_file: "example.org.pw" },
                     { port: 465, tls: "implicit", timeout: "5s" }],
              imap: { port: 993, tls: "implicit", user: "monitor@example.org", password_file: "example.org.pw" },
              pop3: { port: 995, tls: "implicit", user: "monitor@example.org", password_file: "example.org.pw" },
              mail_roundtrip: { to: "monitor@example.org", imap_user: "monitor@example.org",
                                password_file: "example.org.pw", within: "2m" } }
            """)
        #expect(errors.isEmpty, "\(errors)")
        let checks = try #require(config?.checks)
        #expect(checks.map(\.kind) == ["smtp", "smtp", "smtp", "imap", "pop3", "mail_roundtrip"])
        #expect(checks.map(\.index) == [0, 1, 2, nil, nil, nil])
        guard case .smtp(let relay, _) = checks[0], case .smtp(let submission, _) = checks[1], case .smtp(let smtps, _) = checks[2],
              case .mailRoundTrip(let roundTrip) = checks[5] else {
            Issue.record("unexpected checks \(checks)")
            return
        }
        #expect(relay.relayTest && relay.tls == .ifOffered)
        #expect(submission.user == "monitor@example.org" && submission.passwordFile == "example.org.pw" && submission.tls == .starttls)
        #expect(smtps.timing.timeout == .seconds(5))
        #expect(roundTrip.within == .seconds(120))
        #expect(roundTrip.smtpPort == 25 && roundTrip.imapPort == 993 && roundTrip.from == nil)
    }

    @Test func portsSetTheTLSDefault() throws {
        let (config, errors) = read(#"{ domain: "a.test", imap: { port: 143 }, pop3: [{ port: 110 }, {}] }"#)
        #expect(errors.isEmpty, "\(errors)")
        guard case .imap(let imap, _) = config?.checks[0], case .pop3(let pop3, _) = config?.checks[1],
              case .pop3(let pop3s, _) = config?.checks[2] else { return }
        #expect(imap.tls == .starttls)
        #expect(pop3.tls == .starttls)
        #expect(pop3s.port == 995 && pop3s.tls == .implicit)
    }

    /// One row per rule: the text, and the exact error line it must produce.
    @Test(arguments: [
        (#"{ domain: "a.test", smtp: { port: 587, tls: "required" } }"#,
         #"d.json5:1:45: smtp.tls: expected "implicit", "starttls", "if-offered" or "off", found "required""#),
        (#"{ domain: "a.test", smtp: { port: 70000 } }"#, #"d.json5:1:35: smtp.port: 70000 is out of range (1…65535)"#),
        (#"{ domain: "a.test", smtp: [{}, { port: 587, user: "m@a.test" }] }"#, #"d.json5:1:32: smtp[1]: "user" needs "password_file""#),
        (#"{ domain: "a.test", imap: { password_file: "a.pw" } }"#, #"d.json5:1:44: imap.password_file: "password_file" needs "user""#),
        (#"{ domain: "a.test", pop3: { port: 110, tls: "off", user: "m@a.test", password_file: "a.pw" } }"#,
         #"d.json5:1:58: pop3.user: logging in needs tls "starttls" or "implicit": the password must not travel in plain text"#),
        (#"{ domain: "a.test", smtp: { port: 587, relay_test: true, user: "m@a.test", password_file: "a.pw" } }"#,
         #"d.json5:1:52: smtp.relay_test: the open-relay test needs a check without "user": an authenticated client may relay"#),
        (#"{ domain: "a.test", imap: { address: "mail.a.test" } }"#, #"d.json5:1:38: imap.address: "mail.a.test" is not an IP address"#),
        (#"{ domain: "a.test", smtp: { relay_tset: true } }"#,
         #"d.json5:1:29: smtp.relay_tset: unknown key "relay_tset"; did you mean "relay_test"?"#),
        (#"{ domain: "a.test", mail_roundtrip: { password_file: "a.pw" } }"#, #"d.json5:1:37: mail_roundtrip: missing required key "to""#),
        (#"{ domain: "a.test", mail_roundtrip: { to: "probe", password_file: "a.pw" } }"#,
         #"d.json5:1:43: mail_roundtrip.to: "probe" is not a mail address"#),
        (#"{ domain: "a.test", mail_roundtrip: { to: "p@a.test", password_file: "a.pw", within: 60 } }"#,
         #"d.json5:1:86: mail_roundtrip.within: expected a duration such as "15s", found 60"#),
    ])
    func eachRuleReportsItsPosition(text: String, error: String) {
        let (config, errors) = read(text)
        #expect(config == nil)
        #expect(errors.contains(error), "\(errors)")
    }
}
