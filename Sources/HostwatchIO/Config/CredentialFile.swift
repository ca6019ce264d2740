import FoundationEssentials

/// Secrets in files named by `*_file` keys (DESIGN.md §8): where such a file is, and its text.
public enum CredentialFile {
    /// The path of a configured `*_file` value: a bare name (no slash) is first looked up in
    /// `$CREDENTIALS_DIRECTORY` (systemd `LoadCredential`); otherwise, and when it is not there,
    /// a relative value resolves against the config file's folder.
    public static func path(of value: String, configFolder: String,
                            environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if !value.contains("/"), let credentials = environment["CREDENTIALS_DIRECTORY"], !credentials.isEmpty {
            let candidate = PathText.resolve(value, against: credentials)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return PathText.resolve(value, against: configFolder)
    }

    /// Why a secret could not be read, in words fit for a ticket (never the secret itself).
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The secret in `path`: its text without one trailing line break.
    public static func read(_ path: String) throws(Problem) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw Problem(description: "cannot read the password file \(path): \(reason)")
        }
        var bytes = [UInt8](data)
        if bytes.last == 10 { bytes.removeLast() }
        if bytes.last == 13 { bytes.removeLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Problem(description: "the password file \(path) is not UTF-8 text")
        }
        guard !text.isEmpty else { throw Problem(description: "the password file \(path) is empty") }
        return text
    }
}
