/// Substring search over bytes: a body is looked through on every check, and `String.contains`
/// walks it Character by Character (grapheme breaking), a cost per byte that a scan for the
/// needle's first byte does not have. The text is compared as UTF-8, byte for byte: what a
/// config names is found as written.
public enum ByteSearch {
    public static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        var needle = needle
        return needle.withUTF8 { needle in
            haystack.withUnsafeBufferPointer { haystack in contains(haystack, needle) }
        }
    }

    static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first else { return true }
        guard needle.count <= haystack.count else { return false }
        let lastStart = haystack.count - needle.count
        var start = 0
        while start <= lastStart {
            guard haystack[start] == first else {
                start += 1
                continue
            }
            var matched = 1
            while matched < needle.count, haystack[start + matched] == needle[matched] { matched += 1 }
            if matched == needle.count { return true }
            start += 1
        }
        return false
    }
}
