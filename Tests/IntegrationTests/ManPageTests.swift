import Foundation
import Testing

/// The man page the .deb installs (packaging/hostwatch.1) covers what the built binary's own
/// help offers: every command and every option, and it renders without groff warnings.
@Suite struct ManPageTests {
    static let manPage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("packaging/hostwatch.1").path

    /// `--json`, `--config` … as written in a help text.
    static func options(in text: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: "--[a-z][a-z-]*")
        return Set(pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) })
    }

    @Test func everyCommandAndOptionInTheHelpIsInTheManPage() throws {
        let binary = try HostwatchBinary()
        let usage = try binary.run(["--help"])
        #expect(usage.status == 0)
        // The command lines of the usage text: two spaces, then the command's name.
        let commands = Set(usage.stdout.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first, !word.hasPrefix("-") else { return nil }
            return String(word)
        })
        #expect(commands == ["run", "check", "validate", "discover", "tickets", "silence", "status", "outbox"], "\(commands)")
        let page = try String(contentsOfFile: Self.manPage, encoding: .utf8)
        let roffOptions = Set(Self.options(in: page.replacingOccurrences(of: "\\-", with: "-")))
        var helpOptions = Self.options(in: usage.stdout)
        for command in commands {
            #expect(page.contains(".B \(command)"), "the man page has no entry for \(command)")
            let help = try binary.run([command, "--help"])
            #expect(help.status == 0, "\(command) --help: \(help.stderr)")
            helpOptions.formUnion(Self.options(in: help.stdout))
        }
        #expect(helpOptions.subtracting(roffOptions).isEmpty, "options missing from the man page: \(helpOptions.subtracting(roffOptions).sorted())")
        #expect(page.contains("tickets show"))
    }

    @Test func rendersWithoutWarnings() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/groff") else {
            Issue.record("groff is not installed (Debian package groff-base): cannot check the man page")
            return
        }
        let result = try ChildProcess.run("/usr/bin/groff", ["-man", "-Tutf8", "-ww", "-z", Self.manPage], timeout: .seconds(30))
        #expect(result.status == 0 && result.output.isEmpty, "\(result.output)")
    }
}
