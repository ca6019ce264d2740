import Foundation
import Testing
@testable import HostwatchIO

@Suite struct SecretFileTests {
    let dir = NSTemporaryDirectory() + "hostwatch-secrets-\(UInt32.random(in: 0...UInt32.max))"
    var config: String { dir + "/etc" }
    var credentials: String { dir + "/credentials" }

    func make(_ files: [String: String]) throws {
        for folder in [config, credentials] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        for (path, content) in files { try content.write(toFile: dir + "/" + path, atomically: true, encoding: .utf8) }
    }

    @Test func aNameWithoutSlashIsLookedUpInTheCredentialsDirectoryFirst() throws {
        try make(["etc/webhook.token": "from-etc\n", "credentials/webhook.token": "from-systemd\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = ["CREDENTIALS_DIRECTORY": credentials]
        #expect(SecretFile.resolve("webhook.token", configFolder: config, environment: environment) == credentials + "/webhook.token")
        #expect(try SecretFile.read("webhook.token", configFolder: config, environment: environment) == "from-systemd")
    }

    @Test func aNameMissingFromTheCredentialsDirectoryFallsBackToTheConfigFolder() throws {
        try make(["etc/example.org.pw": "s3cret\r\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = ["CREDENTIALS_DIRECTORY": credentials]
        #expect(SecretFile.resolve("example.org.pw", configFolder: config, environment: environment) == config + "/example.org.pw")
        #expect(try SecretFile.read("example.org.pw", configFolder: config, environment: environment) == "s3cret")
        #expect(SecretFile.resolve("example.org.pw", configFolder: config, environment: [:]) == config + "/example.org.pw")
    }

    @Test func aValueWithASlashNeverLooksInTheCredentialsDirectory() throws {
        try make(["credentials/webhook.token": "from-systemd", "etc/webhook.token": "x"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let environment = ["CREDENTIALS_DIRECTORY": credentials]
        #expect(SecretFile.resolve("./webhook.token", configFolder: config, environment: environment) == config + "/webhook.token")
        #expect(SecretFile.resolve("secrets/webhook.token", configFolder: config, environment: environment) == config + "/secrets/webhook.token")
        #expect(SecretFile.resolve("/etc/hostwatch/webhook.token", configFolder: config, environment: environment) == "/etc/hostwatch/webhook.token")
    }

    @Test func keepsEverythingButOneTrailingLineBreak() throws {
        try make(["etc/pw": "  two lines\nand spaces  \n\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try SecretFile.read("pw", configFolder: config, environment: [:]) == "  two lines\nand spaces  \n")
    }

    @Test func problemsNameThePathAndNeverTheContent() throws {
        try make(["etc/empty": "\n", "etc/big": String(repeating: "secret-", count: 10_000)])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = #expect(throws: SecretFile.Failure.self) { try SecretFile.read("nope", configFolder: config, environment: [:]) }
        #expect(missing?.description == "\(config)/nope: No such file or directory")
        let empty = #expect(throws: SecretFile.Failure.self) { try SecretFile.read("empty", configFolder: config, environment: [:]) }
        #expect(empty?.reason == "the file is empty")
        let big = #expect(throws: SecretFile.Failure.self) { try SecretFile.read("big", configFolder: config, environment: [:]) }
        #expect(big?.description.contains("secret-") == false)
    }
}
