import FoundationEssentials

/// The last runs of one check, for the "recent results" a ticket carries, packed into one word a
/// run: the start to the second, the duration to the millisecond, pass or fail, and for a failure
/// which of the check's few distinct failure messages it gave. A passing run keeps no summary
/// (its time and duration say enough); the latest summary of every check is kept elsewhere.
///
/// With 40,000 checks, 20 runs each as records holding their own summary were about 100 MB;
/// packed they are about 8 MB (issue 16's scale run).
public struct RecentRuns: Sendable, Hashable {
    /// One run as a ticket shows it.
    public struct Run: Sendable, Hashable {
        public var at: Date
        public var ok: Bool
        /// The failure's message; empty for a passing run.
        public var summary: String
        public var durationMs: Double

        public init(at: Date, ok: Bool, summary: String, durationMs: Double) {
            self.at = at
            self.ok = ok
            self.summary = summary
            self.durationMs = durationMs
        }
    }

    public let capacity: Int
    /// Oldest first. Bits 0–31: start in seconds since 1970; 32–55: duration in ms (capped at
    /// about 4.6 hours); 56: failed; 57–63: index into `messages` (failures only).
    private var packed: [UInt64] = []
    /// The distinct failure messages of the runs kept, at most `capacity`.
    private var messages: [String] = []

    public init(capacity: Int = 20) {
        // At most capacity + 1 distinct messages are indexed at once: 7 bits hold 100 runs.
        self.capacity = min(100, max(1, capacity))
    }

    public var count: Int { packed.count }

    /// Adds a run, dropping the oldest past `capacity`.
    public mutating func append(at: Date, ok: Bool, summary: String, duration: Duration) {
        if packed.isEmpty { packed.reserveCapacity(capacity) }
        var word = UInt64(UInt32(clamping: Int64(at.timeIntervalSince1970.rounded(.down))))
        word |= UInt64(min(Int64((1 << 24) - 1), max(0, duration.milliseconds))) << 32
        if !ok {
            word |= 1 << 56
            word |= UInt64(messageIndex(summary)) << 57
        }
        if packed.count == capacity { packed.removeFirst() }
        packed.append(word)
    }

    /// The runs kept, oldest first.
    public var runs: [Run] {
        packed.map { word in
            let failed = word & (1 << 56) != 0
            let index = Int(word >> 57)
            return Run(at: Date(timeIntervalSince1970: Double(word & 0xFFFF_FFFF)), ok: !failed,
                       summary: failed && index < messages.count ? messages[index] : "",
                       durationMs: Double((word >> 32) & 0xFF_FFFF))
        }
    }

    /// The index of `message` in `messages`, added if new; the table is rebuilt from the runs
    /// still kept when it is full (a check failing with a new message every run).
    private mutating func messageIndex(_ message: String) -> Int {
        if let index = messages.firstIndex(of: message) { return index }
        if messages.count >= capacity {
            var table: [String] = []
            packed = zip(packed, runs).map { word, run in
                guard !run.ok else { return word }
                let index = table.firstIndex(of: run.summary) ?? { table.append(run.summary); return table.count - 1 }()
                return (word & ~(UInt64(0x7F) << 57)) | (UInt64(index) << 57)
            }
            messages = table
        }
        messages.append(message)
        return messages.count - 1
    }
}
