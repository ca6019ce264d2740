import CCurl
import Synchronization
import HostwatchCore

/// What the last full TLS handshake of each site showed, so that the checks in between may
/// resume its TLS session instead of repeating the handshake and the certificate's examination
/// (issue 16: a full handshake with libcurl's certificate dump cost ~2 ms of CPU per HTTPS check).
///
/// A site is examined on a full handshake, its certificate read, at least every `every`, and
/// again after any failure of its check: an expiry is computed from the remembered date against
/// the current time, so it is never missed, and a replaced certificate shows within `every`.
public final class CertificateMemory: Sendable {
    private struct Remembered {
        var facts: CertificateFacts
        var examinedAt: ContinuousClock.Instant
    }

    /// A libcurl share handle holding the TLS sessions of up to eight sites. libcurl's share
    /// keeps at most eight sessions (one per site), so one share for all would rarely still hold
    /// a site's own: every eight sites have one. Kept for the life of the process (a transfer
    /// may still use it).
    public struct SessionCache: @unchecked Sendable {
        public let handle: UnsafeMutableRawPointer
    }

    /// How long an examination stands.
    public let every: Duration
    private let sites = Mutex<[String: Remembered]>([:])
    private struct Caches {
        var bySite: [String: SessionCache] = [:]
        var current: SessionCache?
        var sitesInCurrent = 0
    }
    private let sessions = Mutex(Caches())
    /// Sites per share handle: libcurl's share keeps eight sessions.
    static let sitesPerCache = 8

    public init(every: Duration) {
        self.every = every
    }

    /// The TLS session cache of `site`, made on first use.
    private func sessionCache(for site: String) -> SessionCache? {
        sessions.withLock { caches in
            if let cache = caches.bySite[site] { return cache }
            if caches.current == nil || caches.sitesInCurrent >= Self.sitesPerCache {
                guard let handle = hw_share_tls_sessions() else { return nil }
                caches.current = SessionCache(handle: handle)
                caches.sitesInCurrent = 0
            }
            caches.sitesInCurrent += 1
            caches.bySite[site] = caches.current
            return caches.current
        }
    }

    /// The facts of `site` examined less than `every` ago, and how long ago; nil means: examine now.
    private func recall(_ site: String, at now: ContinuousClock.Instant) -> (facts: CertificateFacts, age: Duration)? {
        guard every > .zero else { return nil }
        return sites.withLock { sites in
            guard let remembered = sites[site] else { return nil }
            let age = now - remembered.examinedAt
            guard age < every else {
                sites[site] = nil
                return nil
            }
            return (remembered.facts, age)
        }
    }

    /// How one transfer to a site treats TLS: examine the certificate on a full handshake, or
    /// resume the site's session and carry the standing examination.
    public struct Plan: Sendable {
        public var site: String
        public var standing: (facts: CertificateFacts, age: Duration)?
        public var sessions: SessionCache?
    }

    /// The plan for the next transfer to `site`.
    public func plan(_ site: String) -> Plan {
        let standing = recall(site, at: .now)
        return Plan(site: site, standing: standing, sessions: standing == nil ? nil : sessionCache(for: site))
    }

    /// After the transfer: what the check should take as the site's certificate (`seen` on a
    /// full handshake, else the standing facts) and a transcript note when it was carried;
    /// `reused`: the request went on a kept-alive connection, with no handshake at all.
    public func settle(_ plan: Plan, failed: Bool, seen: CertificateFacts?, reused: Bool = false) -> (facts: CertificateFacts?, note: String?) {
        if failed {
            forget(plan.site)
            return (seen, nil)
        }
        guard let standing = plan.standing else {
            if let seen { remember(seen, of: plan.site, at: .now) }
            return (seen, nil)
        }
        let minutes = standing.age.wholeSeconds / 60
        let how = reused ? "connection kept alive" : "TLS session resumed"
        return (standing.facts, "\(how); certificate as examined \(minutes) min ago (full handshake at least every \(DurationText.format(every)))")
    }

    /// Keeps what a full handshake of `site` showed.
    private func remember(_ facts: CertificateFacts, of site: String, at now: ContinuousClock.Instant) {
        guard every > .zero else { return }
        sites.withLock { $0[site] = Remembered(facts: facts, examinedAt: now) }
    }

    /// Forgets `site` (its check failed): the next check examines it afresh.
    private func forget(_ site: String) {
        _ = sites.withLock { $0.removeValue(forKey: site) }
    }
}
