import Foundation
import HostwatchCore
import HostwatchIO

/// The built `hostwatch` executable, next to the test bundle in the build folder.
struct HostwatchBinary {
    let path: String

    init() throws {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        path = (me as NSString).deletingLastPathComponent + "/hostwatch"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw FixtureError.fileSystem(path: path, reason: "the hostwatch executable is not built next to the tests")
        }
    }

    /// What a short command printed, separately, and its exit status.
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a short command to completion (at most `timeout`).
    func run(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        if group.wait(timeout: .now() + timeout.timeInterval) == .timedOut { process.terminate() }
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Every ticket in the store of `config`, in full, oldest first.
    func tickets(config: String) throws -> [Ticket] {
        let list = try run(["tickets", "list", "--all", "--json", "--config", config])
        guard list.status == 0 else { throw FixtureError.commandFailed(command: "tickets list", status: list.status, output: list.stderr) }
        struct Listing: Decodable { var tickets: [TicketSummary] }
        let summaries = try FileTicketStore.decoder.decode(Listing.self, from: Data(list.stdout.utf8)).tickets
        return try summaries.reversed().map { summary in
            let shown = try run(["tickets", "show", summary.id, "--json", "--config", config])
            guard shown.status == 0 else { throw FixtureError.commandFailed(command: "tickets show", status: shown.status, output: shown.stderr) }
            return try FileTicketStore.decoder.decode(Ticket.self, from: Data(shown.stdout.utf8))
        }
    }
}

extension HostwatchBinary {
    /// Runs `hostwatch check --json`, returning the exit status and the results by check name.
    func check(config: String, _ domains: [String] = []) throws -> (status: Int32, results: [String: CheckResult], stderr: String) {
        let out = try run(["check", "--json", "--config", config] + domains)
        let list = (try? FileTicketStore.decoder.decode([CheckResult].self, from: Data(out.stdout.utf8))) ?? []
        return (out.status, Dictionary(list.map { ($0.check, $0) }, uniquingKeysWith: { a, _ in a }), out.stdout + out.stderr)
    }
}
