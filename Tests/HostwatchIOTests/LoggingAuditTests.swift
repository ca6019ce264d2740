import Foundation
import Testing
@testable import HostwatchIO

/// STYLE.md §10 across the whole code: operator logs are one `key=value` line per event on
/// stderr through `Logger`, with an event name and no secret among the keys.
@Suite struct LoggingAuditTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources").path

    static func files(under folder: String) -> [(path: String, text: String)] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var out: [(String, String)] = []
        while let name = enumerator?.nextObject() as? String {
            guard name.hasSuffix(".swift"), let text = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8) else { continue }
            out.append((folder + "/" + name, text))
        }
        return out
    }

    @Test func theLibrariesNeverPrintAndNeverWriteStderrButThroughTheLogger() {
        for (path, text) in Self.files(under: Self.sources + "/HostwatchCore") + Self.files(under: Self.sources + "/HostwatchIO") {
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.split(separator: "//").first.map(String.init) ?? ""
                #expect(!code.contains("print("), "\(path):\(n + 1): print in a library")
                #expect(!code.contains("fputs("), "\(path):\(n + 1): fputs in a library")
                if code.contains("write(2,") { #expect(path.hasSuffix("Logging/Logger.swift"), "\(path):\(n + 1): writes stderr itself") }
            }
        }
    }

    @Test func everyLogCallNamesItsEventAndNoKeyHoldsASecret() throws {
        let call = try Regex(#"logger\.(debug|info|warning|error)\(\"([^\"]*)\"(, \[([^\]]*)\])?"#)
        var calls = 0
        for (path, text) in Self.files(under: Self.sources) {
            for match in text.matches(of: call) {
                calls += 1
                let event = String(match.output[2].substring ?? "")
                #expect(event.wholeMatch(of: /[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+/) != nil, "\(path): event \"\(event)\" is not area.what")
                let metadata = String(match.output[4].substring ?? "").lowercased()
                for word in ["password", "passwd", "secret", "token\"", "authorization", "\"url\""] {
                    #expect(!metadata.contains(word), "\(path): \(event) logs \(word)")
                }
            }
        }
        #expect(calls > 30, "the audit found the log calls")
    }

    @Test func aLogLineIsOneLineWhateverTheValue() {
        #expect(Logger.quote("two\nlines") == "\"two\\nlines\"")
        #expect(Logger.quote("a=b \"c\"") == "\"a=b \\\"c\\\"\"")
        #expect(Logger.quote("plain") == "plain")
    }
}
