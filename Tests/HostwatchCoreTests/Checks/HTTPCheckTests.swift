import Foundation
import Synchronization
import HostwatchTestKit
import Testing
@testable import HostwatchCore

@Suite struct HTTPCheckTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let id = CheckID(target: "example.org", kind: "web")

    func response(status: Int = 200, reason: String = "OK", body: String = "<h1>Welcome</h1>",
                  expiresInDays: Double? = 90, error: TransferError? = nil) -> HTTPResponse {
        var r = HTTPResponse(error: error, statusLine: error == nil ? "HTTP/1.1 \(status) \(reason)" : nil,
                             status: error == nil ? status : nil)
        r.body = Array(body.utf8)
        if let days = expiresInDays { r.certificate = CertificateFacts(subject: "CN=example.org", notAfter: now.addingTimeInterval(days * 86_400)) }
        return r
    }

    func judge(_ r: HTTPResponse, _ c: HTTPCheck.Configuration = .init(url: "https://example.org/")) -> Observation {
        HTTPCheck.judge(r, check: id, configuration: c, endpoint: "203.0.113.10:443/https", now: now)
    }

    @Test func passesA200WithTheExpectedText() {
        let o = judge(response(), .init(url: "https://example.org/", expectStatus: [200], contains: "Welcome"))
        #expect(o.outcome == .ok)
        #expect(o.summary.hasPrefix("200 OK in"))
        #expect(o.certificateExpiry == now.addingTimeInterval(90 * 86_400))
    }

    @Test(arguments: [
        (TransferError.Kind.refused, CheckFailure.Kind.unreachable, "HTTP: connect to 203.0.113.10:443 refused"),
        (.timeout, .timeout, "HTTP: no answer from 203.0.113.10:443 within 10s"),
        (.tlsHandshake, .unreachable, "HTTPS: TLS handshake with 203.0.113.10:443 failed"),
        (.protocolError, .unreachable, "HTTP: 203.0.113.10:443 answered no valid HTTP"),
        (.certificate, .certificate, "HTTPS: certificate rejected: detail"),
    ])
    func transferFailuresNameTheStepAndTheEndpoint(error: TransferError.Kind, kind: CheckFailure.Kind, message: String) {
        let o = judge(response(expiresInDays: nil, error: TransferError(kind: error, detail: "detail")))
        #expect(o.failure?.kind == kind)
        #expect(o.failure?.message.hasPrefix(message) == true, "\(o.summary)")
        #expect(o.failure?.category == (error == .certificate ? .security : .siteOffline))
    }

    @Test func aPassingRunWritesItsTranscriptOutOnlyWhenAskedToAndAFailingRunAlways() {
        let writes = Mutex(0)
        func recorded(status: Int) -> HTTPResponse {
            var r = response(status: status)
            r.writeTranscriptLater {
                writes.withLock { $0 += 1 }
                var t = Transcript()
                t.append(.received, "HTTP/1.1 \(status)")
                return t
            }
            return r
        }
        let c = HTTPCheck.Configuration(url: "https://example.org/", expectStatus: [200])
        let quiet = HTTPCheck.judge(recorded(status: 200), check: id, configuration: c, endpoint: "203.0.113.10:443/https",
                                    now: now, transcribe: false)
        #expect(quiet.outcome == .ok)
        #expect(quiet.transcript.rendered.isEmpty)
        #expect(writes.withLock { $0 } == 0)

        let shown = HTTPCheck.judge(recorded(status: 200), check: id, configuration: c, endpoint: "203.0.113.10:443/https", now: now)
        #expect(shown.transcript.rendered == "< HTTP/1.1 200\n")
        #expect(writes.withLock { $0 } == 1)

        let failed = HTTPCheck.judge(recorded(status: 503), check: id, configuration: c, endpoint: "203.0.113.10:443/https",
                                     now: now, transcribe: false)
        #expect(failed.failure != nil)
        #expect(failed.transcript.rendered == "< HTTP/1.1 503\n")
        #expect(writes.withLock { $0 } == 2)

        // A transcript set by hand replaces the one written later.
        var replaced = recorded(status: 200)
        replaced.transcript = Transcript()
        #expect(replaced.transcript.rendered.isEmpty)
        #expect(writes.withLock { $0 } == 2)
    }

    @Test func a503IsAnApplicationFailureQuotingTheStatusLine() {
        let o = judge(response(status: 503, reason: "Service Unavailable"), .init(url: "https://example.org/", expectStatus: [200]))
        #expect(o.failure?.message == "HTTP: expected status 200, got 503 Service Unavailable")
        #expect(o.failure?.kind == .protocolViolation)
        #expect(o.failure?.cause == .application)
    }

    @Test(arguments: [(200, true), (301, true), (399, true), (404, false), (500, false)])
    func withoutExpectStatusAny2xxOr3xxPasses(status: Int, passes: Bool) {
        #expect((judge(response(status: status)).outcome == .ok) == passes)
    }

    @Test func forbiddenTextIsASecurityFailure() {
        let o = judge(response(body: "<h1>hacked by someone</h1>"), .init(url: "https://example.org/", forbids: ["hacked by"]))
        #expect(o.failure?.category == .security)
        #expect(o.failure?.message == "HTTP: forbidden text \"hacked by\" found in the body")
    }

    @Test func missingTextIsASiteOfflineApplicationFailure() {
        let o = judge(response(body: "Database error"), .init(url: "https://example.org/", contains: "Welcome"))
        #expect(o.failure?.category == .siteOffline)
        #expect(o.failure?.cause == .application)
        #expect(o.failure?.message == "HTTP: expected text \"Welcome\" not found in the body")
    }

    @Test func anExpiredCertificateIsASecurityFailureEvenWhenTheSiteAnswers() {
        let o = judge(response(expiresInDays: -1))
        #expect(o.failure?.kind == .certificate)
        #expect(o.failure?.category == .security)
        #expect(o.failure?.message.hasPrefix("HTTPS: certificate expired on ") == true)
    }

    @Test(arguments: [(13.5, true), (14.5, false)])
    func aCertificateExpiringWithinTheWarningDaysIsACertificateWarning(days: Double, warns: Bool) {
        let o = judge(response(expiresInDays: days), .init(url: "https://example.org/", certWarningDays: 14))
        #expect((o.failure?.category == .certificate) == warns)
        if warns { #expect(IncidentPolicy().severity(of: o.failure!, plan: .plus) == .warning) }
    }

    @Test func aRejectedCertificateReportsTheDatesFromTheSecondLook() {
        var r = response(expiresInDays: nil, error: TransferError(kind: .certificate, detail: "SSL certificate problem: certificate has expired"))
        r.certificate = CertificateFacts(subject: "CN=example.org", notAfter: now.addingTimeInterval(-86_400), unverified: true)
        let o = judge(r)
        #expect(o.failure?.message == "HTTPS: certificate rejected: SSL certificate problem: certificate has expired; valid until \(RFC3339.format(now.addingTimeInterval(-86_400))); subject CN=example.org")
    }

    @Test func runConnectsToTheServerAddressWithTheDomainInTheURL() async {
        let stub = StubHTTPTransport([response()])
        let check = HTTPCheck(id: id, configuration: .init(url: "https://example.org/", timing: CheckTiming(timeout: .seconds(3))),
                              serverAddress: "203.0.113.10", transport: stub, caFile: "/ca.pem")
        let o = await check.run(now: now)
        #expect(o.outcome == .ok)
        #expect(stub.requests.map(\.url) == ["https://example.org/"])
        #expect(stub.requests.first?.connectAddress == "203.0.113.10")
        #expect(stub.requests.first?.timeout == .seconds(3))
        #expect(stub.requests.first?.caFile == "/ca.pem")
        #expect(check.endpoint == "203.0.113.10:443/https")
    }

    @Test func aCheckAddressOverridesTheServerAddress() {
        let check = HTTPCheck(id: id, configuration: .init(url: "http://example.org:8080/x", address: "2001:db8::1"),
                              serverAddress: "203.0.113.10", transport: StubHTTPTransport([response()]))
        #expect(check.endpoint == "[2001:db8::1]:8080/http")
    }
}
