import CCurl
import FoundationEssentials
import HostwatchCore

/// The part of a mail session after libcurl's opening: the request's commands, then QUIT or
/// LOGOUT, sent with `curl_easy_send` and read with `curl_easy_recv` on the connection libcurl
/// left open (`CURLOPT_CONNECT_ONLY`), driven by the multi loop without ever blocking it.
///
/// Why not let libcurl finish the session: its SMTP, IMAP and POP3 disconnect sends QUIT or
/// LOGOUT and then *blocks* for the reply (up to the server response timeout), which would stall
/// every other transfer on the loop behind one hung server. A `CONNECT_ONLY` handle removed from
/// the multi handle is closed without that goodbye, so the goodbye is ours, bounded like every
/// other wait here by the request's deadline.
///
/// libcurl does not show what `curl_easy_send` sends or `curl_easy_recv` reads in the debug
/// transcript, so the dialogue records both itself (through the transfer's redaction).
/// Used on the loop thread only.
final class CurlDialogue {
    /// What the loop should wait for before calling `advance` again.
    enum Wait {
        case readable(curl_socket_t)
        case writable(curl_socket_t)
        /// Nothing to do on the socket before this instant (a poll's pause).
        case until(ContinuousClock.Instant)
        case done
    }

    private enum State {
        case sending([UInt8], offset: Int)
        case receiving
        case pausing(until: ContinuousClock.Instant)
        case done
    }

    /// A reply line longer than this ends the session: no mail server needs it.
    static let lineLimit = 64 * 1024
    /// Bytes one reply may take (an IMAP SEARCH of a big mailbox fits; an endless stream does not).
    static let replyLimit = 1 << 20

    let proto: MailProtocol
    let commands: [MailCommand]
    /// The end of the whole session: every wait here ends by then.
    let deadline: ContinuousClock.Instant
    private var index = 0
    private var closing = false
    private var state = State.done
    private var tag: String?
    private var tagCount = 0
    private var buffer: [UInt8] = []
    private var replyBytes = 0
    private var pollSatisfied = false
    private var pollEnds: ContinuousClock.Instant?
    private var waitingFor = ""
    /// libcurl's code for how the dialogue ended; `CURLE_OK` when the closing reply came.
    private(set) var code = CURLE_OK

    init(proto: MailProtocol, commands: [MailCommand], deadline: ContinuousClock.Instant) {
        self.proto = proto
        self.commands = commands
        self.deadline = deadline
    }

    var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    /// Starts with the first command, once libcurl's opening has succeeded.
    func begin(_ transfer: CurlTransfer) {
        if commands.isEmpty { closing = true }
        send(transfer, now: ContinuousClock.now)
    }

    /// Does whatever can be done without blocking and says what to wait for next.
    func advance(_ transfer: CurlTransfer, now: ContinuousClock.Instant) -> Wait {
        var socket: curl_socket_t = -1
        hw_easy_getinfo_socket(transfer.easy, &socket)
        while true {
            if case .done = state { return .done }
            if now >= deadline {
                fail(transfer, CURLE_OPERATION_TIMEDOUT,
                     "no answer to \(waitingFor) within \(DurationText.format(deadline - transfer.madeAt))")
                return .done
            }
            switch state {
            case .done:
                return .done
            case .pausing(let until):
                if now < until { return .until(until) }
                send(transfer, now: now)
            case .sending(let bytes, let offset):
                var sent = 0
                let result = bytes.withUnsafeBytes { curl_easy_send(transfer.easy, $0.baseAddress! + offset, bytes.count - offset, &sent) }
                if result == CURLE_AGAIN { return .writable(socket) }
                guard result == CURLE_OK else {
                    fail(transfer, result, "sending \(waitingFor) failed: \(String(cString: curl_easy_strerror(result)))")
                    return .done
                }
                state = offset + sent >= bytes.count ? .receiving : .sending(bytes, offset: offset + sent)
            case .receiving:
                if takeLines(transfer, now: now) { continue }
                var chunk = [UInt8](repeating: 0, count: 16 * 1024)
                var received = 0
                let result = chunk.withUnsafeMutableBytes { curl_easy_recv(transfer.easy, $0.baseAddress!, $0.count, &received) }
                if result == CURLE_AGAIN { return .readable(socket) }
                guard result == CURLE_OK else {
                    fail(transfer, result, "reading the reply to \(waitingFor) failed: \(String(cString: curl_easy_strerror(result)))")
                    return .done
                }
                guard received > 0 else {
                    fail(transfer, CURLE_GOT_NOTHING, "the server closed the connection before answering \(waitingFor)")
                    return .done
                }
                buffer.append(contentsOf: chunk[0..<received])
                replyBytes += received
                if buffer.count > Self.lineLimit, !buffer.contains(10) {
                    fail(transfer, CURLE_WEIRD_SERVER_REPLY, "the reply to \(waitingFor) has a line longer than \(Self.lineLimit) bytes")
                    return .done
                }
                if replyBytes > Self.replyLimit {
                    fail(transfer, CURLE_WEIRD_SERVER_REPLY, "the reply to \(waitingFor) is longer than \(Self.replyLimit) bytes")
                    return .done
                }
            }
        }
    }

