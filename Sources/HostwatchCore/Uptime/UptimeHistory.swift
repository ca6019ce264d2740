import FoundationEssentials

/// How much of each UTC day (and, for the last 48 hours, each hour) every check was up, kept in
/// bounded space so a year of 10,000 checks fits in a few MB (DESIGN.md §9).
///
/// Time between two results of a check counts for the earlier result's verdict (an outage
/// starts at the first failed run, ends at the first passing one), up to `maxGap`: a longer
/// silence (the agent stopped, the check was removed) is time nobody observed and counts for
/// neither. A closed day or hour is one figure, basis points of the observed time that was up
/// (`10_000` = 100 %), so a figure over several days weighs each observed day alike. Pure: the
/// times are parameters; `UptimeHistory+Encoding` turns it into the bytes the agent saves.
public struct UptimeHistory: Sendable, Hashable {
    /// A cell with no observed time.
    public static let noData: UInt16 = .max
    /// Closed days kept: a year and a bit, so "a year ago" is always there.
    public static let daysKept = 400
    /// Closed hours kept: the last 48 h, for `uptime_24h` and the day's detail.
    public static let hoursKept = 48

    /// One check's history.
    public struct Record: Sendable, Hashable {
        /// The open day (days since 1970-01-01 UTC) and its seconds so far.
        public var day: Int32
        public var dayUp: UInt32 = 0
        public var dayObserved: UInt32 = 0
        /// Closed days, oldest first, the newest being `day - 1`, repeats folded.
        public var closedDays = FoldedCells()
        /// The closed days one cell each (made from `closedDays`).
        public var days: [UInt16] {
            get { closedDays.cells }
            set { closedDays = FoldedCells(newValue) }
        }
        /// The open hour (hours since 1970-01-01 UTC) and its seconds so far.
        public var hour: Int32
        public var hourUp: UInt32 = 0
        public var hourObserved: UInt32 = 0
        /// Closed hours, oldest first, the newest being `hour - 1`, repeats folded.
        public var closedHours = FoldedCells()
        /// The closed hours one cell each (made from `closedHours`).
        public var hours: [UInt16] {
            get { closedHours.cells }
            set { closedHours = FoldedCells(newValue) }
        }
        /// The latest result: when, and whether it passed.
        public var lastAt: Date?
        public var lastOK = true

        public init(hour: Int32) {
            self.hour = hour
            day = Int32(Int(hour).floorDivided(by: 24))
        }
    }

    /// Uptime over the usual windows, as fractions (0…1); nil when nothing was observed in it.
    public struct Figures: Sendable, Hashable, Codable {
        public var last24h: Double?
        public var last30d: Double?
        public var last90d: Double?

        public init(last24h: Double?, last30d: Double?, last90d: Double?) {
            self.last24h = last24h
            self.last30d = last30d
            self.last90d = last90d
        }

        enum CodingKeys: String, CodingKey {
            case last24h = "uptime_24h", last30d = "uptime_30d", last90d = "uptime_90d"
        }
    }

    /// By check. Keyed by the check's ID, not its description (`example.org/web`): a
    /// description of more than 15 bytes is a string of its own, one a check (1.7 MB of keys in
    /// issue 16's scale run), where the ID's domain is the one the check's own ID holds.
    public private(set) var records: [CheckID: Record] = [:]

    public init(records: [CheckID: Record] = [:]) {
        self.records = records
    }

    /// Adds one result of `check` at `time`. The time since the check's previous result (at
    /// most `maxGap`) counts for that result's verdict. A result older than the previous one
    /// (the clock was set back) only becomes the latest result.
    public mutating func record(_ check: CheckID, ok: Bool, at time: Date, maxGap: Duration) {
        let hour = Self.hourNumber(time)
        // Changed in place: a copy out and back looked the check up twice, and a copy's closed
        // cells were copied again when the hour or day rolled.
        records[check, default: Record(hour: hour)].take(ok: ok, at: time, hour: hour, maxGap: maxGap)
    }

    /// Forgets checks that have had no result for `daysKept` days before `now` (removed long ago).
    public mutating func forgetStale(at now: Date) {
        let cutoff = now.addingTimeInterval(-Double(Self.daysKept) * 86_400)
        records = records.filter { ($0.value.lastAt ?? .distantPast) >= cutoff }
    }

    /// The figures of the check a description names (`example.org/web`) at `now`.
    public func figures(of description: String, at now: Date) -> Figures {
        guard let check = CheckID(description: description) else { return Figures(last24h: nil, last30d: nil, last90d: nil) }
        return figures(of: check, at: now)
    }

    /// The figures of `check` at `now`.
    public func figures(of check: CheckID, at now: Date) -> Figures {
        guard let record = records[check]?.rolled(to: Self.hourNumber(now)) else {
            return Figures(last24h: nil, last30d: nil, last90d: nil)
        }
        return Figures(last24h: record.uptime(hours: 24), last30d: record.uptime(days: 30), last90d: record.uptime(days: 90))
    }

