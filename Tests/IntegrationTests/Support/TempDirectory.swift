import Foundation
import Glibc

/// A fresh, private (mode 0700) directory under `/tmp` for one test's files.
///
/// Nothing removes it implicitly: call `remove()` in a `defer`, so a failing run can be kept for
/// inspection by commenting out one line.
struct TempDirectory: Sendable {
    /// Absolute path of the directory, without a trailing slash.
    let path: String

    /// Creates `/tmp/<prefix>-XXXXXX` with `mkdtemp`.
    /// - Throws: `FixtureError.fileSystem` if it cannot be created.
    init(prefix: String = "hostwatch") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else {
            throw FixtureError.fileSystem(path: "/tmp/\(prefix)-XXXXXX", reason: String(cString: strerror(errno)))
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The path of `name` inside the directory (not created).
    func appending(_ name: String) -> String {
        path + "/" + name
    }

    /// Deletes the directory and everything in it. Deleting a directory already gone is not an error.
    /// - Throws: `FixtureError.fileSystem` if something in it cannot be deleted.
    func remove() throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw FixtureError.fileSystem(path: path, reason: "cannot remove: \(error)")
        }
    }
}
