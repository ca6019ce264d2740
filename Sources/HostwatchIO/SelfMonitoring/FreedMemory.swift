/// glibc's `malloc_trim` (malloc.h, which Glibc's module does not bring in).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32

/// Memory the agent freed, handed back to the system.
public enum FreedMemory {
    /// Returns freed heap pages to the system, so RSS follows what is in use. glibc keeps them
    /// otherwise: after a storm of transfers the agent's RSS would stay at its peak for good.
    public static func release() {
        _ = glibcMallocTrim(0)
    }
}
