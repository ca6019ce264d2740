/// Why a DNS message or name could not be read or written. Every malformed input ends in one of
/// these, never a crash or a hang; the text says what and where (byte offsets into the message).
public enum DNSWireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message ended inside a field (`needed` more bytes at `offset`).
    case truncated(offset: Int, needed: Int)
    /// A compression pointer points at or past the end of the message.
    case pointerOutOfBounds(offset: Int, target: Int)
    /// Following compression pointers came back to a place already visited.
    case compressionLoop(offset: Int)
    /// More compression pointers in one name than a 255-byte name could ever need.
    case tooManyPointers(offset: Int)
    /// A label length byte of 64–191 (RFC 1035 allows 63; the others are obsolete label types),
    /// or a label over 63 bytes in text.
    case labelTooLong(length: Int, offset: Int?)
    /// A name over 255 bytes.
    case nameTooLong(length: Int, offset: Int?)
    /// A header count larger than the rest of the message could hold.
    case countExceedsMessage(section: String, count: Int, remaining: Int)
    /// A record's data does not fit its declared length, or has the wrong size for its type.
    case badRecordData(type: String, offset: Int, detail: String)
    /// Two OPT records, or one outside the additional section (RFC 6891 §6.1.1).
    case badOPT(detail: String)
    /// Presentation text that is not a name (an empty label such as `a..b`, a bad escape).
    case emptyLabel(String)
    case badText(String)
    /// A value too large for its wire field (a TXT string over 255 bytes, a message over 65535).
    case valueTooLong(String)

    public var description: String {
        switch self {
        case let .truncated(offset, needed):
            "message ends at byte \(offset), \(needed) more byte\(needed == 1 ? "" : "s") expected"
        case let .pointerOutOfBounds(offset, target):
            "compression pointer at byte \(offset) points to byte \(target), past the end of the message"
        case let .compressionLoop(offset):
            "compression pointers loop (at byte \(offset))"
        case let .tooManyPointers(offset):
            "too many compression pointers in one name (at byte \(offset))"
        case let .labelTooLong(length, offset):
            if let offset { "label length \(length) at byte \(offset) is over 63" } else { "label of \(length) bytes is over 63" }
        case let .nameTooLong(length, offset):
            "name of \(length) bytes is over 255" + (offset.map { " (at byte \($0))" } ?? "")
        case let .countExceedsMessage(section, count, remaining):
            "\(section) count \(count) is larger than the \(remaining) bytes left in the message can hold"
        case let .badRecordData(type, offset, detail):
            "\(type) record data at byte \(offset): \(detail)"
        case let .badOPT(detail):
            "EDNS0 OPT record: \(detail)"
        case let .emptyLabel(text):
            "\"\(text)\" has an empty label"
        case let .badText(text):
            "\"\(text)\" is not a domain name"
        case let .valueTooLong(detail):
            detail
        }
    }
}