    /// Sends the current command (or the closing one).
    private func send(_ transfer: CurlTransfer, now: ContinuousClock.Instant) {
        replyBytes = 0
        pollSatisfied = false
        let text: String
        var bytes: [UInt8]
        if closing {
            text = proto.closingCommand
            bytes = []
        } else {
            let command = commands[index]
            if let poll = command.poll, pollEnds == nil { pollEnds = now + poll.within }
            switch command.kind {
            case .line(let line):
                text = line
            case .message(let message):
                // RFC 5321 §4.5.2: lines that start with a dot get another; the body ends with CRLF.CRLF.
                var body = ""
                for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
                    let line = line.hasSuffix("\r") ? line.dropLast() : line
                    body += (line.hasPrefix(".") ? "." : "") + line + "\r\n"
                }
                transfer.note("hostwatch: message of \(body.utf8.count) bytes sent, not recorded")
                waitingFor = "the end of the message"
                tag = nil
                bytes = Array(body.utf8) + Array(".\r\n".utf8)
                record(transfer, sent: ".")
                state = .sending(bytes, offset: 0)
                return
            }
        }
        var line = text
        if proto == .imap {
            tagCount += 1
            tag = "hw\(tagCount)"
            line = "hw\(tagCount) " + text
        }
        waitingFor = text.split(separator: " ").prefix(2).joined(separator: " ")
        if waitingFor.hasPrefix("UID ") == false { waitingFor = String(text.split(separator: " ").first ?? "") }
        bytes = Array(line.utf8) + [13, 10]
        record(transfer, sent: line)
        state = .sending(bytes, offset: 0)
    }

    /// Takes the complete lines out of the buffer; true when the reply ended and the state moved on.
    private func takeLines(_ transfer: CurlTransfer, now: ContinuousClock.Instant) -> Bool {
        while let newline = buffer.firstIndex(of: 10) {
            var end = newline
            if end > 0, buffer[end - 1] == 13 { end -= 1 }
            let line = Array(buffer[0..<end])
            buffer.removeSubrange(0...newline)
            line.withUnsafeBytes { transfer.keep(UInt8(ascii: "<"), $0) }
            if !closing, let poll = commands[index].poll, line.starts(with: Array(poll.prefix.utf8)), line.count > poll.prefix.utf8.count {
                pollSatisfied = true
            }
            if let accepted = ends(line) {
                replied(transfer, accepted: accepted, now: now)
                return true
            }
        }
        return false
    }

    /// Whether `line` ends the reply, and if so whether it accepts: SMTP's last line of a reply,
    /// IMAP's tagged line (or a `+` we never ask for), POP3's status line.
    private func ends(_ line: [UInt8]) -> Bool? {
        switch proto {
        case .smtp:
            let text = String(decoding: line.prefix(4), as: UTF8.self)
            guard let code = MailDialogue.smtpCode(text), line.count == 3 || line[3] == 32 else { return nil }
            return code < 400
        case .imap:
            if line.first == 43 { return false }
            guard let tag, line.starts(with: Array((tag + " ").utf8)) else { return nil }
            let status = line.dropFirst(tag.utf8.count + 1).prefix(3)
            return status.count >= 2 && (status[status.startIndex] | 32) == 111 && (status[status.startIndex + 1] | 32) == 107
        case .pop3:
            if line.starts(with: Array("+OK".utf8)) { return true }
            if line.starts(with: Array("-ERR".utf8)) { return false }
            return nil
        }
    }

    private func replied(_ transfer: CurlTransfer, accepted: Bool, now: ContinuousClock.Instant) {
        if closing {
            state = .done
            return
        }
        if accepted, let poll = commands[index].poll, !pollSatisfied, let ends = pollEnds, now + poll.every < ends {
            state = .pausing(until: now + poll.every)
            return
        }
        if !accepted {
            // Stop at the first refusal: after a failed RCPT, DATA's message would be read as commands.
            closing = true
        } else {
            index += 1
            if index == commands.count { closing = true }
        }
        send(transfer, now: now)
    }

    private func record(_ transfer: CurlTransfer, sent line: String) {
        var line = line
        line.withUTF8 { transfer.keep(UInt8(ascii: ">"), UnsafeRawBufferPointer($0)) }
    }

    private func fail(_ transfer: CurlTransfer, _ code: CURLcode, _ detail: String) {
        self.code = code
        transfer.dialogueError = detail
        transfer.note("hostwatch: \(detail)")
        state = .done
    }
}
