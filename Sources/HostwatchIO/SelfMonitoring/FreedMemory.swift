/// glibc's `malloc_trim` and `mallopt` (malloc.h, which Glibc's module does not bring in).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// Memory the agent freed, handed back to the system.
public enum FreedMemory {
    /// Blocks from this size up are mapped on their own and unmapped when freed.
    public static let largeBlock = 128 * 1024

    /// Returns freed heap pages to the system, so RSS follows what is in use. glibc keeps them
    /// otherwise: after a storm of transfers the agent's RSS would stay at its peak for good.
    public static func release() {
        _ = glibcMallocTrim(0)
    }

    /// Keeps large blocks out of the heap for good: each is mapped on its own and given back
    /// when freed. glibc's default raises this threshold to the largest mapped block freed so
    /// far (up to 32 MiB); once the agent had freed its multi-megabyte status snapshot and
    /// metrics text, blocks up to that size came from the heap's arenas, which kept the space
    /// in pieces no trim could return (issue 16's scale run: 261 → 212 MiB RSS, peak 296 →
    /// 269, at the same CPU). An operator's own setting (`GLIBC_TUNABLES` with
    /// `glibc.malloc.mmap_threshold`, or `MALLOC_MMAP_THRESHOLD_`) is left as it is.
    /// Returns whether the threshold was set.
    @discardableResult
    public static func mapLargeBlocksApart(environment: [String: String]) -> Bool {
        if environment["MALLOC_MMAP_THRESHOLD_"] != nil { return false }
        if environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.mmap_threshold") == true { return false }
        let M_MMAP_THRESHOLD: Int32 = -3
        return glibcMallopt(M_MMAP_THRESHOLD, Int32(largeBlock)) == 1
    }
}
