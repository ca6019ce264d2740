import Foundation
import Glibc
import HostwatchTestKit
import Testing
@testable import HostwatchCore
@testable import HostwatchIO

/// What the e-mail sink composes for each event (the sending itself runs against postfix in the
/// integration tests).
@Suite struct EmailTicketSinkTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func event(_ kind: TicketEvent.Kind, severity: Severity = .critical, revision: Int = 1, steps extra: [String] = []) -> TicketEvent {
        var ticket = Ticket(id: "HW-5", draft: TicketDraft(key: "check:a.test/web", severity: severity, category: .siteOffline, cause: .infrastructure,
                                                           subject: "a.test: site offline", server: .init(name: "web01", address: "127.0.0.1"),
                                                           accounts: [.init(name: "A", plan: .free)], domains: ["a.test"], checks: ["a.test/web"],
                                                           since: t0, openedAt: t0, steps: [.init(at: t0, text: "refused")],
                                                           attachments: [.init(name: "transcript.txt", content: "* refused\n")]))
        for text in extra { ticket.addStep(.init(at: t0, actor: "dave", text: text)) }
        ticket.revision = revision
        return TicketEvent(kind: kind, at: t0.addingTimeInterval(Double(revision)), ticket: ticket, steps: ticket.steps.suffix(1))
    }

    func sink(tag: String? = "\\[example #\\d+\\]") -> EmailTicketSink {
        var c = EmailSinkConfiguration()
        c.to = ["support@helpdesk.test"]
        c.oncall = ["oncall@helpdesk.test", "support@helpdesk.test"]
        c.from = "hostwatch@web01.test"
        c.smtp = "smtp://127.0.0.1:25"
        c.helpdeskTag = tag
        return EmailTicketSink(c, loop: CurlMultiLoop(maxInFlight: 1))
    }

    @Test func theFirstMessageCarriesTheEvidenceAndCriticalOnesCopyOnCall() {
        let message = sink().message(for: event(.opened), known: nil)
        #expect(message.messageID == "<hostwatch.web01.HW-5.1@web01.test>")
        #expect(message.inReplyTo == nil && message.references.isEmpty)
        #expect(message.attachments.map(\.name) == ["transcript.txt"])
        #expect(message.cc == ["oncall@helpdesk.test"])
        #expect(message.subject == "[hostwatch] HW-5: a.test: site offline")
        #expect(message.date == t0.addingTimeInterval(1))
        #expect(sink().message(for: event(.opened, severity: .warning), known: nil).cc.isEmpty)
    }

    @Test func followUpsReferToTheFirstMessageAndCarryTheHelpdeskTagOnceAStepShowsIt() {
        let known = ExternalReference("<hostwatch.web01.HW-5.1@web01.test>")
        let update = sink().message(for: event(.updated, revision: 2), known: known)
        #expect(update.inReplyTo == known.value)
        #expect(update.references == [known.value])
        #expect(update.attachments.isEmpty)
        #expect(update.subject == "[hostwatch] HW-5 updated: a.test: site offline")
        let tagged = sink().message(for: event(.resolved, revision: 3, steps: ["helpdesk ticket is [example #4711]"]), known: known)
        #expect(tagged.subject == "[hostwatch] [example #4711] HW-5 resolved: a.test: site offline")
        #expect(tagged.messageID == "<hostwatch.web01.HW-5.3@web01.test>")
        // Without a recorded reference, the first message's id is derived the same way.
        #expect(sink().message(for: event(.updated, revision: 2), known: nil).inReplyTo == known.value)
    }

    @Test func aResentEventIsTheSameMessage() {
        let e = event(.updated, revision: 4)
        #expect(sink().message(for: e, known: nil).rendered() == sink().message(for: e, known: nil).rendered())
    }
}

/// Relays that cannot or will not take the message: the failure says which and keeps the event.
extension EmailTicketSinkTests {
    func sending(to port: UInt16) -> EmailTicketSink {
        var c = EmailSinkConfiguration()
        c.to = ["support@helpdesk.test"]
        c.from = "hostwatch@web01.test"
        c.smtp = "smtp://127.0.0.1:\(port)"
        c.timeout = .seconds(5)
        return EmailTicketSink(c, loop: CurlMultiLoop(maxInFlight: 1))
    }

    @Test func anUnreachableRelayIsUnreachable() async throws {
        let server = try FakeServer { _ in }
        let port = server.port
        server.stop()
        await #expect {
            _ = try await sending(to: port).deliver(event(.opened), known: nil)
        } throws: { error in
            if case .unreachable = error as? TicketSinkError { return true }
            return false
        }
    }

    @Test func aRelayRefusingTheRecipientIsRejectedWithItsWords() async throws {
        let server = try FakeServer { fd in
            _ = FakeServer.send(fd, Array("220 relay.test ESMTP\r\n".utf8))
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { return }
                let line = String(decoding: buffer[0..<n], as: UTF8.self).uppercased()
                let reply = line.hasPrefix("EHLO") ? "250-relay.test\r\n250 8BITMIME\r\n"
                    : line.hasPrefix("MAIL") ? "250 2.1.0 Ok\r\n"
                    : line.hasPrefix("RCPT") ? "554 5.7.1 <support@helpdesk.test>: Relay access denied\r\n"
                    : line.hasPrefix("QUIT") ? "221 Bye\r\n" : "250 Ok\r\n"
                _ = FakeServer.send(fd, Array(reply.utf8))
                if line.hasPrefix("QUIT") { return }
            }
        }
        defer { server.stop() }
        await #expect {
            _ = try await sending(to: server.port).deliver(event(.opened), known: nil)
        } throws: { error in
            guard case .rejected(let text) = error as? TicketSinkError else { return false }
            return text.contains("Relay access denied")
        }
    }
}
