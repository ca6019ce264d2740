import FoundationEssentials
import Glibc
import HostwatchCore

/// Load, memory, uptime, the top processes by CPU (sampled over a short interval) and by
/// memory, from /proc; and kernel out-of-memory lines when the kernel log is readable.
enum SystemSnapshot {
    struct Process {
        var pid: Int
        var name: String
        var cpuTicks: Int
        var rssPages: Int
    }

    static func collect(sample: Duration = .milliseconds(250)) -> String {
        var out = ""
        if let load = read("/proc/loadavg") {
            let parts = load.split(separator: " ")
            if parts.count >= 4 { out += "load: \(parts[0]) \(parts[1]) \(parts[2]) (1, 5, 15 min); runnable/total: \(parts[3])\n" }
        }
        if let uptime = read("/proc/uptime"), let seconds = Double(uptime.split(separator: " ").first ?? "") {
            out += "uptime: \(DurationText.format(.seconds(Int64(seconds))))\n"
        }
        if let meminfo = read("/proc/meminfo") {
            var values: [String: Int] = [:]
            for line in meminfo.split(separator: "\n") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count >= 2 { values[String(parts[0].dropLast())] = Int(parts[1]) }
            }
            let mib = { (key: String) -> String in values[key].map { "\($0 / 1024) MiB" } ?? "?" }
            out += "memory: total \(mib("MemTotal")), available \(mib("MemAvailable")); swap total \(mib("SwapTotal")), free \(mib("SwapFree"))\n"
        }
        let first = processes()
        var nanos = timespec(tv_sec: Int(sample.components.seconds), tv_nsec: Int(sample.components.attoseconds / 1_000_000_000))
        nanosleep(&nanos, nil)
        let second = processes()
        let before = Dictionary(first.map { ($0.pid, $0.cpuTicks) }, uniquingKeysWith: { a, _ in a })
        let byCPU = second.map { p in (p, p.cpuTicks - (before[p.pid] ?? p.cpuTicks)) }.sorted { $0.1 > $1.1 }.prefix(5)
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let seconds = sample.timeInterval
        out += "top 5 by CPU (over \(sample.milliseconds) ms):\n"
        for (p, ticks) in byCPU {
            out += "  \(p.pid)\t\(Int(Double(ticks) / ticksPerSecond / seconds * 100))%\t\(p.name)\n"
        }
        let pageKiB = Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
        out += "top 5 by memory (RSS):\n"
        for p in second.sorted(by: { $0.rssPages > $1.rssPages }).prefix(5) {
            out += "  \(p.pid)\t\(p.rssPages * pageKiB / 1024) MiB\t\(p.name)\n"
        }
        out += oomLines()
        return out
    }

    static func processes() -> [Process] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var list: [Process] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int(name), let stat = read("/proc/\(pid)/stat") else { continue }
            // comm is in parentheses and may hold spaces: split after the last ')'.
            guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let comm = String(stat[stat.index(after: open)..<close])
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 22, let utime = Int(fields[11]), let stime = Int(fields[12]), let rss = Int(fields[21]) else { continue }
            list.append(Process(pid: pid, name: comm, cpuTicks: utime + stime, rssPages: rss))
        }
        return list
    }

    /// Out-of-memory lines from the kernel log, when this user may read it.
    static func oomLines() -> String {
        let fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return "kernel log: not readable here (\(String(cString: strerror(errno)))); no OOM lines\n" }
        defer { close(fd) }
        var lines: [String] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        var records = 0
        while records < 100_000 {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EPIPE { continue }   // overwritten records: carry on
            guard n > 0 else { break }
            records += 1
            let record = String(decoding: buffer[0..<n], as: UTF8.self)
            let message = record.split(separator: ";", maxSplits: 1).last.map(String.init) ?? record
            let lower = message.lowercased()
            if lower.contains("out of memory") || lower.contains("oom-kill") || lower.contains("killed process") {
                lines.append(message.trimmingSpaces)
            }
        }
        if lines.isEmpty { return "kernel log: no OOM lines\n" }
        return "kernel OOM lines (last \(min(lines.count, 20))):\n" + lines.suffix(20).map { "  \($0)" }.joined(separator: "\n") + "\n"
    }

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

