import HostwatchCore

// libFuzzer entry point for the DNS message decoder (see Tests/Fuzz/README.md): any datagram a
// hostile or broken server can send. No top-level code, no @main.

/// Decodes the bytes; a message that decodes must describe itself, encode, and decode again
/// to the same questions and record count (names are compared case-insensitively by DNSName).
@_cdecl("LLVMFuzzerTestOneInput")
public func dnsMessageFuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: size))
    let message: DNSMessage
    do {
        message = try DNSMessage.decode(bytes)
    } catch {
        precondition(!error.description.isEmpty)
        return 0
    }
    for question in message.questions { _ = question.description }
    for record in message.answers + message.authorities + message.additionals { _ = record.description }
    _ = message.flags.text
    _ = message.rcode.description
    _ = message.mismatch(with: query)
    // What we decoded we must be able to write back and read again (the TCP fallback and the
    // test kit's fake servers write messages with the same encoder).
    guard let again = try? message.encoded() else { return 0 }
    do {
        let reread = try DNSMessage.decode(again)
        precondition(reread.questions == message.questions, "questions changed: \(message.questions) → \(reread.questions)")
        precondition(reread.answers.count == message.answers.count, "answer count changed")
    } catch {
        preconditionFailure("re-encoded message does not decode: \(error)")
    }
    return 0
}

private let query = DNSMessage.query(id: 0x1234, name: try! DNSName("example.org"), type: .a)
