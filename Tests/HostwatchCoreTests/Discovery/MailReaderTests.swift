import HostwatchCore
import Testing

@Suite struct PostfixReaderTests {
    let tree = DiscoveryFixtures.Tree(mounts: ["/etc/postfix": "postfix-maps"])
    var reading: SourceReading {
        PostfixReader.read(postconf: DiscoveryFixtures.text("postconf.txt"), master: DiscoveryFixtures.text("postconf-M.txt"), files: tree)
    }

    @Test func readsMailboxAliasMapAndDestinationDomainsButNotTheHostsOwnNames() {
        #expect(reading.warnings == [])
        #expect(reading.sites.map(\.name) == ["shop.test", "blog.test", "alias.test", "old.test", "legacy.test"])
        #expect(reading.sites.allSatisfy { $0.service == .mail })
        #expect(reading.hostNames == ["mx.shop.test"])
        #expect(reading.mail.hostName == "mx.shop.test")
        #expect(reading.mail.certificateFile == "/tmp/fx/tls/cert.pem")
    }

    @Test func readsWhereSmtpdListensFromPostconfM() {
        #expect(reading.mail.endpoints == [
            .init(kind: "smtp", address: "127.0.1.21", port: 25, tls: .starttls),
            .init(kind: "smtp", address: "127.0.1.21", port: 587, tls: .starttls),
            .init(kind: "smtp", address: "127.0.1.21", port: 465, tls: .implicit),
        ])
    }

    @Test func readsListFilesAndWarnsAboutDatabaseMaps() {
        let tree = InMemoryFileTree(["/etc/postfix/vdomains": "# hosted\nx.test, y.test\nz.test\n"])
        let reading = PostfixReader.read(postconf: """
            myhostname = host.example.test
            virtual_mailbox_domains = /etc/postfix/vdomains, proxy:mysql:/etc/postfix/sql.cf
            virtual_alias_domains = a.test $myhostname
            mydestination = $myhostname, localhost.$mydomain, localhost
            """, master: "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n", files: tree)
        #expect(reading.sites.map(\.name) == ["x.test", "y.test", "z.test", "a.test"])
        #expect(reading.warnings.count == 1)
        #expect(reading.warnings.first?.contains("proxy:mysql:/etc/postfix/sql.cf") == true)
        #expect(reading.mail.endpoints.map(\.port) == [25, 587])
        #expect(reading.mail.endpoints.map(\.tls) == [.ifOffered, .off])
    }
}

@Suite struct DovecotReaderTests {
    @Test func readsListenersTLSAndCertificateFromDoveconfN() {
        let reading = DovecotReader.read(DiscoveryFixtures.text("doveconf-n.txt"))
        #expect(reading.warnings == [])
        #expect(reading.sites == [])
        #expect(reading.mail.certificateFile == "/tmp/fx/tls/cert.pem")
        #expect(reading.mail.endpoints == [
            .init(kind: "imap", address: "127.0.1.21", port: 143, tls: .starttls),
            .init(kind: "imap", address: "127.0.1.21", port: 993, tls: .implicit),
            .init(kind: "pop3", address: "127.0.1.21", port: 110, tls: .starttls),
            .init(kind: "pop3", address: "127.0.1.21", port: 995, tls: .implicit),
        ])
    }

    @Test func listenersDoveconfDoesNotShowHaveTheirDefaultPortsAndZeroTurnsOneOff() {
        let reading = DovecotReader.read("protocols = imap\nservice imap-login {\n  inet_listener imap {\n    port = 0\n  }\n}\n")
        #expect(reading.mail.endpoints == [.init(kind: "imap", address: nil, port: 993, tls: .implicit)])
    }
}
