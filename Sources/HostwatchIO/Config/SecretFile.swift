import FoundationEssentials
import Glibc

/// Secrets named by `*_file` keys (`password_file`, `token_file`, …), per DESIGN.md §8. A value
/// with a slash resolves against the config file's folder. A value with no slash is a name,
/// looked up in order:
/// 1. `$CREDENTIALS_DIRECTORY/NAME`: a unit line `LoadCredential=NAME:/some/path`;
/// 2. `$CREDENTIALS_DIRECTORY/hostwatch_NAME`: the packaged unit's
///    `LoadCredential=hostwatch:/etc/hostwatch/credentials`, which loads every file of that
///    folder under the `hostwatch_` prefix;
/// 3. `credentials/NAME` next to the config file: the same files, for the CLI run by root;
/// 4. `NAME` next to the config file.
/// The content never appears in an error.
public enum SecretFile {
    /// Why a secret could not be read: the path and the reason, never the content.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Secrets are short; a bigger file is a wrong path (a certificate bundle, a log).
    public static let maxBytes = 64 * 1024

    /// The prefix the packaged unit's directory credential gives each file.
    public static let credentialPrefix = "hostwatch_"

    /// Where a value may be, in lookup order; the last is the fallback.
    public static func candidates(_ value: String, configFolder: String,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        guard !value.contains("/") else { return [PathText.resolve(value, against: configFolder)] }
        var paths: [String] = []
        if let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            paths.append(PathText.resolve(value, against: credentials))
            paths.append(PathText.resolve(credentialPrefix + value, against: credentials))
        }
        paths.append(PathText.resolve("credentials/" + value, against: configFolder))
        paths.append(PathText.resolve(value, against: configFolder))
        return paths
    }

    /// The file a `*_file` value names: the first candidate that exists, else the last.
    public static func resolve(_ value: String, configFolder: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let paths = candidates(value, configFolder: configFolder, environment: environment)
        return paths.first { access($0, F_OK) == 0 } ?? paths[paths.count - 1]
    }

    /// The secret a `*_file` value names: the file's text without one trailing line break.
    public static func read(_ value: String, configFolder: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> String {
        let paths = candidates(value, configFolder: configFolder, environment: environment)
        let path = paths.first { access($0, F_OK) == 0 } ?? paths[paths.count - 1]
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            var reason = String(cString: strerror(errno))
            if errno == ENOENT, paths.count > 1 { reason += " (nor " + paths.dropLast().joined(separator: ", ") + ")" }
            throw Failure(path: path, reason: reason)
        }
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
