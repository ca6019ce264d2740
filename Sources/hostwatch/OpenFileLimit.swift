import Glibc

/// The process's limit of open files (`RLIMIT_NOFILE`).
enum OpenFileLimit {
    /// Raises the soft limit to the hard one, as a server that holds a socket per transfer in
    /// flight and per kept connection should (systemd's default soft limit is 1024; the unit
    /// sets 65536), and returns the soft limit now in force.
    static func raise() -> Int {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max ? Int.max / 4 : Int(clamping: limit.rlim_cur)
    }
}
