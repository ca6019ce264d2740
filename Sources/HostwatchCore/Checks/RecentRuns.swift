import FoundationEssentials

/// The last runs of one check, for the "recent results" a ticket carries, packed into one word a
/// run: the start to the second, the duration to the millisecond, pass or fail, and for a failure
/// which of the check's few distinct failure messages it gave. A passing run keeps no summary
/// (its time and duration say enough); the latest summary of every check is kept elsewhere.
///
/// With 40,000 checks, 20 runs each as records holding their own summary were about 100 MB;
/// packed in an array of their own, 8.3 MB (a 208-byte heap block a check, made at the check's
/// first result, during the first minute's storm of transfers). Now the words are held inline,
/// in a ring of at most `mostRuns`, in whatever holds the value: the scheduler's array of every
/// check's memory, one block for all (issue 16's scale run).
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

    /// The most runs one value keeps.
    public static let mostRuns = 20

    /// Bits 0–31: start in seconds since 1970; 32–55: duration in ms (capped at about 4.6
    /// hours); 56: failed; 57–63: index into `messages` (failures only). A ring: the oldest is
    /// at `oldest`, the next ones after it modulo `kept`.
    private var words = InlineArray<20, UInt64>(repeating: 0)
    private var oldest: UInt8 = 0
    private var stored: UInt8 = 0
    private let kept: UInt8
    /// The distinct failure messages of the runs kept, at most `capacity`.
    private var messages: [String] = []

    /// Runs kept: 1…`mostRuns`.
    public var capacity: Int { Int(kept) }

    public init(capacity: Int = mostRuns) {
        kept = UInt8(min(Self.mostRuns, max(1, capacity)))
    }

    public var count: Int { Int(stored) }

    /// Where in `words` the `index`-th run kept is, oldest first.
    private func position(_ index: Int) -> Int { (Int(oldest) + index) % Int(kept) }

    /// Adds a run, dropping the oldest past `capacity`.
    public mutating func append(at: Date, ok: Bool, summary: String, duration: Duration) {
        var word = UInt64(UInt32(clamping: Int64(at.timeIntervalSince1970.rounded(.down))))
        word |= UInt64(min(Int64((1 << 24) - 1), max(0, duration.milliseconds))) << 32
        if !ok {
            word |= 1 << 56
            word |= UInt64(messageIndex(summary)) << 57
        }
        if stored == kept {
            words[Int(oldest)] = word
            oldest = UInt8((Int(oldest) + 1) % Int(kept))
        } else {
            words[position(count)] = word
            stored += 1
        }
    }

    /// The runs kept, oldest first.
    public var runs: [Run] {
        (0..<count).map { run(words[position($0)]) }
    }

    private func run(_ word: UInt64) -> Run {
        let failed = word & (1 << 56) != 0
        let index = Int(word >> 57)
        return Run(at: Date(timeIntervalSince1970: Double(word & 0xFFFF_FFFF)), ok: !failed,
                   summary: failed && index < messages.count ? messages[index] : "",
                   durationMs: Double((word >> 32) & 0xFF_FFFF))
    }

    /// The index of `message` in `messages`, added if new; the table is rebuilt from the runs
    /// still kept when it is full (a check failing with a new message every run).
    private mutating func messageIndex(_ message: String) -> Int {
        if let index = messages.firstIndex(of: message) { return index }
        if messages.count >= capacity {
            var table: [String] = []
            for at in (0..<count).map(position) {
                let run = run(words[at])
                guard !run.ok else { continue }
                let entry = table.firstIndex(of: run.summary) ?? { table.append(run.summary); return table.count - 1 }()
                words[at] = (words[at] & ~(UInt64(0x7F) << 57)) | (UInt64(entry) << 57)
            }
            messages = table
        }
        messages.append(message)
        return messages.count - 1
    }

    public static func == (lhs: RecentRuns, rhs: RecentRuns) -> Bool {
        lhs.kept == rhs.kept && lhs.runs == rhs.runs
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kept)
        hasher.combine(runs)
    }
}
