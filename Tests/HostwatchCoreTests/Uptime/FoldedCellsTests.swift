import Testing
@testable import HostwatchCore

/// Closed days with repeats folded read back exactly as the plain cells they stand for, through
/// any sequence of the operations a record makes; a year all up takes two elements.
@Suite struct FoldedCellsTests {
    @Test func randomOperationsMatchAPlainArray() {
        var generator = SystemRandomNumberGenerator()
        let palette: [UInt16] = [10_000, 10_000, 10_000, 9_990, 0, UptimeHistory.noData, 5_000]
        for _ in 0..<200 {
            var folded = FoldedCells()
            var plain: [UInt16] = []
            for _ in 0..<Int.random(in: 1...60, using: &generator) {
                switch Int.random(in: 0..<10, using: &generator) {
                case 0..<6:
                    let cell = palette.randomElement(using: &generator)!
                    let times = Int.random(in: 0...(Bool.random(using: &generator) ? 3 : 500), using: &generator)
                    folded.append(cell, times: times)
                    plain += repeatElement(cell, count: times)
                case 6..<8:
                    let k = Int.random(in: 0...(plain.count + 2), using: &generator)
                    folded.removeFirst(k)
                    plain.removeFirst(min(k, plain.count))
                default:
                    let n = Int.random(in: 0...(plain.count + 5), using: &generator)
                    var last: [UInt16] = []
                    folded.forEachRun(ofLast: n) { cell, length in last += repeatElement(cell, count: length) }
                    #expect(last == Array(plain.suffix(n)))
                }
                #expect(folded.count == plain.count)
                #expect(folded.cells == plain)
            }
            #expect(FoldedCells(plain) == folded, "one folding for one sequence")
        }
    }

    @Test func aYearAllUpIsTwoElementsAndLongRunsStayExact() {
        var year = FoldedCells()
        year.append(10_000, times: 400)
        var elements = 0
        year.forEachRun { _, _ in elements += 1 }
        #expect(elements == 1)
        #expect(year.count == 400)
        var long = FoldedCells()
        long.append(7, times: 70_000)
        long.append(8)
        #expect(long.count == 70_001)
        #expect(long.cells == Array(repeating: 7, count: 70_000) + [8])
        // What no cell can be is kept as no data; the markers stay apart from the cells.
        let odd = FoldedCells([0x8001, 10_000, 0x8005, UptimeHistory.noData, UptimeHistory.noData])
        #expect(odd.cells == [UptimeHistory.noData, 10_000, UptimeHistory.noData, UptimeHistory.noData, UptimeHistory.noData])
    }
}
