import Foundation
import HostwatchCore
import HostwatchIO
import Testing

/// `hostwatch check` against a real nginx serving certificates with every problem of the
/// policy's certificate rows, and against an nginx that hangs.
@Suite(.serialized)
struct CertificateAndHangTests {
    typealias Result = CheckResult

    func writeConfig(_ dir: TempDirectory, address: String, caFile: String, domains: [String], timeout: String = "3s") throws -> String {
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try """
        { server: { name: "tls-test", address: "\(address)" }, state_dir: "state", tls: { ca_file: "\(caFile)" },
          defaults: { timeout: "\(timeout)" } }
        """.write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        for domain in domains {
            try #"{ domain: "\#(domain)", plan: "plus", web: { url: "https://\#(domain)/" } }"#
                .write(toFile: dir.appending("checks/\(domain).json5"), atomically: true, encoding: .utf8)
        }
        return dir.appending("hostwatch.json5")
    }

    @Test func certificateProblemsAreJudgedOnTheDomainWithTheDatesShown() throws {
        let dir = try TempDirectory(prefix: "hostwatch-tls")
        defer { try? dir.remove() }
        let ca = try TestCA(directory: dir.appending("ca"))
        let otherCA = try TestCA(directory: dir.appending("other-ca"), commonName: "untrusted CA")
        let address = freeLoopbackAddress()
        let nginx = try NginxServer(directory: dir.path, address: address, sites: [
            .init(domain: "good.test", tls: try ca.issue(names: ["good.test"], days: 90)),
            .init(domain: "soon.test", tls: try ca.issue(names: ["soon.test"], days: 7)),
            .init(domain: "expired.test", tls: try ca.issueExpired(names: ["expired.test"])),
            .init(domain: "wrong.test", tls: try ca.issue(names: ["other.test"], days: 90)),
            .init(domain: "untrusted.test", tls: try otherCA.issue(names: ["untrusted.test"], days: 90)),
        ])
        defer { nginx.shutdown() }
        try nginx.start()
        let binary = try HostwatchBinary()
        let config = try writeConfig(dir, address: address, caFile: ca.caFile,
                                     domains: ["good.test", "soon.test", "expired.test", "wrong.test", "untrusted.test"])
        let run = try binary.run(["check", "--json", "--config", config])
        #expect(run.status == 2, "\(run.stderr)")
        let results = try FileTicketStore.decoder.decode([Result].self, from: Data(run.stdout.utf8))
        let byDomain = Dictionary(uniqueKeysWithValues: results.map { (String($0.check.split(separator: "/")[0]), $0) })

        let good = try #require(byDomain["good.test"])
        #expect(good.status == "ok")
        #expect(good.certificateExpiry != nil)

        let soon = try #require(byDomain["soon.test"])
        #expect(soon.category == "certificate")
        #expect(soon.severity == "warning")
        #expect(soon.summary.hasPrefix("HTTPS: certificate expires in 6 days") || soon.summary.hasPrefix("HTTPS: certificate expires in 7 days"), "\(soon.summary)")

        let expired = try #require(byDomain["expired.test"])
        #expect(expired.category == "security")
        #expect(expired.severity == "critical")
        #expect(expired.summary.contains("certificate has expired"), "\(expired.summary)")
        // Verification failed, so the dates come from the second, unverified look.
        #expect(expired.summary.contains("valid until "), "\(expired.summary)")
        #expect(expired.certificateExpiry.map { $0 < Date() } == true)

        let wrong = try #require(byDomain["wrong.test"])
        #expect(wrong.category == "security")
        #expect(wrong.summary.contains("wrong.test"), "\(wrong.summary)")
        #expect(wrong.summary.contains("CN = other.test") || wrong.summary.contains("other.test"), "\(wrong.summary)")

        let untrusted = try #require(byDomain["untrusted.test"])
        #expect(untrusted.category == "security")
        #expect(untrusted.summary.contains("certificate"), "\(untrusted.summary)")
    }

    @Test func aHungServerCostsOneTimeoutNotOnePerSite() throws {
        let dir = try TempDirectory(prefix: "hostwatch-hang")
        defer { try? dir.remove() }
        let ca = try TestCA(directory: dir.appending("ca"))
        let address = freeLoopbackAddress()
        let domains = (1...20).map { "site\($0).test" }
        let nginx = try NginxServer(directory: dir.path, address: address, sites: try domains.map {
            .init(domain: $0, tls: try ca.issue(names: [$0], days: 90))
        })
        defer { nginx.shutdown() }
        try nginx.start()
        let binary = try HostwatchBinary()
        let config = try writeConfig(dir, address: address, caFile: ca.caFile, domains: domains, timeout: "1s")
        #expect(try binary.run(["check", "--config", config]).status == 0)

        try nginx.hang()
        let started = Date()
        let run = try binary.run(["check", "--json", "--config", config])
        let elapsed = Date().timeIntervalSince(started)
        try nginx.resume()
        #expect(run.status == 2)
        let results = try FileTicketStore.decoder.decode([Result].self, from: Data(run.stdout.utf8))
        #expect(results.count == 20)
        #expect(results.allSatisfy { $0.summary.hasPrefix("HTTP: no answer from \(address):443 within 1s") }, "\(results.map(\.summary))")
        // Twenty hung sites in parallel: about one timeout, not twenty.
        #expect(elapsed < 5, "check took \(elapsed) s")
    }
}
