import Foundation
import Glibc
@testable import HostwatchIO
import Testing

/// A private Request Tracker 5 (Debian's request-tracker5 with SQLite and the standalone Starlet
/// server) on 127.0.0.1 and a free port, set up by `packaging/rt-server-config`: queue `Hosting`
/// with the custom fields Fingerprint, Domain and Severity, and an API user whose token is in
/// `tokenFile`. Two workers, listening on loopback only.
///
/// `stop()` and `start()` simulate an outage (the database stays). Started once per suite with
/// the `.requestTracker` trait; tests reach it through `RequestTrackerServer.current`.
final class RequestTrackerServer: @unchecked Sendable {
    @TaskLocal static var current: RequestTrackerServer?

    let directory: String
    let port: UInt16
    var url: String { "http://127.0.0.1:\(port)" }
    var tokenFile: String { directory + "/token" }
    private let lock = NSLock()
    private var process: ChildProcess?

    static let executable = "/usr/share/request-tracker5/libexec/rt-server"

    init(directory: String) throws {
        self.directory = directory
        port = Self.freePort()
        let script = Self.repositoryRoot + "/packaging/rt-server-config"
        try ChildProcess.output(of: script, [directory, String(port)], timeout: .seconds(120))
    }

    deinit { shutdown() }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["RT_SITE_CONFIG"] = directory + "/site/RT_SiteConfig.pm"
        env["RT_SITE_CONFIG_DIR"] = directory + "/site"
        return env
    }

    /// Starts the server and returns once `/REST/2.0/rt` answers.
    func start(timeout: Duration = .seconds(60)) throws {
        try lock.withLock {
            if let process, process.isRunning { return }
            let child = try ChildProcess(executable: Self.executable,
                                         arguments: ["--server", "Starlet", "--host", "127.0.0.1", "--port", String(port), "--max-workers", "2"],
                                         environment: environment, workingDirectory: directory, logFile: directory + "/log/server.log")
            let up = waitUntil(timeout: timeout, poll: .milliseconds(100)) {
                !child.isRunning || tcpConnects(host: "127.0.0.1", port: port)
            }
            guard up, child.isRunning else {
                child.terminate()
                throw FixtureError.serverDidNotStart(command: child.commandLine, address: "127.0.0.1", port: port, log: log())
            }
            process = child
        }
    }

    /// Stops the server (TERM to its group) and returns once the port refuses.
    func stop() throws {
        lock.withLock {
            process?.terminate()
            process = nil
        }
        guard waitUntil(timeout: .seconds(10), { !tcpConnects(host: "127.0.0.1", port: port) }) else {
            throw FixtureError.serverDidNotStop(address: "127.0.0.1", port: port)
        }
    }

    func shutdown() {
        lock.withLock {
            process?.terminate()
            process = nil
        }
    }

    func log() -> String {
        String(decoding: FileManager.default.contents(atPath: directory + "/log/server.log") ?? Data(), as: UTF8.self).suffix(3000).description
    }

    // MARK: Reading RT, as a test

    /// A REST 2 GET with the API token; the decoded JSON.
    func get(_ path: String) async throws -> Any {
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let loop = CurlMultiLoop(maxInFlight: 2)
        defer { loop.shutdown() }
        let response = await SinkHTTPClient(loop: loop).send(.init(url: url + "/REST/2.0" + path, headers: ["Authorization: token \(token)"],
                                                                   timeout: .seconds(20)))
        guard response.error == nil, response.status == 200 else {
            throw FixtureError.commandFailed(command: "GET \(path)", status: Int32(response.status), output: response.bodyExcerpt)
        }
        return try JSONSerialization.jsonObject(with: Data(response.body))
    }

    /// Ticket numbers whose Fingerprint is `key` (any status), lowest first (every page: RT
    /// answers 20 a page unless asked).
    func tickets(fingerprint key: String) async throws -> [Int] {
        let query = "CF.{Fingerprint} = '\(key)'"
        var numbers: [Int] = []
        for page in 1... {
            let json = try await get("/tickets?query=\(PercentEncoding.query(query))&orderby=id&order=ASC&per_page=100&page=\(page)")
            let items = (json as? [String: Any])?["items"] as? [[String: Any]] ?? []
            numbers += items.compactMap { ($0["id"] as? String).flatMap(Int.init) ?? $0["id"] as? Int }
            if items.count < 100 { break }
        }
        return numbers
    }

    /// One ticket's fields.
    func ticket(_ number: Int) async throws -> [String: Any] {
        try await get("/ticket/\(number)") as? [String: Any] ?? [:]
    }

    /// A custom field's values on a ticket.
    func customField(_ name: String, of ticket: [String: Any]) -> [String] {
        let fields = ticket["CustomFields"] as? [[String: Any]] ?? []
        return fields.first { $0["name"] as? String == name }?["values"] as? [String] ?? []
    }

    /// The ticket's transactions (Type, Field, NewValue), oldest first.
    func history(_ number: Int) async throws -> [(type: String, field: String, new: String)] {
        var all: [(String, String, String)] = []
        var page = 1
        while true {
            let json = try await get("/ticket/\(number)/history?fields=Type,Field,NewValue&per_page=100&page=\(page)") as? [String: Any] ?? [:]
            let items = json["items"] as? [[String: Any]] ?? []
            all += items.map { ($0["Type"] as? String ?? "", $0["Field"] as? String ?? "", $0["NewValue"] as? String ?? "") }
            if items.count < 100 { break }
            page += 1
        }
        return all
    }

    /// The text of every comment on a ticket, oldest first.
    func comments(_ number: Int) async throws -> [String] {
        var texts: [String] = []
        let json = try await get("/ticket/\(number)/history?fields=Type&per_page=100") as? [String: Any] ?? [:]
        for item in json["items"] as? [[String: Any]] ?? [] where item["Type"] as? String == "Comment" {
            guard let id = item["id"] as? String ?? (item["id"] as? Int).map(String.init) else { continue }
            let attachments = try await get("/transaction/\(id)/attachments?fields=Content,ContentType") as? [String: Any] ?? [:]
            for attachment in attachments["items"] as? [[String: Any]] ?? [] where attachment["ContentType"] as? String == "text/plain" {
                guard let content = attachment["Content"] as? String else { continue }
                // Collections return text as is; single attachments come base64.
                if !content.contains(" "), let data = Data(base64Encoded: content) {
                    texts.append(String(decoding: data, as: UTF8.self))
                } else {
                    texts.append(content)
                }
            }
        }
        return texts
    }

    /// Names of the files attached to a ticket.
    func attachmentNames(_ number: Int) async throws -> [String] {
        let json = try await get("/ticket/\(number)/attachments?fields=Filename&per_page=100") as? [String: Any] ?? [:]
        return (json["items"] as? [[String: Any]] ?? []).compactMap { $0["Filename"] as? String }.filter { !$0.isEmpty }
    }

    // MARK: Helpers

    static var repositoryRoot: String {
        var path = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { path.deleteLastPathComponent() }
        return path.path
    }

    /// A port on 127.0.0.1 that nothing listens on now (the kernel's choice).
    static func freePort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// Starts one Request Tracker around a whole suite and stops it after, even when tests fail.
struct RequestTrackerTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let dir = try TempDirectory(prefix: "hostwatch-rt")
        defer { try? dir.remove() }
        let server = try RequestTrackerServer(directory: dir.appending("rt"))
        defer { server.shutdown() }
        try server.start()
        try await RequestTrackerServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == RequestTrackerTrait {
    /// A private Request Tracker for the suite: `RequestTrackerServer.current`.
    static var requestTracker: Self { Self() }
}
