import FoundationEssentials
import Glibc

/// Secrets named by `*_file` keys (`password_file`, `token_file`, …), per DESIGN.md §8: a value
/// with no slash is looked up first in `$CREDENTIALS_DIRECTORY` (where systemd puts what the
/// unit's `LoadCredential=` lines load), then against the config file's folder; a value with a
/// slash resolves against the config file's folder only. The content never appears in an error.
public enum SecretFile {
    /// Why a secret could not be read: the path and the reason, never the content.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Secrets are short; a bigger file is a wrong path (a certificate bundle, a log).
    public static let maxBytes = 64 * 1024

    /// The file a `*_file` value names.
    public static func resolve(_ value: String, configFolder: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if !value.contains("/"), let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            let candidate = PathText.resolve(value, against: credentials)
            if access(candidate, F_OK) == 0 { return candidate }
        }
        return PathText.resolve(value, against: configFolder)
    }

    /// The secret a `*_file` value names: the file's text without one trailing line break.
    public static func read(_ value: String, configFolder: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> String {
        let path = resolve(value, configFolder: configFolder, environment: environment)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
            guard bytes.count <= maxBytes else { throw Failure(path: path, reason: "larger than \(maxBytes) bytes: not a secret file") }
        }
        if bytes.last == 10 { bytes.removeLast() }
        if bytes.last == 13 { bytes.removeLast() }
        guard !bytes.isEmpty else { throw Failure(path: path, reason: "the file is empty") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure(path: path, reason: "the file is not UTF-8 text") }
        return text
    }
}