    /// The last `count` days of `check` up to the one holding `now`, oldest first, as basis
    /// points (`noData` for a day nothing was observed); the last one is today so far.
    public func dayCells(of description: String, count: Int, at now: Date) -> [UInt16] {
        guard count > 0 else { return [] }
        guard let check = CheckID(description: description), let record = records[check]?.rolled(to: Self.hourNumber(now)) else {
            return Array(repeating: Self.noData, count: count)
        }
        var cells: [UInt16] = []
        cells.reserveCapacity(count)
        cells += repeatElement(Self.noData, count: max(0, count - 1 - record.closedDays.count))
        record.closedDays.forEachRun(ofLast: count - 1) { cell, length in cells += repeatElement(cell, count: length) }
        cells.append(Self.cell(up: record.dayUp, observed: record.dayObserved))
        return cells
    }

    static func hourNumber(_ time: Date) -> Int32 {
        let hours = (time.timeIntervalSince1970 / 3600).rounded(.down)
        return Int32(clamping: Int64(max(min(hours, 2e9), -2e9)))
    }

    static func cell(up: UInt32, observed: UInt32) -> UInt16 {
        guard observed > 0 else { return noData }
        return UInt16((UInt64(min(up, observed)) * 10_000 + UInt64(observed) / 2) / UInt64(observed))
    }
}

extension UptimeHistory.Record {
    /// Takes in a result at `time` (in hour number `hour`); see `UptimeHistory.record`.
    mutating func take(ok: Bool, at time: Date, hour: Int32, maxGap: Duration) {
        if let last = lastAt, time > last {
            let gap = min(time.timeIntervalSince(last), maxGap.timeInterval)
            add(from: time.addingTimeInterval(-gap), to: time, up: lastOK)
        }
        roll(to: max(hour, self.hour))
        lastAt = time
        lastOK = ok
    }

    /// Splits the span at hour boundaries and adds each piece to its hour and day.
    mutating func add(from start: Date, to end: Date, up: Bool) {
        var t = start.timeIntervalSince1970
        let stop = end.timeIntervalSince1970
        while t < stop {
            let hourNumber = Int32(clamping: Int64((t / 3600).rounded(.down)))
            let pieceEnd = min(stop, (Double(hourNumber) + 1) * 3600)
            // A piece before the open hour (the clock went back) cannot be placed any more.
            if hourNumber >= hour {
                roll(to: hourNumber)
                let seconds = UInt32(max(0, (pieceEnd - t).rounded()))
                hourObserved &+= seconds
                dayObserved &+= seconds
                if up {
                    hourUp &+= seconds
                    dayUp &+= seconds
                }
            }
            t = pieceEnd
        }
    }

    /// Closes the open hour (and day) until `newHour` is the open one; skipped ones hold no data.
    mutating func roll(to newHour: Int32) {
        guard newHour > hour else { return }
        let skipped = Int(newHour) - Int(hour) - 1
        closedHours.append(UptimeHistory.cell(up: hourUp, observed: hourObserved))
        closedHours.append(UptimeHistory.noData, times: min(skipped, UptimeHistory.hoursKept))
        if closedHours.count > UptimeHistory.hoursKept { closedHours.removeFirst(closedHours.count - UptimeHistory.hoursKept) }
        hour = newHour
        hourUp = 0
        hourObserved = 0
        let newDay = Int32(Int(newHour).floorDivided(by: 24))
        guard newDay > day else { return }
        closedDays.append(UptimeHistory.cell(up: dayUp, observed: dayObserved))
        closedDays.append(UptimeHistory.noData, times: min(Int(newDay) - Int(day) - 1, UptimeHistory.daysKept))
        if closedDays.count > UptimeHistory.daysKept { closedDays.removeFirst(closedDays.count - UptimeHistory.daysKept) }
        day = newDay
        dayUp = 0
        dayObserved = 0
    }

    func rolled(to newHour: Int32) -> Self {
        var copy = self
        copy.roll(to: newHour)
        return copy
    }

    /// The mean of the last `count` closed hours and the open one, weighted by how much of it was
    /// observed (so the window is `count` hours just after the hour turns, and a little more later).
    func uptime(hours count: Int) -> Double? {
        Self.mean(closed: Self.sum(closedHours, last: count), open: (hourUp, hourObserved), openLength: 3600)
    }

    func uptime(days count: Int) -> Double? {
        Self.mean(closed: Self.sum(closedDays, last: count), open: (dayUp, dayObserved), openLength: 86_400)
    }

    /// The sum of the last `count` cells with data, as fractions, and how many there are.
    static func sum(_ cells: FoldedCells, last count: Int) -> (sum: Double, weight: Double) {
        var sum = 0.0, weight = 0.0
        cells.forEachRun(ofLast: count) { cell, length in
            guard cell != UptimeHistory.noData else { return }
            sum += Double(cell) / 10_000 * Double(length)
            weight += Double(length)
        }
        return (sum, weight)
    }

    /// The mean of closed cells (their sum and how many) and the open one, weighted by how much
    /// of it was observed.
    static func mean(closed: (sum: Double, weight: Double), open: (up: UInt32, observed: UInt32), openLength: Double) -> Double? {
        var (sum, weight) = closed
        if open.observed > 0 {
            let w = min(1, Double(open.observed) / openLength)
            // The ratio first: `w * up / observed` rounds, and a day all up showed 0.9999999999.
            sum += w * (Double(min(open.up, open.observed)) / Double(open.observed))
            weight += w
        }
        return weight > 0 ? sum / weight : nil
    }
}

extension Int {
    /// Division rounding toward minus infinity (hour -1 is in day -1).
    func floorDivided(by divisor: Int) -> Int {
        let q = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? q - 1 : q
    }
}
