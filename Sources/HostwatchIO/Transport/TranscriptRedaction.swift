/// Removes credentials from transcript lines before they are kept: libcurl's debug callback
/// sees request headers and protocol commands as sent.
enum TranscriptRedaction {
    /// Line prefixes (compared without case) after which everything is replaced.
    static let prefixes: [[UInt8]] = ["authorization:", "proxy-authorization:", "cookie:", "auth ", "pass "].map { Array($0.utf8) }

    /// The redacted line, or nil when the line holds nothing secret.
    static func redact(_ line: UnsafeRawBufferPointer) -> [UInt8]? {
        for prefix in prefixes where line.count >= prefix.count {
            var matches = true
            for i in 0..<prefix.count where lowercase(line[i]) != prefix[i] {
                matches = false
                break
            }
            if matches {
                // Keep the mechanism word after AUTH (PLAIN, LOGIN) but not what follows it.
                var keep = prefix.count
                if prefix == prefixes[3] {
                    while keep < line.count, line[keep] != 32 { keep += 1 }
                }
                return Array(line[0..<keep]) + Array(" [redacted]".utf8)
            }
        }
        return nil
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= 65 && byte <= 90 ? byte + 32 : byte
    }
}
