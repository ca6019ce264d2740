import Foundation
import HostwatchCore
import HostwatchIO
import Testing

/// HTTPS checks between certificate examinations resume the TLS session of the site's last
/// handshake (issue 16), against a real nginx that says in a header whether it resumed one.
@Suite(.serialized)
struct TLSSessionResumptionTests {
    /// Runs `body` with a transport whose examinations stand for `every`, the request of a site
    /// whose responses carry `X-Session-Reused: r` when nginx resumed the TLS session, and nginx.
    func withSite(examinationsStandFor every: Duration, compactSessions: Bool = false,
                  _ body: (CurlHTTPTransport, HTTPRequest, NginxServer, CertificateMemory) async throws -> Void) async throws {
        let slotsBefore = CertificateMemory.slotsAlive
        try await NginxServer.withTLSSite("shop.test", prefix: "hostwatch-resume",
                                          extraServerConfig: "ssl_session_cache shared:hw:1m;\nadd_header X-Session-Reused $ssl_session_reused always;") { nginx, ca in
            let loop = CurlMultiLoop(maxInFlight: 4)
            defer { loop.shutdownAndWait() }
            let certificates = CertificateMemory(every: every, compactSessions: compactSessions)
            let transport = CurlHTTPTransport(loop: loop, certificates: certificates)
            let request = HTTPRequest(url: "https://shop.test/", connectAddress: nginx.address, timeout: .seconds(5), caFile: ca.caFile)
            try await body(transport, request, nginx, certificates)
        }
        // The memory and the loop (its kept connections' TLS contexts) gone, so are the slots:
        // a reload, which builds new checks and a new memory, leaks none.
        #expect(CertificateMemory.slotsAlive == slotsBefore)
    }

    func reused(_ response: HTTPResponse) -> String? {
        response.headers.first { $0.name.lowercased() == "x-session-reused" }?.value
    }

    /// Kept parsed, or compact (as bytes, past `keep_connections` sites): the same handshakes.
    @Test(arguments: [false, true])
    func betweenExaminationsTheSessionIsResumedAndTheCertificateCarried(compact: Bool) async throws {
        try await withSite(examinationsStandFor: .seconds(3600), compactSessions: compact) { transport, request, nginx, certificates in
            let site = "shop.test via \(nginx.address)"

            // The first check examines the certificate on a full handshake.
            let first = await transport.perform(request)
            #expect(first.error == nil, "\(first.transcript.rendered)")
            let examined = try #require(first.certificate)
            #expect(examined.notAfter != nil)
            #expect(reused(first) == ".")
            #expect(!first.transcript.text.contains("TLS session resumed"))
            // The examining handshake keeps no session (kept from an agent's first minute they
            // cost RSS); the next check makes one without the dump, and from the third on nginx
            // resumes it.
            #expect(!certificates.keepsSession(of: site))
            let second = await transport.perform(request)
            #expect(certificates.keepsSession(of: site))
            let third = await transport.perform(request)
            let fourth = await transport.perform(request)
            for response in [second, third, fourth] {
                #expect(response.error == nil, "\(response.transcript.rendered)")
                #expect(response.certificate == examined)
            }
            #expect(reused(second) == ".")
            #expect(second.transcript.text.contains("* new TLS session; certificate as examined 0 min ago"), "\(second.transcript.rendered)")
            for response in [third, fourth] {
                #expect(reused(response) == "r", "\(response.transcript.rendered)")
                #expect(response.transcript.text.contains("* TLS session resumed; certificate as examined 0 min ago"))
            }

            // A restarted nginx has new ticket keys: the session offered is refused, and the
            // transcript says so.
            try nginx.stop()
            try nginx.start()
            let restarted = await transport.perform(request)
            #expect(restarted.error == nil, "\(restarted.transcript.rendered)")
            #expect(reused(restarted) == ".")
            #expect(restarted.transcript.text.contains("* new TLS session (the server did not resume the last one); certificate as examined 0 min ago"),
                    "\(restarted.transcript.rendered)")

            // A failure ends the examination's standing: after it, a full handshake again.
            try nginx.stop()
            let failed = await transport.perform(request)
            #expect(failed.error?.kind == .refused)
            #expect(!certificates.keepsSession(of: site), "a failure forgets the session too")
            try nginx.start()
            let afterwards = await transport.perform(request)
            #expect(afterwards.error == nil, "\(afterwards.transcript.rendered)")
            #expect(reused(afterwards) == ".")
            #expect(!afterwards.transcript.text.contains("TLS session resumed"))
            #expect(afterwards.certificate?.notAfter == examined.notAfter)
        }
    }

    @Test func withCertCheckEveryZeroEveryCheckIsAFullHandshake() async throws {
        try await withSite(examinationsStandFor: .zero) { transport, request, nginx, certificates in
            for _ in 0..<3 {
                let response = await transport.perform(request)
                #expect(response.error == nil, "\(response.transcript.rendered)")
                #expect(response.certificate?.notAfter != nil)
                #expect(reused(response) == ".")
                #expect(!response.transcript.text.contains("TLS session resumed"))
            }
            #expect(!certificates.keepsSession(of: "shop.test via \(nginx.address)"))
        }
    }

    /// A sweep (the agent's, at each reload) keeps what a check can still use and lets go of the
    /// rest: a site whose examination stands keeps it and its session; once it no longer stands,
    /// both go, and the slot is freed. A plan taken before the sweep keeps its slot alive.
    @Test(arguments: [false, true])
    func aSweepLetsGoOfWhatNoLongerStands(compact: Bool) async throws {
        try await withSite(examinationsStandFor: .seconds(3600), compactSessions: compact) { transport, request, nginx, certificates in
            let site = "shop.test via \(nginx.address)"
            for _ in 0..<3 {
                let response = await transport.perform(request)
                #expect(response.error == nil, "\(response.transcript.rendered)")
            }
            #expect(certificates.keepsSession(of: site))
            certificates.sweep()
            #expect(certificates.kept == (examinations: 1, slots: 1))
            let resumed = await transport.perform(request)
            #expect(resumed.transcript.text.contains("* TLS session resumed"), "\(resumed.transcript.rendered)")

            // An hour on, nothing stands: the examination and the session go, slot and all.
            let alive = CertificateMemory.slotsAlive
            do {
                let plan = certificates.plan(site)
                certificates.sweep(at: .now + .seconds(3600))
                #expect(certificates.kept == (examinations: 0, slots: 0))
                #expect(!certificates.keepsSession(of: site))
                #expect(plan.sessions != nil)
                #expect(CertificateMemory.slotsAlive == alive, "the plan still holds the slot")
            }
            #expect(CertificateMemory.slotsAlive == alive - 1)
            let examined = await transport.perform(request)
            #expect(examined.error == nil)
            #expect(!examined.transcript.text.contains("certificate as examined"), "a full examination: \(examined.transcript.rendered)")
            #expect(examined.certificate?.notAfter != nil)
        }
    }
}
