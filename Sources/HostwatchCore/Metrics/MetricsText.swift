import FoundationEssentials

/// Renders a `MetricsSnapshot` in the Prometheus text exposition format (version 0.0.4), as
/// node_exporter's textfile collector reads it: `# HELP` and `# TYPE` once per metric family,
/// then one sample per line. Samples carry no timestamps (the collector rejects them).
public enum MetricsText {
    public static func render(_ snapshot: MetricsSnapshot) -> String {
        var whole = ""
        render(snapshot) { whole += $0 }
        return whole
    }

    /// The same text in pieces of about `piece` bytes, each handed to `emit` as it is made: with
    /// 40,000 checks the text is 25 MB, and the file writer needs none of it whole.
    public static func render(_ snapshot: MetricsSnapshot, piece: Int = 64 * 1024, _ emit: (String) -> Void) {
        // Each check's labels are escaped once and shared by every family (issue 16: escaping
        // them afresh per family, and sorting by descriptions built on every comparison, took a
        // sixth of the agent's CPU with 500 checks and a 5 s textfile).
        let inOrder = zip(snapshot.checks, snapshot.checks.dropFirst()).allSatisfy { !($1.check < $0.check) }
        let checks = inOrder ? snapshot.checks : snapshot.checks.sorted { $0.check < $1.check }
        let labels = checks.map { sample in
            "check=\"\(escape(sample.check.description))\",domain=\"\(escape(sample.check.target))\",kind=\"\(escape(sample.check.kind))\""
        }
        var out = ""
        out.reserveCapacity(piece + 4096)
        func flush() {
            emit(out)
            out.removeAll(keepingCapacity: true)
        }
        func family(_ name: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
        }
        func sample(_ name: String, _ index: Int, _ value: String, extra: String = "") {
            if out.utf8.count >= piece { flush() }
            out += name
            out += "{"
            out += labels[index]
            out += extra
            out += "} "
            out += value
            out += "\n"
        }

        family("hostwatch_check_up", "1 when the check's latest run passed, 0 when it failed.")
        for index in checks.indices { sample("hostwatch_check_up", index, checks[index].up ? "1" : "0") }
        family("hostwatch_check_duration_seconds", "How long the check's latest run took.")
        for index in checks.indices { sample("hostwatch_check_duration_seconds", index, seconds(checks[index].duration)) }
        family("hostwatch_check_last_run_timestamp_seconds", "When the check's latest run started, in Unix time.")
        for index in checks.indices { sample("hostwatch_check_last_run_timestamp_seconds", index, unixSeconds(checks[index].startedAt)) }
        let withUptime = checks.indices.compactMap { index in snapshot.uptime[checks[index].check].map { (index, $0) } }
        if !withUptime.isEmpty {
            family("hostwatch_check_uptime_ratio", "Share of the observed time the check passed, over the last 24h, 30d or 90d (0 to 1).")
            for (index, figures) in withUptime {
                for (window, value) in [("24h", figures.last24h), ("30d", figures.last30d), ("90d", figures.last90d)] {
                    guard let value else { continue }
                    sample("hostwatch_check_uptime_ratio", index, "\(value)", extra: ",window=\"\(window)\"")
                }
            }
        }
        let withCertificates = checks.indices.filter { checks[$0].certificateExpiry != nil }
        if !withCertificates.isEmpty {
            family("hostwatch_certificate_expiry_timestamp_seconds", "When the certificate the check's latest run saw expires, in Unix time.")
            for index in withCertificates {
                sample("hostwatch_certificate_expiry_timestamp_seconds", index, unixSeconds(checks[index].certificateExpiry!))
            }
        }
        if let open = snapshot.openIncidents {
            family("hostwatch_open_incidents", "Incidents whose ticket is not resolved, by severity.")
            for severity in Severity.allCases.sorted(by: >) {
                out += "hostwatch_open_incidents{severity=\"\(severity.rawValue)\"} \(open[severity] ?? 0)\n"
            }
        }
        if !snapshot.started.isEmpty {
            out += "# HELP hostwatch_checks_started_total Checks started since the agent started, by kind.\n"
            out += "# TYPE hostwatch_checks_started_total counter\n"
            for (kind, count) in snapshot.started.sorted(by: { $0.key < $1.key }) {
                out += "hostwatch_checks_started_total{kind=\"\(escape(kind))\"} \(count)\n"
            }
        }
        if snapshot.lateness.count > 0 {
            let name = "hostwatch_check_lateness_seconds"
            out += "# HELP \(name) How late checks started after their scheduled time.\n# TYPE \(name) histogram\n"
            for (bound, total) in zip(LatenessHistogram.bounds.map { "\($0)" } + ["+Inf"], snapshot.lateness.cumulative) {
                out += "\(name)_bucket{le=\"\(bound)\"} \(total)\n"
            }
            out += "\(name)_sum \(snapshot.lateness.sum)\n\(name)_count \(snapshot.lateness.count)\n"
        }
        family("hostwatch_outbox_pending", "Ticket events waiting for delivery to a sink.")
        out += "hostwatch_outbox_pending \(snapshot.outboxPending)\n"
        family("hostwatch_last_cycle_timestamp_seconds", "When the agent last wrote this file, in Unix time.")
        out += "hostwatch_last_cycle_timestamp_seconds \(unixSeconds(snapshot.takenAt))\n"
        flush()
    }

    /// A label value with `\`, `"` and line feeds escaped, as the format requires.
    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        var out = ""
        for ch in value {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Seconds to the microsecond, in the shortest decimal that reads back exactly (`0.0123`).
    static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        let micros = whole * 1_000_000 + attoseconds / 1_000_000_000_000
        return "\(Double(micros) / 1_000_000)"
    }

    static func unixSeconds(_ date: Date) -> String {
        "\(Int64(date.timeIntervalSince1970.rounded(.down)))"
    }
}
