import FoundationEssentials
import Glibc

/// Operator logs: one `key=value` line per event on stderr (journald adds the time), in
/// swift-log's shape without the package. Never pass a secret as a value.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var name: String { ["debug", "info", "warning", "error"][rawValue] }
    }

    public var label: String
    public var level: Level

    public init(label: String, level: Level = .info) {
        self.label = label
        self.level = level
    }

    /// The metadata is built only when debug lines are written: a check that passes logs one,
    /// and building its fields on every check cost more than the line is worth (issue 16).
    public func debug(_ event: String, _ metadata: @autoclosure () -> KeyValuePairs<String, String> = [:]) {
        guard level <= .debug else { return }
        log(.debug, event, metadata())
    }
    public func info(_ event: String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.info, event, metadata) }
    public func warning(_ event: String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.warning, event, metadata) }
    public func error(_ event: String, _ metadata: KeyValuePairs<String, String> = [:]) { log(.error, event, metadata) }

    public func log(_ level: Level, _ event: String, _ metadata: KeyValuePairs<String, String>) {
        guard level >= self.level else { return }
        var line = "level=\(level.name) event=\(event)"
        for (key, value) in metadata { line += " \(key)=\(Self.quote(value))" }
        line += "\n"
        var bytes = Array(line.utf8)
        // One write(2) per line keeps lines whole when several threads log.
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// Quotes a value when it holds spaces, quotes or line breaks.
    static func quote(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else { return value }
        var out = "\""
        for ch in value {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(ch)
            }
        }
        return out + "\""
    }
}
