import FoundationEssentials
import Testing
@testable import HostwatchCore

@Suite struct RecentRunsTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func keepsTheLastRunsWithTimesDurationsAndFailureMessages() {
        var recent = RecentRuns(capacity: 3)
        recent.append(at: start, ok: true, summary: "200 OK in 3 ms", duration: .milliseconds(3))
        recent.append(at: start + 60, ok: false, summary: "HTTP: connect refused", duration: .milliseconds(1))
        recent.append(at: start + 75, ok: false, summary: "HTTP: connect refused", duration: .milliseconds(2))
        recent.append(at: start + 90, ok: false, summary: "HTTP: 502 Bad Gateway", duration: .milliseconds(12_345))
        #expect(recent.count == 3)
        #expect(recent.runs == [
            .init(at: start + 60, ok: false, summary: "HTTP: connect refused", durationMs: 1),
            .init(at: start + 75, ok: false, summary: "HTTP: connect refused", durationMs: 2),
            .init(at: start + 90, ok: false, summary: "HTTP: 502 Bad Gateway", durationMs: 12_345),
        ])
    }

    @Test func aPassingRunKeepsNoSummary() {
        var recent = RecentRuns()
        recent.append(at: start, ok: true, summary: "200 OK in 3 ms", duration: .milliseconds(3))
        #expect(recent.runs.first?.summary == "")
        #expect(recent.runs.first?.ok == true)
    }

    @Test func aNewMessageEveryRunKeepsEachRunsOwn() {
        var recent = RecentRuns(capacity: 5)
        for i in 0..<40 {
            recent.append(at: start + Double(i), ok: i % 3 != 0, summary: "failure \(i)", duration: .milliseconds(i))
        }
        let runs = recent.runs
        #expect(runs.count == 5)
        for (offset, run) in runs.enumerated() {
            let i = 35 + offset
            #expect(run.at == start + Double(i))
            #expect(run.ok == (i % 3 != 0))
            #expect(run.summary == (run.ok ? "" : "failure \(i)"))
            #expect(run.durationMs == Double(i))
        }
    }

    @Test func aHungRunsDurationIsCappedNotWrapped() {
        var recent = RecentRuns()
        recent.append(at: start, ok: false, summary: "timeout", duration: .seconds(86_400))
        #expect(recent.runs.first?.durationMs == Double((1 << 24) - 1))
    }

    @Test func theRunsAreHeldInTheValueItselfNotInABlockOfTheirOwn() {
        // Twenty words and the ring's bookkeeping: at 40,000 checks an array of runs a check
        // was a 208-byte heap block each.
        #expect(MemoryLayout<RecentRuns>.size <= 20 * 8 + 16)
        #expect(RecentRuns(capacity: 500).capacity == RecentRuns.mostRuns)
        #expect(RecentRuns(capacity: 0).capacity == 1)
    }

    @Test func equalRunsAreEqualWhereverTheRingStarts() {
        var wrapped = RecentRuns(capacity: 4)
        var fresh = RecentRuns(capacity: 4)
        for i in 0..<7 { wrapped.append(at: start + Double(i), ok: true, summary: "", duration: .milliseconds(i)) }
        for i in 3..<7 { fresh.append(at: start + Double(i), ok: true, summary: "", duration: .milliseconds(i)) }
        #expect(wrapped.runs.map(\.at) == (3..<7).map { start + Double($0) })
        #expect(wrapped == fresh)
        #expect(wrapped.hashValue == fresh.hashValue)
        fresh.append(at: start + 7, ok: false, summary: "HTTP: 503", duration: .milliseconds(1))
        #expect(wrapped != fresh)
    }
}
