import Synchronization

/// One copy of a text that many checks hold alike: an endpoint (`127.0.0.1:443/https`), an
/// incident key (`endpoint:127.0.0.1:443/https`), a failure's message and gist when a server
/// fails thousands of sites the same way. A Swift string over 15 bytes is a heap block of its
/// own, so every check that built its own copy held one: in issue 16's scale run (10,000
/// domains × 4 checks, a fifth of the web servers hung) 104,000 of the agent's 154,000 strings
/// were copies of another, about 9 MB.
///
/// The table is bounded: past `limit` texts it starts again empty (the texts already shared stay
/// shared; only later copies are not found), so unique texts passed through it cost at most the
/// table, never a growing one.
public enum SharedText {
    public static let limit = 8192
    private static let table = Mutex(Set<String>())

    /// The copy of `text` already shared, else `text`, shared from now on.
    public static func one(_ text: String) -> String {
        // Up to 15 bytes a string is held inline: nothing to share.
        guard text.utf8.count > 15 else { return text }
        return table.withLock { table in
            let (inserted, kept) = table.insert(text)
            guard inserted else { return kept }
            if table.count > limit {
                table.removeAll(keepingCapacity: true)
                table.insert(text)
            }
            return text
        }
    }

    /// How many texts the table holds now (for tests).
    public static var count: Int { table.withLock { $0.count } }
}
