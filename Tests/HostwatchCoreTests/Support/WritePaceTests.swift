import Testing
@testable import HostwatchCore

@Suite struct WritePaceTests {
    @Test(arguments: [
        // A small server keeps its base pace.
        (60.0, 27_000, 60.0),
        (10.0, 0, 10.0),
        // 10,000 domains × 4 checks: an 8 MB snapshot is rewritten about every half hour, a
        // 2.2 MB uptime file about every nine minutes.
        (60.0, 8 * 1024 * 1024, 1920.0),
        (60.0, 2_200_000, 60.0 * 2_200_000 / 262_144),
    ])
    func aBigFileIsRewrittenNoOftenerThanTheBudgetAllows(base: Double, bytes: Int, gap: Double) {
        #expect(abs(WritePace.gap(base: base, bytes: bytes) - gap) < 0.001)
    }

    @Test func filesPacedSoStayUnderTheirBudgetWhateverTheirSize() {
        for bytes in [1, 1000, 262_144, 5_000_000, 80_000_000] {
            let perMinute = Double(bytes) * 60 / WritePace.gap(base: 1, bytes: bytes)
            #expect(perMinute <= Double(WritePace.budgetPerMinute) + 0.5)
        }
    }
}
