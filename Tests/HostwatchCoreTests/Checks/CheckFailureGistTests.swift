import Testing
@testable import HostwatchCore

@Suite struct CheckFailureGistTests {
    @Test func numbersDoNotMakeADifferentProblem() {
        let a = CheckFailure(kind: .timeout, category: .siteOffline, message: "HTTP: no answer from 127.0.0.9:80 within 10s (timed out after 10000 milliseconds)")
        let b = CheckFailure(kind: .timeout, category: .siteOffline, message: "HTTP: no answer from 127.0.0.9:80 within 10s (timed out after 10003 milliseconds)")
        let c = CheckFailure(kind: .timeout, category: .siteOffline, message: "HTTP: no answer from 127.0.0.9:80 within 10s (Failed to connect to 127.0.0.9 port 80 after 10000 ms: Timeout was reached)")
        let refused = CheckFailure(kind: .unreachable, category: .siteOffline, message: "HTTP: connect to 127.0.0.9:80 refused")
        #expect(a.gist == b.gist)
        #expect(a.gist == c.gist)
        #expect(a.gist == "timeout: HTTP: no answer from #.#.#.#:# within #s")
        #expect(a.gist != refused.gist)
        let nested = CheckFailure(kind: .certificate, category: .security, message: "HTTPS: untrusted (SSL certificate problem: self-signed (18))")
        #expect(nested.gist == "certificate: HTTPS: untrusted")
    }
}
