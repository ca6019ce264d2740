import Foundation
import HostwatchCore
import HostwatchIO
import Testing

/// The responder's commands against a real store: ack, note, resolve (a solution required),
/// related by domain and by account, list filters; each recorded with its time and actor.
@Suite(.serialized)
struct ResponderActionsTests {
    @Test func responderActionsAreRecordedWithTheirActorAndRelatedFindsHistory() throws {
        let dir = try TempDirectory(prefix: "hostwatch-responder")
        defer { try? dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.appending("checks"), withIntermediateDirectories: true)
        try #"{ server: { name: "r", address: "127.0.0.1" }, state_dir: "state" }"#
            .write(toFile: dir.appending("hostwatch.json5"), atomically: true, encoding: .utf8)
        let config = dir.appending("hostwatch.json5")
        let store = try FileTicketStore(folder: dir.appending("state"))
        var old = StoreBenchDraft.make("shop.test")
        old.accounts = [.init(name: "Shop Example GmbH (#2077)", plan: .plus)]
        let first = try store.open(old)
        let binary = try HostwatchBinary()
        let run = { (args: [String]) throws -> HostwatchBinary.Output in try binary.run(args + ["--config", config]) }

        #expect(try run(["tickets", "ack", first.id, "--by", "ann"]).status == 0)
        #expect(try run(["tickets", "note", first.id, "restarted", "php-fpm", "--by", "ann"]).status == 0)
        let noSolution = try run(["tickets", "resolve", first.id, "--by", "ann"])
        #expect(noSolution.status == 64)
        #expect(noSolution.stderr.contains("needs --solution"))
        #expect(try run(["tickets", "resolve", first.id, "--solution", "php-fpm pool exhausted; raised pm.max_children", "--by", "ann"]).status == 0)
        let resolved = try #require(try store.ticket(id: first.id))
        #expect(resolved.status == .resolved)
        #expect(resolved.solution == "php-fpm pool exhausted; raised pm.max_children")
        #expect(resolved.steps.suffix(3).map(\.actor) == ["ann", "ann", "ann"])
        #expect(resolved.steps.suffix(3).map(\.text) == ["acknowledged", "note: restarted php-fpm",
                                                         "resolved by hand: php-fpm pool exhausted; raised pm.max_children"])
        for command in [["tickets", "ack", "HW-404"], ["tickets", "note", "HW-404", "x"], ["tickets", "resolve", "HW-404", "--solution", "x"]] {
            #expect(try run(command).status == 1, "\(command)")
        }

        // A new ticket for the same account names the earlier one, with its solution.
        var next = StoreBenchDraft.make("blog.test")
        next.accounts = [.init(name: "Shop Example GmbH (#2077)", plan: .plus)]
        let second = try store.open(next)
        #expect(second.related.map(\.id) == [first.id])
        #expect(second.related.first?.solution == "php-fpm pool exhausted; raised pm.max_children")

        let byDomain = try run(["tickets", "related", "SHOP.test"])
        #expect(byDomain.stdout.split(separator: "\n").count == 1)
        #expect(byDomain.stdout.contains("\(first.id)\tresolved"))
        #expect(byDomain.stdout.contains("solution: php-fpm pool exhausted"))
        let byAccount = try run(["tickets", "related", "--account", "example gmbh"])
        #expect(byAccount.stdout.split(separator: "\n").count == 2)
        #expect(try run(["tickets", "related"]).status == 64)

        let open = try run(["tickets", "list"])
        #expect(open.stdout.contains(second.id) && !open.stdout.contains("\(first.id)\t"))
        #expect(try run(["tickets", "list", "--status", "resolved"]).stdout.hasPrefix("\(first.id)\tresolved"))
        #expect(try run(["tickets", "list", "--all", "--domain", "blog.test"]).stdout.hasPrefix("\(second.id)\t"))
        #expect(try run(["tickets", "list", "--since", "2099-01-01T00:00:00Z"]).stdout == "no open tickets\n")
        #expect(try run(["tickets", "list", "--severity", "bad"]).status == 64)
    }
}
