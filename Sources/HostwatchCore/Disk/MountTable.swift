/// The mount table as `/proc/self/mountinfo` gives it (proc(5)), parsed without touching the
/// file system: the text is a parameter.
///
/// Each line is `ID PARENT MAJOR:MINOR ROOT MOUNTPOINT MOUNT-OPTIONS [OPTIONAL...] - FSTYPE SOURCE
/// SUPER-OPTIONS`. Paths escape space, tab, newline and backslash as `\040`, `\011`, `\012` and
/// `\134`. Two option lists matter here and must not be confused: the per-mount options (this
/// view of the filesystem; every mount is `ro` inside a `ProtectSystem=strict` sandbox) and the
/// superblock options (the filesystem itself: `ro` after the kernel remounted it on errors).
public struct MountTable: Sendable, Hashable {
    /// One mount.
    public struct Entry: Sendable, Hashable {
        public var id: Int
        public var parentID: Int
        /// `MAJOR:MINOR` of the device.
        public var device: String
        /// The path inside the filesystem that is mounted here (`/` unless a bind mount).
        public var root: String
        public var mountPoint: String
        public var mountOptions: [String]
        public var filesystemType: String
        public var source: String
        public var superOptions: [String]

        /// The filesystem itself is read-only.
        public var isReadOnly: Bool { superOptions.contains("ro") }
        /// This mount is read-only (perhaps only in this process's view).
        public var isMountReadOnly: Bool { mountOptions.contains("ro") }
    }

    public var entries: [Entry]

    /// Parses the file's text; malformed lines are skipped (the kernel writes this file, so a
    /// bad line means a format we do not know, not an attack).
    public init(parsing text: String) {
        var entries: [Entry] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let entry = Self.entry(line) { entries.append(entry) }
        }
        self.entries = entries
    }

    public init(entries: [Entry]) {
        self.entries = entries
    }

    static func entry(_ line: Substring) -> Entry? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 3,
              let id = Int(fields[0]), let parent = Int(fields[1]) else { return nil }
        return Entry(id: id, parentID: parent, device: String(fields[2]), root: unescape(fields[3]),
                     mountPoint: unescape(fields[4]), mountOptions: fields[5].split(separator: ",").map(String.init),
                     filesystemType: unescape(fields[dash + 1]), source: unescape(fields[dash + 2]),
                     superOptions: fields.count > dash + 3 ? fields[dash + 3].split(separator: ",").map(String.init) : [])
    }

    /// Decodes the kernel's octal escapes (`\040` is a space).
    public static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        let bytes = Array(field.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 92, i + 3 < bytes.count, bytes[(i + 1)...(i + 3)].allSatisfy({ $0 >= 48 && $0 <= 55 }) {
                let value = bytes[(i + 1)...(i + 3)].reduce(0) { $0 * 8 + Int($1 - 48) }
                if value <= 255 {
                    out.append(UInt8(value))
                    i += 4
                    continue
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The mount that holds `path` (an absolute path without `..` or symlinks): the entry with
    /// the longest mount point that is `path` or one of its parents, the last one listed when
    /// several are stacked on one place (the one mounted last hides the others).
    public func entry(holding path: String) -> Entry? {
        var best: Entry?
        for entry in entries where Self.isPath(path, under: entry.mountPoint) {
            if best == nil || entry.mountPoint.utf8.count >= best!.mountPoint.utf8.count { best = entry }
        }
        return best
    }

    static func isPath(_ path: String, under mountPoint: String) -> Bool {
        if mountPoint == "/" { return path.hasPrefix("/") }
        return path == mountPoint || path.hasPrefix(mountPoint + "/")
    }
}
