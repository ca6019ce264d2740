import CCurl
import CTLS
import Glibc
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

    /// Where a site's latest TLS session is kept (`hw_tls_slot`), outside libcurl's cache: that
    /// one never resumed a STARTTLS session. Counted: this object holds one reference, and each
    /// connection's TLS context that points at it another, so a kept connection may outlive it;
    /// a plan holds the object, so a sweep never frees a slot a transfer is about to use.
    public final class SessionSlot: @unchecked Sendable {
        public let pointer: UnsafeMutablePointer<hw_tls_slot>

        /// Takes over the reference `hw_tls_slot_new` gave.
        init(adopting pointer: UnsafeMutablePointer<hw_tls_slot>) {
            self.pointer = pointer
        }

        deinit {
            hw_tls_slot_release(pointer)
        }
    }

    /// How long an examination stands.
    public let every: Duration
    private let sites = Mutex<[String: Remembered]>([:])
    private let slots = Mutex<[String: SessionSlot]>([:])

    /// Sessions are kept as their bytes (`hw_tls_slot`'s compact form: about 1.3 KB a site
    /// instead of 4 KB, for about 0.3 ms of CPU at each resumption).
    public let compactSessions: Bool

    /// The CA file the examinations verified against. A reload that finds it changed starts a
    /// new memory: what was examined under the old trust (and the sessions resumed on it, which
    /// show no certificate) stands for nothing under the new one.
    public let trust: TrustedCAFile

    public init(every: Duration, compactSessions: Bool = false, trust: TrustedCAFile = TrustedCAFile(nil)) {
        self.every = every
        self.compactSessions = compactSessions
        self.trust = trust
    }

    /// Slots alive in the process (tests).
    public static var slotsAlive: Int { hw_tls_slots_alive() }

    /// The session slot of `site`, made on first use.
    private func slot(for site: String) -> SessionSlot? {
        slots.withLock { slots in
            if let slot = slots[site] { return slot }
            guard let pointer = hw_tls_slot_new(compactSessions ? 1 : 0) else { return nil }
            let slot = SessionSlot(adopting: pointer)
            slots[site] = slot
            return slot
        }
    }

    /// Lets go of what no transfer can use any more: examinations that no longer stand, and the
    /// session slots of sites without a standing one (only a transfer carrying a standing
    /// examination offers a session). Nothing a check could use is lost; what sites gone from
    /// the config left behind goes. The agent sweeps at every reload, which keeps this memory
    /// (a new one would examine every site again at once: at 10,000 sites, 10,000 full
    /// handshakes in the first minute after each rediscovery).
    public func sweep(at now: ContinuousClock.Instant = .now) {
        let standing: Set<String> = sites.withLock { sites in
            sites = sites.filter { every > .zero && now - $0.value.examinedAt < every }
            return Set(sites.keys)
        }
        // Handed out, the slots go after the lock is let go (their last reference frees a session).
        _ = slots.withLock { slots in
            let gone = slots.filter { !standing.contains($0.key) }
            for site in gone.keys { slots[site] = nil }
            return gone
        }
    }

    /// How many sites have a standing examination and how many session slots are kept (tests,
    /// and the sweep's effect).
    public var kept: (examinations: Int, slots: Int) {
        (sites.withLock { $0.count }, slots.withLock { $0.count })
    }

    /// Whether a TLS session of `site` is kept for its next transfer.
    public func keepsSession(of site: String) -> Bool {
        guard let slot = slots.withLock({ $0[site] }) else { return false }
        return hw_tls_slot_holds_session(slot.pointer) != 0
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

    /// What became of a site's kept TLS session in a handshake.
    public enum Resumption: Sendable {
        /// The server resumed it: no certificate was sent.
        case resumed
        /// Offered, but the server made a new session (restarted, rotated its ticket keys).
        case refused
        /// None was kept to offer (the check after an examination).
        case noneKept
    }

    /// How one transfer to a site treats TLS: examine the certificate on a full handshake, or
    /// resume the site's session, keep the ones the server issues, and carry the standing
    /// examination.
    public struct Plan: Sendable {
        public var site: String
        public var standing: (facts: CertificateFacts, age: Duration)?
        public var sessions: SessionSlot?
    }

    /// The plan for the next transfer to `site`; with examinations that never stand
    /// (`every` zero) no session is kept.
    public func plan(_ site: String) -> Plan {
        let standing = recall(site, at: .now)
        return Plan(site: site, standing: standing, sessions: every > .zero ? slot(for: site) : nil)
    }

    /// After the transfer: what the check should take as the site's certificate (`seen` on a
    /// full handshake, else the standing facts) and a transcript note when it was carried;
    /// `reused`: the request went on a kept-alive connection, with no handshake at all;
    /// `resumption`: what became of the kept session (nil: not known).
    public func settle(_ plan: Plan, failed: Bool, seen: CertificateFacts?, reused: Bool = false,
                       resumption: Resumption? = nil) -> (facts: CertificateFacts?, note: String?) {
        if failed {
            forget(plan.site)
            return (seen, nil)
        }
        guard let standing = plan.standing else {
            if let seen { remember(seen, of: plan.site, at: .now) }
            return (seen, nil)
        }
        let minutes = standing.age.wholeSeconds / 60
        let how = switch (reused, resumption) {
        case (true, _): "connection kept alive"
        case (_, .resumed): "TLS session resumed"
        case (_, .refused): "new TLS session (the server did not resume the last one)"
        case (_, .noneKept): "new TLS session"
        case (_, nil): "TLS"
        }
        return (standing.facts, "\(how); certificate as examined \(minutes) min ago (full handshake at least every \(DurationText.format(every)))")
    }

    /// Keeps what a full handshake of `site` showed.
    private func remember(_ facts: CertificateFacts, of site: String, at now: ContinuousClock.Instant) {
        guard every > .zero else { return }
        sites.withLock { $0[site] = Remembered(facts: facts, examinedAt: now) }
    }

    /// Forgets `site` (its check failed): the next check examines it afresh, and its session
    /// goes with the examination.
    private func forget(_ site: String) {
        _ = sites.withLock { $0.removeValue(forKey: site) }
        if let slot = slots.withLock({ $0[site] }) { hw_tls_slot_clear(slot.pointer) }
    }
}

/// The CA file TLS checks verify with (`tls.ca_file`, or with none the system's bundle that
/// libcurl was built to use, Debian's `/etc/ssl/certs/ca-certificates.crt`), as it is when a
/// config is loaded: its path and the file's identity (device, inode, size and modification
/// time), so that a file replaced or edited in place (`update-ca-certificates` rewrites the
/// system's) is told apart from the one before.
public struct TrustedCAFile: Equatable, Sendable {
    private let path: String?
    private let identity: [Int64]

    public init(_ path: String?) {
        self.init(path, systemBundle: CurlGlobal.defaultCAFile)
    }

    /// `systemBundle`: the file verified against when `path` is nil.
    init(_ path: String?, systemBundle: String?) {
        self.path = path
        var info = stat()
        if let file = path ?? systemBundle, stat(file, &info) == 0 {
            identity = [Int64(info.st_dev), Int64(info.st_ino), Int64(info.st_size),
                        Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)]
        } else {
            identity = []
        }
    }
}
