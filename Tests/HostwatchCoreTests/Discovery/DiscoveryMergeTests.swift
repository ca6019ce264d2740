import HostwatchCore
import Testing

@Suite struct DiscoveryMergeTests {
    var readings: [SourceReading] {
        let nginx = NginxReader.read(DiscoveryFixtures.text("nginx-T.txt"))
        let postfix = PostfixReader.read(postconf: DiscoveryFixtures.text("postconf.txt"), master: DiscoveryFixtures.text("postconf-M.txt"),
                                         files: DiscoveryFixtures.Tree(mounts: ["/etc/postfix": "postfix-maps"]))
        let nsd = NSDReader.read(config: "/etc/nsd/nsd.conf", files: DiscoveryFixtures.Tree(mounts: ["/etc/nsd": "nsd"]))
        return [nginx, postfix, nsd]
    }

    @Test func joinsSourcesPerDomainWithAccountsFromTheFile() throws {
        let accounts = AccountsFile("# glob\taccount\tplan\n*.test\tLab Ltd (#7)\tPremium Web\nshop.test\tnever reached\tfree\n")
        let merged = DiscoveryMerge.merge(readings, accounts: accounts, plans: PlanMap([("Premium*", .plus)]), ownNames: ["web01"])
        #expect(merged.map(\.domain) == ["alias.test", "blog.test", "legacy.test", "old.test", "shop.test", "wiki.test"])
        let shop = try #require(merged.first { $0.domain == "shop.test" })
        #expect(shop.sources == ["nginx", "postfix", "nsd"])
        #expect(shop.services == [.web, .mail, .dns])
        #expect(shop.aliases == ["www.shop.test"])
        #expect(shop.listens.map(\.description) == ["127.0.1.20:80", "127.0.1.20:443 ssl"])
        #expect(shop.account == "Lab Ltd (#7)")
        #expect(shop.plan == .plus)
        #expect(!merged.contains { $0.domain == "mx.shop.test" })
    }

    @Test func withoutAccountsTheAccountIsUnknownAndThePlanFree() throws {
        let merged = DiscoveryMerge.merge(readings, accounts: nil, plans: PlanMap())
        #expect(merged.allSatisfy { $0.account == nil && $0.plan == .free })
        let file = DiscoveredDomainFile(try #require(merged.first { $0.domain == "blog.test" }),
                                        context: .init(serverAddress: "127.0.1.20", settings: DiscoverySettings(), mail: MailService(),
                                                       nameservers: [], mailHost: nil))
        #expect(file.text.contains("account: \"account unknown: add it to accounts.tsv\""))
    }

    @Test func aPanelAccountWinsAndCarriesItsContact() throws {
        var panel = SourceReading(source: "cpanel")
        panel.sites = [DiscoveredSite(name: "shop.test", service: .web, account: "shopuser", contact: "owner@shop.test", plan: "Premium_Business")]
        let merged = DiscoveryMerge.merge(readings + [panel], accounts: AccountsFile("*\tother\tfree\n"), plans: PlanMap([("Premium*", .plus)]))
        let shop = try #require(merged.first { $0.domain == "shop.test" })
        #expect(shop.account == "shopuser (owner@shop.test)")
        #expect(shop.plan == .plus)
        #expect(shop.planName == "Premium_Business")
    }

    @Test func writesTheChecksTheServerServes() throws {
        let merged = DiscoveryMerge.merge(readings, accounts: nil, plans: PlanMap())
        var mail = readings[1].mail
        mail.endpoints += DovecotReader.read(DiscoveryFixtures.text("doveconf-n.txt")).mail.endpoints
        let context = DiscoveredDomainFile.Context(serverAddress: "127.0.1.20", settings: DiscoverySettings(), mail: mail,
                                                   nameservers: readings[2].nameservers, mailHost: "mx.shop.test")
        let file = DiscoveredDomainFile(try #require(merged.first { $0.domain == "shop.test" }), context: context)
        #expect(file.text.hasPrefix(DiscoveredDomainFile.header + "\n"))
        #expect(file.checks == ["web https://shop.test/", "smtp 25 starttls", "smtp 465 implicit", "smtp 587 starttls",
                                "imap 993 implicit", "pop3 995 implicit", "dns at 127.0.1.23:5353"])
        #expect(file.text.contains("imap: [{ port: 993, tls: \"implicit\", address: \"127.0.1.21\", host: \"mx.shop.test\" }],"))
        #expect(file.text.contains("dns: { nameservers: [{ address: \"127.0.1.23\", port: 5353 }] },"))
        let blog = DiscoveredDomainFile(try #require(merged.first { $0.domain == "blog.test" }), context: context)
        #expect(blog.checks.first == "web http://blog.test:8080/")
    }

    @Test func theWebCheckNamesTheVhostsUpstreamAndReadsBack() throws {
        var domain = DiscoveredDomain(domain: "php.test")
        domain.services = [.web]
        domain.upstreams = ["unix:/run/php/php8.2-fpm.sock", "http://127.0.0.1:8080"]
        let file = DiscoveredDomainFile(domain, context: .init(serverAddress: "127.0.0.1", settings: DiscoverySettings(), mail: MailService(),
                                                               nameservers: [], mailHost: nil))
        #expect(file.text.contains("web: { url: \"http://php.test/\", upstream: \"unix:/run/php/php8.2-fpm.sock\" },"), "\(file.text)")
        let problems = ConfigReader.Problems()
        let root = try #require(JSON5Document.parse(file.text).root)
        let config = try #require(DomainConfig.read(root, file: "php.test.json5", defaults: AgentConfig.Defaults(), problems: problems))
        guard case .web(let web, _) = config.checks.first else { Issue.record("no web check"); return }
        #expect(web.upstream == "unix:/run/php/php8.2-fpm.sock")
    }

    @Test func aSuspendedDomainGetsNoWebCheck() {
        var domain = DiscoveredDomain(domain: "closed.test")
        domain.services = [.web]
        domain.suspended = true
        let file = DiscoveredDomainFile(domain, context: .init(serverAddress: "127.0.0.1", settings: DiscoverySettings(), mail: MailService(),
                                                               nameservers: [], mailHost: nil))
        #expect(file.checks.isEmpty)
        #expect(file.text.contains("suspended"))
    }

    @Test func diffSaysNewChangedGoneUnchangedAndHandWrittenFilesWin() {
        let diff = DiscoveryDiff(discovered: ["a.test": "A", "b.test": "B2", "c.test": "C", "own.test": "X"],
                                 existing: ["b.test": "B", "c.test": "C", "d.test": "D"], handWritten: ["own.test", "e.test"])
        #expect(diff.changes == ["a.test": .new, "b.test": .changed, "c.test": .unchanged, "d.test": .gone, "own.test": .unchanged])
        #expect(diff.watchedCount == 5)
        #expect(!diff.dropsTooMany())
        let drop = DiscoveryDiff(discovered: ["a.test": "A"], existing: ["a.test": "A", "b.test": "B"], handWritten: [])
        #expect(drop.dropsTooMany())
    }

    @Test(arguments: [("Premium Business", Plan.plus), ("premium", .plus), ("Basic", .free), ("plus", .plus)])
    func plansMapThroughGlobs(name: String, plan: Plan) {
        #expect(PlanMap([("Premium*", .plus)]).plan(for: name) == plan)
    }
}
