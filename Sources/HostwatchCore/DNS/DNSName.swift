/// A domain name, kept in uncompressed wire form (RFC 1035 §3.1: length-prefixed labels ending
/// in the empty root label), so decoding a reply costs one allocation per name.
///
/// Always absolute: `example.org` and `example.org.` are the same name. Comparison and hashing
/// ignore ASCII case (RFC 4343). A name holds labels of 1–63 bytes and is at most 255 bytes on
/// the wire; every way of making one enforces that.
public struct DNSName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Length-prefixed labels and the final zero byte.
    public let wire: [UInt8]

    /// The root name, `.`.
    public static let root = DNSName(trustedWire: [0])

    init(trustedWire: [UInt8]) {
        wire = trustedWire
    }

    /// Parses presentation text (RFC 1035 §5.1): dots separate labels, `\.` and `\\` escape, and
    /// `\DDD` is a byte in decimal. A trailing dot is optional. Throws on an empty label, a label
    /// over 63 bytes or a name over 255 bytes.
    public init(_ text: String) throws(DNSWireError) {
        if text == "." || text.isEmpty {
            self = .root
            return
        }
        let bytes = Array(text.utf8)
        var wire: [UInt8] = [0]
        var labelStart = 0
        var i = 0
        func closeLabel() throws(DNSWireError) {
            let length = wire.count - labelStart - 1
            guard length > 0 else { throw .emptyLabel(text) }
            guard length <= 63 else { throw .labelTooLong(length: length, offset: nil) }
            wire[labelStart] = UInt8(length)
        }
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 46 {
                try closeLabel()
                i += 1
                // A final unescaped dot only says the name is absolute.
                if i == bytes.count { break }
                labelStart = wire.count
                wire.append(0)
                continue
            }
            if byte == 92 {
                let digits = bytes[(i + 1)...].prefix(3)
                if digits.count == 3, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                    let value = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
                    guard value <= 255 else { throw .badText(text) }
                    wire.append(UInt8(value))
                    i += 4
                } else if i + 1 < bytes.count {
                    wire.append(bytes[i + 1])
                    i += 2
                } else {
                    throw .badText(text)
                }
                continue
            }
            wire.append(byte)
            i += 1
        }
        // The last label is still open unless the text ended in a dot (its length byte is set).
        if wire[labelStart] == 0 { try closeLabel() }
        wire.append(0)
        guard wire.count <= 255 else { throw .nameTooLong(length: wire.count, offset: nil) }
        self.wire = wire
    }

    /// The labels, each without its length byte, from the leftmost.
    public var labels: [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var i = 0
        while i < wire.count, wire[i] != 0 {
            let length = Int(wire[i])
            out.append(wire[(i + 1)..<(i + 1 + length)])
            i += 1 + length
        }
        return out
    }

    /// True when this name equals `other` or lies below it (`www.example.org` is under `example.org`).
    public func isSubdomain(of other: DNSName) -> Bool {
        guard wire.count >= other.wire.count else { return false }
        // Compare the tail; it must start on a label boundary.
        var i = 0
        while wire.count - i > other.wire.count {
            i += 1 + Int(wire[i])
        }
        guard wire.count - i == other.wire.count else { return false }
        return Self.equalFolded(wire[i...], other.wire[...])
    }

    /// `example.org.`, with `.`, `\`, spaces and non-printable bytes escaped (`\.`, `\\`, `\032`).
    public var description: String {
        guard wire.count > 1 else { return "." }
        // Straight from the wire into one byte buffer: every check's transcript names its
        // domain several times, and appending scalar by scalar to a String cost a tenth of a
        // DNS check (issue 16).
        var out: [UInt8] = []
        out.reserveCapacity(wire.count + 8)
        var i = 0
        while i < wire.count, wire[i] != 0 {
            let end = min(wire.count, i + 1 + Int(wire[i]))
            for byte in wire[(i + 1)..<end] {
                switch byte {
                case 46, 92, 34, 40, 41, 59, 64, 36:
                    out.append(92)
                    out.append(byte)
                case 33...126:
                    out.append(byte)
                default:
                    out.append(92)
                    out.append(contentsOf: Self.threeDigits(byte).utf8)
                }
            }
            out.append(46)
            i = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The name in lower case, for keys and comparison-free display.
    public var lowercased: DNSName {
        DNSName(trustedWire: wire.map(Self.fold))
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.wire.count == rhs.wire.count && equalFolded(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        // The folded bytes in one piece: a byte at a time was most of what comparing answers
        // with expectations cost (issue 16).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: wire.count) { folded in
            for (index, byte) in wire.enumerated() { folded[index] = Self.fold(byte) }
            hasher.combine(bytes: UnsafeRawBufferPointer(folded))
        }
    }

    /// Canonical order is not needed here: a plain order on the lower-case text, for stable messages.
    public static func < (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.lowercased.description < rhs.lowercased.description
    }

    static func fold(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

    static func equalFolded(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.startIndex, j = b.startIndex
        while i < a.endIndex {
            if fold(a[i]) != fold(b[j]) { return false }
            i += 1
            j += 1
        }
        return true
    }

    static func threeDigits(_ byte: UInt8) -> String {
        let text = String(byte)
        return String(repeating: "0", count: 3 - text.count) + text
    }
}
