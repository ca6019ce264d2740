/// glibc's `malloc_trim` and `mallopt` (malloc.h, which Glibc's module does not bring in).
@_silgen_name("malloc_trim")
private func glibcMallocTrim(_ pad: Int) -> Int32
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// Memory the agent freed, handed back to the system.
public enum FreedMemory {
    /// Returns freed heap pages to the system, so RSS follows what is in use. glibc keeps them
    /// otherwise: after a storm of transfers the agent's RSS would stay at its peak for good.
    public static func release() {
        _ = glibcMallocTrim(0)
    }

    /// One malloc arena for the whole process. Call first thing, before any other thread runs.
    ///
    /// glibc gives each thread that allocates an arena of its own (up to 8 per core); the agent's
    /// objects are made on one thread and freed on another (a check's result crosses from the
    /// libcurl loop to the scheduler), so every arena held freed pieces the others could not
    /// reuse. In issue 16's scale run (40,000 checks, 8 threads, 7 arenas) one arena took RSS
    /// from 265 to 224 MiB and the peak from 309 to 260, at no cost in CPU (21.6 % of a core
    /// against 23.4 %): the agent's threads spend their time in poll and in libcurl, not
    /// contending for malloc's lock.
    public static func useOneArena() {
        let arenaMax: Int32 = -8 // M_ARENA_MAX
        _ = glibcMallopt(arenaMax, 1)
    }
}
