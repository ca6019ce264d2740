/// File paths as plain strings, without Foundation's NSString (which would link the ICU-heavy
/// part of Foundation into the binary: STYLE.md §10).
public enum PathText {
    /// The folder part: `/etc/hostwatch/hostwatch.json5` → `/etc/hostwatch`; `a.json5` → `.`.
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component: `/var/lib/hostwatch/index.json` → `index.json`.
    public static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `relative` resolved against `base` unless it is absolute, with `.` and `..` folded.
    public static func resolve(_ relative: String, against base: String) -> String {
        normalize(relative.hasPrefix("/") ? relative : base + "/" + relative)
    }

    /// Folds `.`, `..` and repeated slashes: `packaging/../.demo-state` → `.demo-state`.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
