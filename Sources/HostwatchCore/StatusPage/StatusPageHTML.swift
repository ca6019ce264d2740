import FoundationEssentials

/// Renders a `StatusPage` as static HTML: `index.html` (every domain in one line, worst first,
/// with a compact 90-day bar) and one page per domain (each check with its own bar of one cell
/// per day, a `<title>` with the day's figure). Styles are inline, nothing is fetched from
/// anywhere, no script: the pages read the same in a browser, on a phone (one column below
/// 640 px) and on paper (`@media print`).
///
/// The index must stay small with 10,000 domains (under 2 MB): its bar joins days of the same
/// colour into one rectangle (90 days at 100 % is one), and the detail lives on the domain pages.
public enum StatusPageHTML {
    /// `index.html`.
    public static func index(_ page: StatusPage, writtenAt: Date) -> String {
        var out = head(title: "Status – \(page.server)", page: page, depth: 0)
        let down = page.domains.filter { $0.state == .down }.count
        let failing = page.domains.filter { $0.state == .failing }.count
        // A domain none of whose checks has run yet (the agent just started) is not counted ok.
        let unknown = page.domains.filter { $0.state == .unknown }.count
        out += "<header><h1>\(escape(page.server))</h1><p>\(page.domains.count) domains: "
        out += "\(page.domains.count - down - failing - unknown) ok, \(failing) failing, \(down) down"
        if unknown > 0 { out += ", \(unknown) with no result yet" }
        out += "</p></header>\n<main>\n"
        out += incidents(page.incidents, page: page, depth: 0)
        out += "<section><h2>Domains</h2><table class=\"d\"><thead><tr><th>state<th>domain<th>last 90 days<th>90 days</thead><tbody>\n"
        // One short line per domain (end tags the HTML parser implies are left out).
        for domain in page.domains {
            out += "<tr class=\(stateClass(domain.state))><td>\(stateText(domain.state, since: domain.downSince, silencedUntil: domain.silencedUntil))"
            // File names hold only [a-z0-9._-]: safe unquoted.
            out += "<td><a href=\(StatusPage.fileName(of: domain.name))>\(escape(domain.name))</a>"
            out += "<td>\(compactBar(domain.days, figure: domain.uptime90d))<td>\(percent(domain.uptime90d))\n"
        }
        out += "</tbody></table></section>\n</main>\n"
        out += footer(writtenAt: writtenAt)
        return out
    }

    /// The page of one domain, `StatusPage.fileName(of:)`.
    public static func domain(_ domain: StatusPage.Domain, of page: StatusPage, writtenAt: Date) -> String {
        var out = head(title: "\(domain.name) – \(page.server)", page: page, depth: 1)
        out += "<header><p><a href=\"../index.html\">← all domains on \(escape(page.server))</a></p>"
        out += "<h1>\(escape(domain.name))</h1><p class=\"\(stateClass(domain.state))\">"
        out += stateText(domain.state, since: domain.downSince, silencedUntil: domain.silencedUntil) + "</p>"
        if let account = domain.account {
            out += "<p>account \(escape(account))\(domain.plan.map { ", plan \($0.rawValue)" } ?? "")</p>"
        }
        out += "</header>\n<main>\n"
        out += incidents(page.incidents.filter { $0.domains.contains(domain.name) }, page: page, depth: 1)
        out += "<section><h2>Checks</h2>\n"
        for check in domain.checks {
            out += "<div class=\"c \(stateClass(check.state))\"><h3>\(escape(check.name))</h3><p>"
            out += stateText(check.state, since: check.downSince, silencedUntil: check.silencedUntil)
            out += " · 24 h \(percent(check.figures.last24h)) · 30 days \(percent(check.figures.last30d)) · 90 days \(percent(check.figures.last90d))</p>"
            if let endpoint = check.endpoint { out += "<p>endpoint \(escape(endpoint))</p>" }
            if let last = check.lastResult { out += "<p class=\"r\">\(escape(last))</p>" }
            out += dayBar(check.days, until: writtenAt, label: check.name) + "</div>\n"
        }
        out += "</section>\n</main>\n"
        out += footer(writtenAt: writtenAt)
        return out
    }

