import HostwatchCore
import Testing

/// Broken text from every source: a clear warning naming the source, never a crash, and what
/// could be read is kept.
@Suite struct MalformedSourceTests {
    static let cases: [(String, @Sendable () -> SourceReading)] = [
        ("nginx: empty", { NginxReader.read("") }),
        ("nginx: unbalanced", { NginxReader.read("# configuration file /etc/nginx/nginx.conf:\nhttp { server { server_name a.test; listen 80;\n") }),
        ("nginx: missing include", { NginxReader.read("# configuration file /etc/nginx/nginx.conf:\nhttp { include /etc/nginx/x.conf; }\n") }),
        ("nginx: quote", { NginxReader.read("# configuration file /etc/nginx/nginx.conf:\nhttp { server { server_name \"a.test; } }") }),
        ("apache: garbage", { ApacheReader.read("AH00558: apache2: Could not reliably determine\n\u{0}\u{1}", files: InMemoryFileTree()) }),
        ("postfix: garbage", { PostfixReader.read(postconf: "postconf: fatal: open /etc/postfix/main.cf: No such file", master: nil, files: InMemoryFileTree()) }),
        ("postfix: missing map", { PostfixReader.read(postconf: "virtual_mailbox_domains = hash:/nope\n", master: "x", files: InMemoryFileTree()) }),
        ("dovecot: garbage", { DovecotReader.read("doveconf: Fatal: Error in configuration file") }),
        ("dovecot: unbalanced", { DovecotReader.read("protocols = imap\nservice imap-login {\n") }),
        ("nsd: missing", { NSDReader.read(config: "/etc/nsd/nsd.conf", files: InMemoryFileTree()) }),
        ("nsd: garbage", { NSDReader.read(config: "/c", files: InMemoryFileTree(["/c": "zone:\n name a.test\n"])) }),
        ("bind: unbalanced", { BindReader.read(config: "/c", files: InMemoryFileTree(["/c": "zone \"a.test\" { type master;\n"])) }),
        ("bind: missing include", { BindReader.read(config: "/c", files: InMemoryFileTree(["/c": "include \"/d\";\n"])) }),
    ]

    @Test(arguments: cases.indices)
    func warnsAndNamesTheSource(index: Int) {
        let (label, read) = Self.cases[index]
        let reading = read()
        let source = String(label.prefix { $0 != ":" })
        #expect(!reading.warnings.isEmpty, "\(label)")
        #expect(reading.warnings.allSatisfy { $0.hasPrefix(source + ": ") }, "\(label): \(reading.warnings)")
    }

    @Test func whatCouldBeReadIsKept() {
        let reading = NginxReader.read("# configuration file /etc/nginx/nginx.conf:\nhttp { server { server_name a.test; listen 80;\n")
        #expect(reading.sites.map(\.name) == ["a.test"])
        let bind = BindReader.read(config: "/c", files: InMemoryFileTree(["/c": "zone \"a.test\" { type master;\n"]))
        #expect(bind.sites.map(\.name) == ["a.test"])
    }

    @Test func accountsFileReportsBadLines() {
        let file = AccountsFile("a.test\tA\tplus\nno tab here\n")
        #expect(file.rules.count == 1)
        #expect(file.problems == ["line 2: expected DOMAIN-GLOB<TAB>ACCOUNT<TAB>PLAN, found \"no tab here\""])
    }
}
