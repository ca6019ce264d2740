/// An IPv4 or IPv6 address as bytes (4 or 16), parsed from and printed as text without asking
/// any resolver. Two spellings of one IPv6 address (`::1`, `0:0::1`) are equal.
public struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// From raw bytes; nil unless there are 4 or 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// From text: a dotted quad, or an IPv6 address (RFC 4291 §2.2: `::` once, an IPv4 tail
    /// allowed; no brackets, no zone).
    public init?(_ text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            bytes = v4
        } else if let v6 = Self.parseIPv6(text) {
            bytes = v6
        } else {
            return nil
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }
    public var isIPv6: Bool { bytes.count == 16 }

    /// `203.0.113.10`, or IPv6 in RFC 5952 form (lower case, the longest run of two or more
    /// zero groups as `::`).
    public var description: String {
        if isIPv4 { return bytes.map { String($0) }.joined(separator: ".") }
        var groups: [Int] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(Int(bytes[i]) << 8 | Int(bytes[i + 1])) }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String { groups[range].map { String($0, radix: 16) }.joined(separator: ":") }
        guard bestLength >= 2 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// IPv4 before IPv6, then by bytes: a stable order for messages.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.bytes.count != rhs.bytes.count { return lhs.bytes.count < rhs.bytes.count }
        return lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Four decimal parts of one to three digits, each at most 255, read in one pass over the
    /// bytes (every DNS query parses its server's address: a split made an array and four
    /// substrings each time).
    static func parseIPv4(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(4)
        var value = 0, digits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, out.count < 3 else { return nil }
                out.append(UInt8(value))
                value = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3 {
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard value <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, out.count == 3 else { return nil }
        out.append(UInt8(value))
        return out
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        guard text.contains(":"), text.utf8.count <= 45 else { return nil }
        let utf8 = Array(text.utf8)
        // Split on the one allowed "::".
        var doubleColon: Int?
        var i = 0
        while i + 1 < utf8.count {
            if utf8[i] == 58, utf8[i + 1] == 58 {
                guard doubleColon == nil else { return nil }
                doubleColon = i
                i += 2
                continue
            }
            i += 1
        }
        func groups(_ part: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var out: [UInt8] = []
            let pieces = part.split(separator: 58, omittingEmptySubsequences: false)
            for (n, piece) in pieces.enumerated() {
                if allowIPv4Tail, n == pieces.count - 1, piece.contains(46) {
                    guard let v4 = parseIPv4(Substring(decoding: piece, as: UTF8.self)) else { return nil }
                    out += v4
                    continue
                }
                guard !piece.isEmpty, piece.count <= 4 else { return nil }
                var value = 0
                for byte in piece {
                    guard let digit = hexValue(byte) else { return nil }
                    value = value << 4 | digit
                }
                out.append(UInt8(value >> 8))
                out.append(UInt8(value & 0xff))
            }
            return out
        }
        if let dc = doubleColon {
            guard let head = groups(utf8[..<dc], allowIPv4Tail: false),
                  let tail = groups(utf8[(dc + 2)...], allowIPv4Tail: true),
                  head.count + tail.count <= 14 else { return nil }
            return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        }
        guard let all = groups(utf8[...], allowIPv4Tail: true), all.count == 16 else { return nil }
        return all
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 48...57: Int(byte - 48)
        case 97...102: Int(byte - 87)
        case 65...70: Int(byte - 55)
        default: nil
        }
    }
}
