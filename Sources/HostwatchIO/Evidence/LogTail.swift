import FoundationEssentials
import Glibc

/// Excerpts of a log file read backwards from its end, so a 10 GB log costs what a small one
/// does: the last `lines` lines, and (for a log shared by many sites) the last `lines` lines
/// that mention one of `domains` within the last `scanBytes`.
enum LogTail {
    static let chunk = 64 * 1024

    static func excerpt(path: String, lines: Int, domains: [String], scanBytes: Int = 8 << 20) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : (errno == EACCES ? "permission denied" : String(cString: strerror(errno)))
            return "== \(path): not read: \(reason) ==\n"
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return "== \(path): not read: \(String(cString: strerror(errno))) ==\n" }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return "== \(path): not a regular file; not read ==\n" }
        let size = Int(info.st_size)
        var tail: [String] = []
        var matches: [String] = []
        let needles = domains.map { Array($0.lowercased().utf8) }
        var position = size
        var carry: [UInt8] = []      // the start of a line whose beginning is in an earlier chunk
        var scanned = 0
        var sawBinary = false
        while position > 0, scanned < scanBytes, tail.count < lines || (!needles.isEmpty && matches.count < lines) {
            let length = min(chunk, position)
            position -= length
            var buffer = [UInt8](repeating: 0, count: length)
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, length, off_t(position)) }
            guard read == length else { break }
            scanned += length
            if buffer.contains(0) { sawBinary = true; break }
            buffer += carry
            // Lines from the end of the buffer backwards; the first (partial) one carries over.
            var end = buffer.count
            if position + length == size, end > 0, buffer[end - 1] == 10 { end -= 1 }
            var i = end - 1
            while i >= 0 {
                if buffer[i] == 10 {
                    take(buffer[(i + 1)..<end])
                    end = i
                }
                i -= 1
            }
            carry = Array(buffer[0..<end])
        }
        if position == 0, !carry.isEmpty, !sawBinary { take(carry[...]) }

        func take(_ line: ArraySlice<UInt8>) {
            if tail.count < lines { tail.append(String(decoding: line, as: UTF8.self)) }
            if !needles.isEmpty, matches.count < lines, contains(line, anyOf: needles) {
                matches.append(String(decoding: line, as: UTF8.self))
            }
        }

        if sawBinary { return "== \(path): contains NUL bytes near the end; looks binary, not included ==\n" }
        var out = "== \(path): last \(tail.count) lines ==\n" + tail.reversed().joined(separator: "\n") + "\n"
        if !needles.isEmpty {
            out += "== \(path): last \(matches.count) lines mentioning \(domains.prefix(5).joined(separator: ", "))\(domains.count > 5 ? " …" : "")"
            out += " (last \(scanned / 1024) KiB scanned) ==\n"
            out += matches.reversed().joined(separator: "\n") + (matches.isEmpty ? "" : "\n")
        }
        // Rotated while reading: the path now names another file; the excerpt is from the old one.
        var now = stat()
        if stat(path, &now) != 0 || now.st_ino != info.st_ino {
            out += "== \(path) was rotated while being read; the excerpt above is from the file as opened ==\n"
        }
        return out
    }

    /// Case-insensitive search for any needle (ASCII lower-case) in a line.
    static func contains(_ line: ArraySlice<UInt8>, anyOf needles: [[UInt8]]) -> Bool {
        let bytes = Array(line)
        for needle in needles where needle.count <= bytes.count && !needle.isEmpty {
            var start = 0
            while start + needle.count <= bytes.count {
                var matched = true
                for k in 0..<needle.count {
                    var b = bytes[start + k]
                    if b >= 65, b <= 90 { b += 32 }
                    if b != needle[k] { matched = false; break }
                }
                if matched { return true }
                start += 1
            }
        }
        return false
    }
}
