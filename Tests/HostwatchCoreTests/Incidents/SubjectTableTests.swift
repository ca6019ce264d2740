import Testing
@testable import HostwatchCore

/// The tracker's subjects, kept with their timings, endpoints and upstreams numbered: every
/// subject reads back as it was put, whatever it shares with the others.
@Suite struct SubjectTableTests {
    @Test func everySubjectReadsBackAsItWasPut() {
        let timings = [CheckTiming(), CheckTiming(interval: .seconds(30), timeout: .seconds(5), retryInterval: .seconds(10), failures: 2, recoveries: 1)]
        let endpoints: [String?] = [nil, "192.0.2.10:443/https", "192.0.2.10:80/http"]
        let upstreams: [String?] = [nil, "unix:/run/php/php8.2-fpm.sock", "192.0.2.10:80/http"]
        var table = SubjectTable()
        var expected: [CheckID: IncidentTracker.Subject] = [:]
        var number = 0
        for timing in timings {
            for endpoint in endpoints {
                for upstream in upstreams {
                    for plan in [Plan.free, .plus] {
                        number += 1
                        let check = CheckID(target: "d\(number).test", kind: number % 2 == 0 ? "web" : "smtp", index: number % 3 == 0 ? 1 : nil)
                        let subject = IncidentTracker.Subject(domain: "d\(number).test", account: Ticket.Account(name: "Account \(number)", plan: plan),
                                                              timing: timing, endpoint: endpoint, isLocal: number % 4 != 0, upstream: upstream)
                        table[check] = subject
                        expected[check] = subject
                    }
                }
            }
        }
        #expect(table.count == expected.count)
        for (check, subject) in expected { #expect(table[check] == subject, "\(check)") }
        #expect(Set(table.keys) == Set(expected.keys))
        #expect(Set(table.values) == Set(expected.values))
        let https = table.checks { $0.endpoint == "192.0.2.10:443/https" }
        #expect(Set(https) == Set(expected.filter { $0.value.endpoint == "192.0.2.10:443/https" }.keys))
        #expect(https.count == 2 * 3 * 2)

        // Replaced and removed.
        let first = expected.keys.sorted()[0]
        var replaced = expected[first]!
        replaced.endpoint = "198.51.100.1:25/smtp"
        replaced.timing.failures = 9
        table[first] = replaced
        #expect(table[first] == replaced)
        table[first] = nil
        #expect(table[first] == nil)
        #expect(table.count == expected.count - 1)
        #expect(table[CheckID(target: "none.test", kind: "web")] == nil)
    }
}