    // MARK: pieces

    static let style = """
        *{box-sizing:border-box}body{margin:0;font:15px/1.4 system-ui,sans-serif;color:#1f2328;background:#f6f8fa}\
        header,main,footer{max-width:960px;margin:0 auto;padding:8px 16px}header{background:#fff;border-bottom:1px solid #d0d7de}\
        h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:16px 0 8px}h3{font-size:15px;margin:0}\
        table{width:100%;border-collapse:collapse;background:#fff}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2}\
        td svg{display:block;width:180px;height:18px;background:#d0d7de}td svg.u0{background:#2da44e}td svg.u1{background:#bf8700}td svg.u2{background:#e16f24}td svg.u3{background:#cf222e}td path{stroke-width:9px;fill:none}td path.u0{stroke:#2da44e}td path.u1{stroke:#bf8700}td path.u2{stroke:#e16f24}td path.u3{stroke:#cf222e}td path.nd{stroke:#d0d7de}.c svg{display:block;width:100%;height:28px}\
        .c{background:#fff;border:1px solid #d0d7de;border-left-width:6px;padding:8px;margin:8px 0}.r{font-family:monospace;font-size:13px;overflow-wrap:anywhere}\
        .ok{border-left-color:#2da44e}.down{border-left-color:#cf222e}.failing{border-left-color:#bf8700}.unknown{border-left-color:#8c959f}\
        tr.down td:first-child,p.down{color:#cf222e;font-weight:600}tr.failing td:first-child,p.failing{color:#9a6700;font-weight:600}\
        .i td:first-child,.i td:nth-child(4){white-space:nowrap}.u0{fill:#2da44e}.u1{fill:#bf8700}.u2{fill:#e16f24}.u3{fill:#cf222e}.nd{fill:#d0d7de}a{color:#0969da}\
        @media (max-width:640px){thead{display:none}table,tbody,tr,td{display:block;width:100%}tr{border-bottom:1px solid #d0d7de;padding:4px 0}td{border:0;padding:2px 8px}}\
        @media print{body{background:#fff;font-size:11pt}header,main,footer{max-width:none}a{color:#000;text-decoration:none}.c,tr{break-inside:avoid}}
        """

    static func head(title: String, page: StatusPage, depth: Int) -> String {
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            + "<meta name=\"robots\" content=\"noindex\"><title>\(escape(title))</title><style>\(style)</style></head>\n<body>\n"
    }

    static func footer(writtenAt: Date) -> String {
        "<footer><p>Written by hostwatch at <time datetime=\"\(RFC3339.format(writtenAt))\">\(RFC3339.format(writtenAt))</time>.</p></footer>\n</body></html>\n"
    }

    static func incidents(_ incidents: [StatusPage.Incident], page: StatusPage, depth: Int) -> String {
        guard !incidents.isEmpty else { return "<section><h2>Open incidents</h2><p>None.</p></section>\n" }
        var out = "<section><h2>Open incidents</h2><table class=\"i\"><thead><tr>"
        if !page.isPublic { out += "<th>ticket" }
        out += "<th>category<th>severity<th>since<th>domains"
        if !page.isPublic { out += "<th>subject" }
        out += "</thead><tbody>\n"
        for incident in incidents {
            out += "<tr class=\"\(incident.severity == .critical ? "down" : "failing")\">"
            if !page.isPublic { out += "<td>\(escape(incident.ticket ?? "held (silenced)"))" }
            out += "<td>\(escape(incident.category?.rawValue ?? "-"))<td>\(escape(incident.severity?.rawValue ?? "-"))"
            out += "<td>\(RFC3339.format(incident.since))<td>"
            let prefix = depth == 0 ? "" : "../"
            out += incident.domains.prefix(20).map { "<a href=\"\(prefix)\(escape(StatusPage.fileName(of: $0)))\">\(escape($0))</a>" }
                .joined(separator: " ")
            if incident.domains.count > 20 { out += " and \(incident.domains.count - 20) more" }
            if !page.isPublic { out += "<td>\(escape(incident.subject ?? ""))" }
            out += "</tr>\n"
        }
        return out + "</tbody></table></section>\n"
    }

