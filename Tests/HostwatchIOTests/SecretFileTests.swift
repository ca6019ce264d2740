import Foundation
import Testing
@testable import HostwatchIO

@Suite struct SecretFileTests {
    let dir = NSTemporaryDirectory() + "hostwatch-secrets-\(UInt32.random(in: 0...UInt32.max))"
    var config: String { dir + "/etc" }
    var credentials: String { dir + "/run-credentials" }
    var environment: [String: String] { ["CREDENTIALS_DIRECTORY": credentials] }

    func make(_ files: [String: String]) throws {
        for folder in [config + "/credentials", credentials] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        for (path, content) in files { try content.write(toFile: dir + "/" + path, atomically: true, encoding: .utf8) }
    }

    /// Each row: the files present, and which one the name `webhook.token` must find.
    @Test(arguments: [
        (["run-credentials/webhook.token", "run-credentials/hostwatch_webhook.token", "etc/credentials/webhook.token", "etc/webhook.token"],
         "run-credentials/webhook.token"),
        (["run-credentials/hostwatch_webhook.token", "etc/credentials/webhook.token", "etc/webhook.token"], "run-credentials/hostwatch_webhook.token"),
        (["etc/credentials/webhook.token", "etc/webhook.token"], "etc/credentials/webhook.token"),
        (["etc/webhook.token"], "etc/webhook.token"),
        ([], "etc/webhook.token"),
    ])
    func aNameIsLookedUpInTheCredentialsDirectoryThenNextToTheConfig(present: [String], found: String) throws {
        try make(Dictionary(uniqueKeysWithValues: present.map { ($0, "secret from \($0)\n") }))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(SecretFile.resolve("webhook.token", configFolder: config, environment: environment) == dir + "/" + found)
        if !present.isEmpty {
            #expect(try SecretFile.read("webhook.token", configFolder: config, environment: environment) == "secret from \(found)")
        }
    }

    @Test func withoutSystemdTheCredentialsFolderNextToTheConfigStillServesTheCLI() throws {
        try make(["etc/credentials/example.org.pw": "s3cret\r\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try SecretFile.read("example.org.pw", configFolder: config, environment: [:]) == "s3cret")
    }

    @Test func aValueWithASlashNeverLooksInTheCredentialsDirectory() throws {
        try make(["run-credentials/webhook.token": "from-systemd", "etc/webhook.token": "x"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(SecretFile.resolve("./webhook.token", configFolder: config, environment: environment) == config + "/webhook.token")
        #expect(SecretFile.resolve("secrets/webhook.token", configFolder: config, environment: environment) == config + "/secrets/webhook.token")
        #expect(SecretFile.resolve("/etc/hostwatch/webhook.token", configFolder: config, environment: environment) == "/etc/hostwatch/webhook.token")
    }

    @Test func keepsEverythingButOneTrailingLineBreak() throws {
        try make(["etc/pw": "  two lines\nand spaces  \n\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try SecretFile.read("pw", configFolder: config, environment: [:]) == "  two lines\nand spaces  \n")
    }

    @Test func problemsNameThePlacesAndNeverTheContent() throws {
        try make(["etc/empty": "\n", "etc/big": String(repeating: "secret-", count: 10_000)])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = #expect(throws: SecretFile.Failure.self) { try SecretFile.read("nope", configFolder: config, environment: environment) }
        #expect(missing?.description == "\(config)/nope: No such file or directory (nor \(credentials)/nope, \(credentials)/hostwatch_nope, \(config)/credentials/nope)")
        let empty = #expect(throws: SecretFile.Failure.self) { try SecretFile.read("empty", configFolder: config, environment: [:]) }
        #expect(empty?.reason == "the file is empty")
        let big = #expect(throws: SecretFile.Failure.self) { try SecretFile.read("big", configFolder: config, environment: [:]) }
        #expect(big?.description.contains("secret-") == false)
    }
}
