import Foundation
@testable import HostwatchIO
import Testing

/// What tells a reload that the CA file changed.
struct TrustedCAFileTests {
    @Test func theSameFileIsTheSameTrustAndAChangedOneIsNot() throws {
        let folder = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/ca.pem"
        try "one CA\n".write(toFile: file, atomically: true, encoding: .utf8)
        let before = TrustedCAFile(file)
        #expect(TrustedCAFile(file) == before)
        #expect(TrustedCAFile(nil) == TrustedCAFile(nil))
        #expect(TrustedCAFile(nil) != before)

        // Replaced (a new file, as an editor or `cp` over a rename leaves it) with other content.
        try "one CA\nanother CA\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(TrustedCAFile(file) != before)
        // Another path to the same content is another trust, and a missing file is one too.
        try FileManager.default.copyItem(atPath: file, toPath: folder + "/copy.pem")
        #expect(TrustedCAFile(folder + "/copy.pem") != TrustedCAFile(file))
        #expect(TrustedCAFile(folder + "/missing.pem") != TrustedCAFile(file))
    }

    /// With no `tls.ca_file` the system's bundle is the trust: `update-ca-certificates` writing
    /// it anew is a change a reload must see.
    @Test func withNoCAFileTheSystemBundleIsTheTrust() throws {
        let folder = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bundle = folder + "/ca-certificates.crt"
        try "system CA one\n".write(toFile: bundle, atomically: true, encoding: .utf8)
        let before = TrustedCAFile(nil, systemBundle: bundle)
        #expect(TrustedCAFile(nil, systemBundle: bundle) == before)
        try "system CA one\nsystem CA two\n".write(toFile: bundle, atomically: true, encoding: .utf8)
        #expect(TrustedCAFile(nil, systemBundle: bundle) != before)
        // A named file is not the system's bundle, even when it is the same file.
        #expect(TrustedCAFile(bundle, systemBundle: bundle) != TrustedCAFile(nil, systemBundle: bundle))
    }

    /// The bundle libcurl verifies with when a check names none: Debian's libcurl is built with
    /// `/etc/ssl/certs/ca-certificates.crt`.
    @Test func libcurlNamesTheSystemBundle() {
        #expect(CurlGlobal.defaultCAFile == "/etc/ssl/certs/ca-certificates.crt")
        #expect(FileManager.default.fileExists(atPath: "/etc/ssl/certs/ca-certificates.crt"))
    }

    /// A new folder of its own for one test's files.
    static func makeFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "hostwatch-trust-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }
}
