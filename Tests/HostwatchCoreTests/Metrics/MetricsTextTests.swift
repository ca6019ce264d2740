import Foundation
import Testing
@testable import HostwatchCore

@Suite struct MetricsTextTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func rendersEveryFamilyInTheTextfileFormat() {
        let snapshot = MetricsSnapshot(checks: [
            .init(check: CheckID(target: "shop.test", kind: "web"), up: true, startedAt: now.addingTimeInterval(-12),
                  duration: .milliseconds(12) + .microseconds(345), certificateExpiry: Date(timeIntervalSince1970: 1_800_000_000)),
            .init(check: CheckID(target: "blog.test", kind: "web", index: 1), up: false, startedAt: now.addingTimeInterval(-3.5),
                  duration: .seconds(2)),
        ], openIncidents: [.critical: 1], outboxPending: 0, takenAt: now)
        let expected = """
        # HELP hostwatch_check_up 1 when the check's latest run passed, 0 when it failed.
        # TYPE hostwatch_check_up gauge
        hostwatch_check_up{check="blog.test/web[1]",domain="blog.test",kind="web"} 0
        hostwatch_check_up{check="shop.test/web",domain="shop.test",kind="web"} 1
        # HELP hostwatch_check_duration_seconds How long the check's latest run took.
        # TYPE hostwatch_check_duration_seconds gauge
        hostwatch_check_duration_seconds{check="blog.test/web[1]",domain="blog.test",kind="web"} 2.0
        hostwatch_check_duration_seconds{check="shop.test/web",domain="shop.test",kind="web"} 0.012345
        # HELP hostwatch_check_last_run_timestamp_seconds When the check's latest run started, in Unix time.
        # TYPE hostwatch_check_last_run_timestamp_seconds gauge
        hostwatch_check_last_run_timestamp_seconds{check="blog.test/web[1]",domain="blog.test",kind="web"} 1789999996
        hostwatch_check_last_run_timestamp_seconds{check="shop.test/web",domain="shop.test",kind="web"} 1789999988
        # HELP hostwatch_certificate_expiry_timestamp_seconds When the certificate the check's latest run saw expires, in Unix time.
        # TYPE hostwatch_certificate_expiry_timestamp_seconds gauge
        hostwatch_certificate_expiry_timestamp_seconds{check="shop.test/web",domain="shop.test",kind="web"} 1800000000
        # HELP hostwatch_open_incidents Incidents whose ticket is not resolved, by severity.
        # TYPE hostwatch_open_incidents gauge
        hostwatch_open_incidents{severity="critical"} 1
        hostwatch_open_incidents{severity="warning"} 0
        # HELP hostwatch_outbox_pending Ticket events waiting for delivery to a sink.
        # TYPE hostwatch_outbox_pending gauge
        hostwatch_outbox_pending 0
        # HELP hostwatch_last_cycle_timestamp_seconds When the agent last wrote this file, in Unix time.
        # TYPE hostwatch_last_cycle_timestamp_seconds gauge
        hostwatch_last_cycle_timestamp_seconds 1790000000

        """
        #expect(MetricsText.render(snapshot) == expected)
    }

    @Test func piecesMakeTheSameTextAndStaySmall() {
        let checks = (0..<500).map { i in
            MetricsSnapshot.CheckSample(check: CheckID(target: "d\(i).test", kind: "web"), up: i % 7 != 0,
                                        startedAt: now, duration: .milliseconds(i))
        }
        let snapshot = MetricsSnapshot(checks: checks, openIncidents: [.critical: 2], outboxPending: 3, takenAt: now)
        var pieces: [String] = []
        MetricsText.render(snapshot, piece: 4096) { pieces.append($0) }
        #expect(pieces.count > 10, "500 checks' samples are about 90 KB")
        #expect(pieces.joined() == MetricsText.render(snapshot))
        // A piece is flushed before the sample that would pass the size: at most one line over.
        #expect(pieces.allSatisfy { $0.utf8.count < 4096 + 200 })
    }

    @Test func rendersStartsByKindAndTheLatenessHistogram() {
        var snapshot = MetricsSnapshot(checks: [], openIncidents: nil, outboxPending: 0, takenAt: now)
        snapshot.started = ["web": 12, "dns": 3]
        snapshot.lateness.record(.microseconds(200))
        snapshot.lateness.record(.milliseconds(30))
        let text = MetricsText.render(snapshot)
        #expect(text.contains("""
        # TYPE hostwatch_checks_started_total counter
        hostwatch_checks_started_total{kind="dns"} 3
        hostwatch_checks_started_total{kind="web"} 12

        """))
        #expect(text.contains("# TYPE hostwatch_check_lateness_seconds histogram\n"))
        #expect(text.contains("hostwatch_check_lateness_seconds_bucket{le=\"0.001\"} 1\n"))
        #expect(text.contains("hostwatch_check_lateness_seconds_bucket{le=\"0.025\"} 1\n"))
        #expect(text.contains("hostwatch_check_lateness_seconds_bucket{le=\"0.05\"} 2\n"))
        #expect(text.contains("hostwatch_check_lateness_seconds_bucket{le=\"+Inf\"} 2\n"))
        #expect(text.contains("hostwatch_check_lateness_seconds_count 2\n"))
    }

    @Test func leavesOutWhatIsUnknownRatherThanReportingZero() {
        let text = MetricsText.render(MetricsSnapshot(checks: [], openIncidents: nil, outboxPending: 0, takenAt: now))
        #expect(!text.contains("hostwatch_open_incidents"))
        #expect(!text.contains("hostwatch_certificate_expiry"))
        #expect(text.contains("hostwatch_last_cycle_timestamp_seconds 1790000000\n"))
    }

    @Test(arguments: [("plain", "plain"), (#"a"b"#, #"a\"b"#), (#"a\b"#, #"a\\b"#), ("a\nb", #"a\nb"#)])
    func escapesLabelValues(raw: String, escaped: String) {
        #expect(MetricsText.escape(raw) == escaped)
    }

    @Test func aSampleTakesWhatItNeedsFromAnObservation() {
        let failure = CheckFailure(kind: .unreachable, category: .siteOffline, message: "refused")
        let observation = Observation(check: CheckID(target: "a.test", kind: "web"), endpoint: "127.0.0.1:80/http", startedAt: now,
                                      duration: .milliseconds(5), outcome: .failed(failure), summary: "refused")
        let sample = MetricsSnapshot.CheckSample(observation)
        #expect(sample.up == false)
        #expect(sample.duration == .milliseconds(5))
        #expect(sample.startedAt == now)
    }

    @Test func rendersUptimeByWindowForChecksWithASample() {
        var snapshot = MetricsSnapshot(checks: [
            .init(check: CheckID(target: "shop.test", kind: "web"), up: true, startedAt: now, duration: .milliseconds(5)),
        ], openIncidents: nil, outboxPending: 0, takenAt: now)
        snapshot.uptime = [CheckID(target: "shop.test", kind: "web"): .init(last24h: 0.5, last30d: 0.99, last90d: nil),
                           CheckID(target: "gone.test", kind: "web"): .init(last24h: 1, last30d: 1, last90d: 1)]
        let text = MetricsText.render(snapshot)
        #expect(text.contains("# TYPE hostwatch_check_uptime_ratio gauge\n"))
        #expect(text.contains(#"hostwatch_check_uptime_ratio{check="shop.test/web",domain="shop.test",kind="web",window="24h"} 0.5"#))
        #expect(text.contains(#"hostwatch_check_uptime_ratio{check="shop.test/web",domain="shop.test",kind="web",window="30d"} 0.99"#))
        #expect(!text.contains(#"window="90d""#), "nothing observed: no sample")
        #expect(!text.contains("gone.test"))
    }
}
