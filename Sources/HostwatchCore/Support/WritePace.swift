/// How often a file the agent rewrites whole may be rewritten for routine changes: at most once
/// per `base`, and no oftener than keeps it under `budget` bytes a minute.
///
/// With 10,000 domains × 4 checks the status snapshot is about 8 MB, the tracker's state and the
/// uptime history about 2.5 MB each: rewritten every minute they put 12 MB a minute on the state
/// disk (issue 16 asks under 1 MB). A server with 500 checks keeps the old pace (its files are a
/// few hundred KB); a big one rewrites them every few minutes. What must not wait (an incident
/// opened, resolved or reopened; the agent stopping) is written at once regardless.
public enum WritePace {
    /// 256 KiB a minute per file: three such files stay under 1 MB a minute together.
    public static let budgetPerMinute = 256 * 1024

    /// Seconds between two routine rewrites of a file of `bytes` bytes.
    public static func gap(base: Double, bytes: Int, budgetPerMinute: Int = budgetPerMinute) -> Double {
        max(base, 60 * Double(max(0, bytes)) / Double(max(1, budgetPerMinute)))
    }
}
