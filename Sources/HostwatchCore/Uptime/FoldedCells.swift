/// A check's closed days or hours (basis points, or `UptimeHistory.noData`), oldest first, with
/// repeats folded: a cell equal to the one before it is not stored again; an element from 0x8001
/// up says how many more times the cell before it repeats. Cells are 0…10,000 or 0xFFFF, so the
/// two never meet. A year of days all up is two elements instead of 400 (at 40,000 checks, 33 MB
/// a year on), and 48 hours all up two instead of 48 (5 MB at 40,000 checks from the second day
/// on); cells that all differ take what a plain array takes.
public struct FoldedCells: Sendable, Hashable {
    private var elements: [UInt16] = []
    /// The cells held.
    public private(set) var count = 0

    private static let repeatBase: UInt16 = 0x8000
    private static let mostRepeats = Int(0xFFFE - 0x8000)

    public init() {}

    public init(_ cells: some Sequence<UInt16>) {
        for cell in cells { append(cell) }
    }

    private static func isRepeat(_ element: UInt16) -> Bool {
        element > repeatBase && element != UptimeHistory.noData
    }

    /// Adds `cell` as the newest, `times` times.
    /// A value that is no cell (none is above 10,000 but `noData`) is kept as `noData`.
    public mutating func append(_ cell: UInt16, times: Int = 1) {
        let cell = cell <= 10_000 ? cell : UptimeHistory.noData
        var left = times
        while left > 0 {
            // The newest run: where its cell is, and how many repeats its marker counts.
            let marked = elements.count >= 2 && Self.isRepeat(elements[elements.count - 1])
            let runStart = elements.count - (marked ? 2 : 1)
            let repeats = marked ? Int(elements[elements.count - 1] - Self.repeatBase) : 0
            if runStart >= 0, elements[runStart] == cell, repeats < Self.mostRepeats {
                let more = min(left, Self.mostRepeats - repeats)
                let marker = Self.repeatBase + UInt16(repeats + more)
                if marked { elements[elements.count - 1] = marker } else { elements.append(marker) }
                count += more
                left -= more
            } else {
                elements.append(cell)
                count += 1
                left -= 1
            }
        }
    }

    /// Drops the `k` oldest cells.
    public mutating func removeFirst(_ k: Int) {
        guard k > 0 else { return }
        var rest = FoldedCells()
        forEachRun(ofLast: count - k) { cell, length in rest.append(cell, times: length) }
        self = rest
    }

    /// Every run of equal cells, oldest first: the cell and how many in a row.
    public func forEachRun(_ body: (_ cell: UInt16, _ length: Int) -> Void) {
        var index = 0
        while index < elements.count {
            let cell = elements[index]
            var length = 1
            index += 1
            if index < elements.count, Self.isRepeat(elements[index]) {
                length += Int(elements[index] - Self.repeatBase)
                index += 1
            }
            body(cell, length)
        }
    }

    /// The last `n` cells (all of them when there are fewer), oldest first, as runs.
    public func forEachRun(ofLast n: Int, _ body: (_ cell: UInt16, _ length: Int) -> Void) {
        var skip = max(0, count - n)
        forEachRun { cell, length in
            let dropped = min(skip, length)
            skip -= dropped
            if length > dropped { body(cell, length - dropped) }
        }
    }

    /// The cells one by one, oldest first.
    public var cells: [UInt16] {
        var out: [UInt16] = []
        out.reserveCapacity(count)
        forEachRun { cell, length in out += repeatElement(cell, count: length) }
        return out
    }
}
