import Foundation

/// One result of `hostwatch check --json`.
struct CheckResult: Decodable {
    var check: String
    var status: String
    var severity: String?
    var category: String?
    var summary: String
    var endpoint: String?
    var transcript: String
}

extension HostwatchBinary {
    /// Runs `hostwatch check --json`, returning the exit status and the results by check name.
    func check(config: String, _ domains: [String] = []) throws -> (status: Int32, results: [String: CheckResult], stderr: String) {
        let out = try run(["check", "--json", "--config", config] + domains)
        let list = (try? JSONDecoder().decode([CheckResult].self, from: Data(out.stdout.utf8))) ?? []
        return (out.status, Dictionary(list.map { ($0.check, $0) }, uniquingKeysWith: { a, _ in a }), out.stdout + out.stderr)
    }
}