    /// One cell per day, each with its date and figure as `<title>` (a tooltip, and what a
    /// screen reader says).
    static func dayBar(_ days: [UInt16], until end: Date, label: String) -> String {
        let count = days.count
        var out = "<svg viewBox=\"0 0 \(count * 4) 28\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"uptime of \(escape(label)), last \(count) days\">"
        for (i, cell) in days.enumerated() {
            let date = RFC3339.format(end.addingTimeInterval(-Double(count - 1 - i) * 86_400)).prefix(10)
            let figure = cell == UptimeHistory.noData ? "no data" : percent(Double(cell) / 10_000)
            out += "<rect x=\"\(i * 4)\" width=\"3\" height=\"28\" class=\"\(colourClass(cell))\"><title>\(date): \(figure)</title></rect>"
        }
        return out + "</svg>"
    }

    /// The index's bar, small enough for 10,000 of them in 2 MB: the colour covering most days is
    /// the bar's background, and the days of each other colour are one `<path>` of horizontal
    /// strokes, one per run of days (`M3 4.5h2`), so a clean bar is no drawing at all and a bar with
    /// a bad day a week is a few hundred bytes. The 90-day figure is its `<title>`; the days'
    /// own figures are on the domain page. Attribute values are unquoted where HTML allows.
    static func compactBar(_ days: [UInt16], figure: Double?) -> String {
        var runs: [(colour: String, start: Int, length: Int)] = []
        for (i, cell) in days.enumerated() {
            let colour = colourClass(cell)
            if let last = runs.last, last.colour == colour {
                runs[runs.count - 1].length += 1
            } else {
                runs.append((colour, i, 1))
            }
        }
        var total: [String: Int] = [:]
        for run in runs { total[run.colour, default: 0] += run.length }
        let background = total.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? "nd"
        // Grey (no data) is the default background: a new install's bars need no class.
        let backgroundClass = background == "nd" ? "" : " class=\(background)"
        var out = "<svg\(backgroundClass) viewBox=\"0 0 \(days.count) 9\"><title>\(days.count)d: \(percent(figure))</title>"
        for colour in ["nd", "u0", "u1", "u2", "u3"] where colour != background {
            let strokes = runs.filter { $0.colour == colour }.map { "M\($0.start) 4.5h\($0.length)" }
            if !strokes.isEmpty { out += "<path class=\(colour) d=\"\(strokes.joined())\"/>" }
        }
        return out + "</svg>"
    }

    /// Green from 99.9 %, amber from 99 %, orange from 95 %, red below; grey with no data.
    static func colourClass(_ cell: UInt16) -> String {
        switch cell {
        case UptimeHistory.noData: "nd"
        case 9990...: "u0"
        case 9900...: "u1"
        case 9500...: "u2"
        default: "u3"
        }
    }

    static func stateClass(_ state: StatusPage.State) -> String {
        switch state {
        case .down: "down"
        case .failing: "failing"
        case .unknown: "unknown"
        case .ok: "ok"
        }
    }

    static func stateText(_ state: StatusPage.State, since: Date?, silencedUntil: Date?) -> String {
        var text = state.word
        if state == .down, let since { text += " since \(RFC3339.format(since))" }
        if let silencedUntil { text += " (silenced until \(RFC3339.format(silencedUntil)))" }
        return text
    }

    /// `99.95%`; `-` when nothing was observed. Rounded down so 99.996 % never reads 100 %.
    static func percent(_ fraction: Double?) -> String {
        guard let fraction else { return "-" }
        let hundredths = Int((fraction * 10_000).rounded(.down))
        let whole = hundredths / 100, part = hundredths % 100
        return part == 0 ? "\(whole)%" : "\(whole).\(part < 10 ? "0" : "")\(part)%"
    }

    /// Text for HTML content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
