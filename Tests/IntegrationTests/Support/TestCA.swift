import Foundation
import Glibc

/// A throwaway certificate authority in a directory, made with the `openssl` command line, that
/// issues EC P-256 server certificates for test domains.
///
/// Point the agent's `tls.ca_file` at `caFile`. The certificate rows of the incident policy need:
/// a valid leaf (`issue(names:days:)`), one expiring soon (`days: 7` or `25`), an expired one
/// (`issueExpired(names:)`), one for the wrong name (`issue(names: ["other.test"], days: 90)`), and
/// an untrusted one (issue from a second `TestCA` whose `caFile` the agent is not given).
///
/// Each leaf gets a directory of its own, including the `openssl ca` database used to sign it, so
/// issuing from several tests at once is safe.
struct TestCA: Sendable {
    /// The directory holding the CA and every leaf it issued.
    let directory: String
    /// PEM file of the CA certificate: what a client must trust.
    let caFile: String
    /// PEM file of the CA's private key.
    let keyFile: String

    private static let openssl = "/usr/bin/openssl"

    /// Creates the directory if needed, then a CA key and a self-signed CA certificate valid for
    /// ten years.
    /// - Throws: `FixtureError` with openssl's output if a step fails.
    init(directory: String, commonName: String = "hostwatch test CA") throws {
        precondition(Self.isPlain(commonName, allowing: " .-"), "CA name \(commonName) needs quoting")
        self.directory = directory
        caFile = directory + "/ca.crt"
        keyFile = directory + "/ca.key"
        try Self.createDirectory(directory)
        let config = directory + "/ca.cnf"
        try Self.write("""
            [ req ]
            distinguished_name = dn
            prompt = no
            [ dn ]
            CN = \(commonName)
            [ ca_ext ]
            basicConstraints = critical, CA:TRUE
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash

            """, to: config)
        try Self.generateKey(keyFile)
        try ChildProcess.output(of: Self.openssl, [
            "req", "-x509", "-new", "-config", config, "-extensions", "ca_ext",
            "-key", keyFile, "-days", "3650", "-out", caFile,
        ])
    }

    /// Issues a leaf valid from an hour ago until `days` days from now.
    ///
    /// The hour of back-dating keeps a fresh certificate valid on a client whose clock reads a
    /// second earlier. `days: 7` gives the "expires within a week" case.
    /// - Parameter names: DNS names for subjectAltName; the first is also the subject CN.
    /// - Returns: PEM files of the certificate and its key (for nginx `ssl_certificate` and
    ///   `ssl_certificate_key`).
    func issue(names: [String], days: Int) throws -> (certFile: String, keyFile: String) {
        let now = Date()
        return try issue(names: names, notBefore: now.addingTimeInterval(-3600),
                         notAfter: now.addingTimeInterval(TimeInterval(days) * 86_400))
    }

    /// Issues a leaf that expired a day ago (valid from 31 to 1 days ago), otherwise correct:
    /// right names, signed by this CA, so expiry is the only thing a client can object to.
    func issueExpired(names: [String]) throws -> (certFile: String, keyFile: String) {
        let now = Date()
        return try issue(names: names, notBefore: now.addingTimeInterval(-31 * 86_400),
                         notAfter: now.addingTimeInterval(-86_400))
    }

    /// Issues a leaf for `names` valid from `notBefore` to `notAfter`, either of which may be in
    /// the past.
    ///
    /// `openssl x509 -req` in OpenSSL 3.0 can only set a validity starting now, so this signs with
    /// `openssl ca`, whose `-startdate`/`-enddate` take any date.
    /// - Throws: `FixtureError` with openssl's output if a step fails.
    func issue(names: [String], notBefore: Date, notAfter: Date) throws -> (certFile: String, keyFile: String) {
        precondition(!names.isEmpty, "a leaf needs at least one name")
        for name in names {
            precondition(Self.isPlain(name, allowing: ".-*"), "\(name) is not a DNS name")
        }
        let leaf = directory + "/leaves/\(names[0].replacingOccurrences(of: "*", with: "_"))-"
            + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        try Self.createDirectory(leaf + "/db")
        try Self.write("", to: leaf + "/db/index.txt")
        let certFile = leaf + "/cert.pem"
        let leafKey = leaf + "/key.pem"
        let request = leaf + "/request.pem"
        let config = leaf + "/sign.cnf"
        try Self.write("""
            [ req ]
            distinguished_name = dn
            prompt = no
            [ dn ]
            CN = \(names[0])
            [ ca ]
            default_ca = test_ca
            [ test_ca ]
            database = \(leaf)/db/index.txt
            new_certs_dir = \(leaf)/db
            certificate = \(caFile)
            private_key = \(keyFile)
            rand_serial = yes
            default_md = sha256
            policy = policy_any
            unique_subject = no
            email_in_dn = no
            copy_extensions = none
            x509_extensions = leaf_ext
            [ policy_any ]
            commonName = supplied
            [ leaf_ext ]
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature
            extendedKeyUsage = serverAuth
            subjectKeyIdentifier = hash
            authorityKeyIdentifier = keyid
            subjectAltName = \(names.map { "DNS:" + $0 }.joined(separator: ", "))

            """, to: config)
        try Self.generateKey(leafKey)
        try ChildProcess.output(of: Self.openssl, ["req", "-new", "-config", config, "-key", leafKey, "-out", request])
        try ChildProcess.output(of: Self.openssl, [
            "ca", "-batch", "-notext", "-config", config, "-in", request, "-out", certFile,
            "-startdate", Self.generalizedTime(notBefore), "-enddate", Self.generalizedTime(notAfter),
        ])
        return (certFile, leafKey)
    }

    // MARK: - Helpers

    private static func generateKey(_ path: String) throws {
        try ChildProcess.output(of: openssl, [
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path,
        ])
    }

    /// `YYYYMMDDHHMMSSZ` in UTC, which `openssl ca` accepts and stores as UTCTime where RFC 5280
    /// wants that (before 2050). Built by hand to stay clear of `DateFormatter` (STYLE §10).
    private static func generalizedTime(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    /// Names go into openssl config files unquoted, so only plain characters are allowed.
    private static func isPlain(_ text: String, allowing extra: String) -> Bool {
        !text.isEmpty && text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || extra.contains($0) }
    }

    private static func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FixtureError.fileSystem(path: path, reason: "cannot create directory: \(error)")
        }
    }

    private static func write(_ text: String, to path: String) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw FixtureError.fileSystem(path: path, reason: "cannot write: \(error)")
        }
    }
}
