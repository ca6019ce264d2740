import FoundationEssentials
import Synchronization

/// Checks one mounted filesystem of this server: used space, free bytes, used inodes, a
/// read-only superblock, and when it will be full at its current rate (DESIGN.md §1: critical
/// above the critical thresholds, read-only, or full within 1 h; a warning above the warning
/// thresholds or full within 24 h).
///
/// Each run adds a sample of available bytes to a buffer the check owns (a mutex-guarded
/// `History`), trimmed to `growth_window`; the trend is `DiskGrowth.project`, a pure function
/// of the samples. So the projection needs no scheduler support, and tests drive it with
/// injected times through `run(now:)`. The agent saves the samples in the state folder and
/// starts a restarted check's `History` from them, so a restart does not blind the projection. When a run fails on
/// space or inodes, the transcript lists the largest directories one level under the mount
/// (a walk bounded in time that stays on this filesystem), reused for 5 minutes so rechecks
/// while failing do not walk the disk every few seconds.
public struct DiskCheck: Check {
    /// Limits at one severity. A nil limit is not checked.
    public struct Limits: Sendable, Hashable {
        public var usedPercent: Double?
        public var inodesPercent: Double?
        /// Fewer available bytes than this breaches the limit.
        public var freeBytes: UInt64?
        /// Projected full within this breaches the limit.
        public var fullWithin: Duration?

        public init(usedPercent: Double? = nil, inodesPercent: Double? = nil, freeBytes: UInt64? = nil, fullWithin: Duration? = nil) {
            self.usedPercent = usedPercent
            self.inodesPercent = inodesPercent
            self.freeBytes = freeBytes
            self.fullWithin = fullWithin
        }

        /// DESIGN.md §8's warning defaults.
        public static let warningDefaults = Limits(usedPercent: 85, inodesPercent: 85, fullWithin: .seconds(24 * 3600))
        /// DESIGN.md §8's critical defaults (no `free_bytes`: 1 GB would always fire on a small volume).
        public static let criticalDefaults = Limits(usedPercent: 95, inodesPercent: 95, fullWithin: .seconds(3600))
    }

    /// One `disks` entry of the agent file.
    public struct Configuration: Sendable, Hashable {
        /// The mount point, as configured.
        public var mount: String
        public var warning: Limits
        public var critical: Limits
        /// How far back the growth fit looks.
        public var growthWindow: Duration
        public var timing: CheckTiming

        public init(mount: String, warning: Limits = .warningDefaults, critical: Limits = .criticalDefaults,
                    growthWindow: Duration = .seconds(3600), timing: CheckTiming = CheckTiming()) {
            self.mount = mount
            self.warning = warning
            self.critical = critical
            self.growthWindow = growthWindow
            self.timing = timing
        }

        /// The fit needs samples over a sixth of the window (10 minutes of the default hour).
        public var minimumGrowthSpan: Duration { growthWindow / 6 }
    }

    /// What a check keeps between runs: the samples for the growth fit and the last directory walk.
    public final class History: Sendable {
        struct State {
            var samples: [DiskGrowth.Sample] = []
            var evidence: (report: DirectoryUsageReport, at: Date)?
        }

        let state: Mutex<State>

        /// A history starting from `samples` (those the agent saved before a restart).
        public init(samples: [DiskGrowth.Sample] = []) {
            state = Mutex(State(samples: samples))
        }

        /// Adds a sample and returns the ones inside the window.
        public func record(_ sample: DiskGrowth.Sample, window: Duration) -> [DiskGrowth.Sample] {
            state.withLock { state in
                state.samples = DiskGrowth.trim(state.samples + [sample], now: sample.time, window: window)
                return state.samples
            }
        }

        public var samples: [DiskGrowth.Sample] { state.withLock { $0.samples } }

        /// The last walk, when it is younger than `maxAge` at `now`.
        func evidence(at now: Date, maxAge: Duration) -> DirectoryUsageReport? {
            state.withLock { state in
                guard let (report, at) = state.evidence, now.timeIntervalSince(at) < maxAge.timeInterval, at <= now else { return nil }
                return report
            }
        }

        func keep(_ report: DirectoryUsageReport, at now: Date) {
            state.withLock { $0.evidence = (report, now) }
        }
    }

    /// One breached limit or fault.
    struct Finding {
        var severity: Severity
        var kind: CheckFailure.Kind
        var text: String
        /// Whether the largest directories explain it (space or inodes).
        var wantsEvidence: Evidence?
    }

    enum Evidence {
        case bySpace, byInodes
    }

    public let id: CheckID
    public let configuration: Configuration
    public let transport: any DiskTransport
    public let history: History
    /// How long evidence walks may take, and how long one is reused.
    public var evidenceBudget: Duration
    public var evidenceMaxAge: Duration = .seconds(300)

    public var timing: CheckTiming { configuration.timing }

    public init(id: CheckID, configuration: Configuration, transport: any DiskTransport, history: History = History()) {
        self.id = id
        self.configuration = configuration
        self.transport = transport
        self.history = history
        evidenceBudget = min(configuration.timing.timeout / 2, .seconds(5))
    }

    public func run(now: Date) async -> Observation {
        let reading = await transport.measure(path: configuration.mount, timeout: timing.timeout)
        var projection: DiskGrowth.Projection?
        if let stats = reading.stats, stats.mountPoint == Self.normalized(configuration.mount) {
            let samples = history.record(DiskGrowth.Sample(time: now, availableBytes: stats.availableBytes),
                                         window: configuration.growthWindow)
            projection = DiskGrowth.project(samples, minimumSpan: configuration.minimumGrowthSpan)
        }
        var observation = Self.judge(reading, projection: projection, check: id, configuration: configuration, now: now)
        if let evidence = Self.findings(reading, projection: projection, configuration: configuration).compactMap(\.wantsEvidence).first,
           let stats = reading.stats {
            let report: DirectoryUsageReport
            if let kept = history.evidence(at: now, maxAge: evidenceMaxAge) {
                report = kept
                observation.transcript.append(.note, "largest directories as walked at most \(DurationText.format(evidenceMaxAge)) ago:")
            } else {
                report = await transport.largestDirectories(under: stats.mountPoint, budget: evidenceBudget)
                history.keep(report, at: now)
            }
            Self.describe(report, under: stats.mountPoint, by: evidence, in: &observation.transcript)
        }
        return observation
    }

    /// A projection to the minute (to the second under two minutes): `42m`, `1d3h12m`, `95s`.
    static func approximately(_ duration: Duration) -> String {
        let seconds = duration.wholeSeconds
        return DurationText.format(.seconds(seconds < 120 ? seconds : (seconds + 30) / 60 * 60))
    }

    /// `/var/www/` → `/var/www`; the root stays `/`.
    public static func normalized(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    // MARK: Judging

    /// The verdict on one measurement and the current trend: a pure function.
    public static func judge(_ reading: DiskReading, projection: DiskGrowth.Projection?, check: CheckID,
                             configuration: Configuration, now: Date) -> Observation {
        var transcript = Transcript()
        var timings = [(name: "statvfs", milliseconds: reading.duration.timeInterval * 1000)]
        timings = timings.filter { $0.milliseconds >= 0 }
        var observation = Observation(check: check, endpoint: nil, startedAt: now, duration: reading.duration, outcome: .ok,
                                      summary: "", timings: timings)
        let mount = normalized(configuration.mount)
        if let stats = reading.stats {
            transcript.append(.note, "\(mount): \(stats.filesystemType) \(stats.source) mounted at \(stats.mountPoint); "
                + "superblock \(stats.readOnly ? "ro" : "rw"), this mount \(stats.mountReadOnly ? "ro" : "rw")")
            transcript.append(.note, "space: \(ByteCountText.percent(stats.usedPercent)) used, \(ByteCountText.format(stats.availableBytes)) "
                + "available of \(ByteCountText.format(stats.totalBytes)) (\(ByteCountText.format(stats.freeBytes)) free with the root reserve)")
            if let inodes = stats.inodesUsedPercent {
                transcript.append(.note, "inodes: \(ByteCountText.percent(inodes)) used, \(stats.freeInodes) free of \(stats.totalInodes)")
            } else {
                transcript.append(.note, "inodes: no fixed inode table (\(stats.filesystemType)): not checked")
            }
        }
        if let projection {
            var line = "growth: \(projection.samples) samples over \(approximately(projection.span)): "
            line += projection.bytesPerSecond > 0 ? "\(ByteCountText.rate(bytesPerSecond: projection.bytesPerSecond)) used"
                : "\(ByteCountText.rate(bytesPerSecond: -projection.bytesPerSecond)) freed"
            if let full = projection.timeToFull { line += "; full in about \(approximately(full))" }
            transcript.append(.note, line)
        } else if reading.stats != nil {
            transcript.append(.note, "growth: not enough samples yet (needs \(DiskGrowth.minimumSamples) over \(DurationText.format(configuration.minimumGrowthSpan)))")
        }

        let findings = findings(reading, projection: projection, configuration: configuration)
        guard let worst = findings.max(by: { $0.severity < $1.severity }) else {
            observation.summary = summary(reading.stats, projection: projection, mount: mount)
            observation.transcript = transcript
            return observation
        }
        let ordered = findings.filter { $0.severity == worst.severity } + findings.filter { $0.severity != worst.severity }
        let message = "disk: " + ordered.map(\.text).joined(separator: "; ")
        for finding in ordered { transcript.append(.note, "problem (\(finding.severity.rawValue)): \(finding.text)") }
        observation.outcome = .failed(CheckFailure(kind: worst.kind, category: .disk, severity: worst.severity, message: message))
        observation.summary = message
        observation.transcript = transcript
        return observation
    }

    /// Every limit breached and every fault, in the order of the policy table.
    static func findings(_ reading: DiskReading, projection: DiskGrowth.Projection?, configuration: Configuration) -> [Finding] {
        let mount = normalized(configuration.mount)
        if let error = reading.error {
            switch error.kind {
            case .noSuchPath:
                return [Finding(severity: .warning, kind: .misconfigured, text: "\(mount): \(error.detail)")]
            case .timeout:
                return [Finding(severity: .critical, kind: .timeout, text: "\(mount): \(error.detail)")]
            case .other:
                return [Finding(severity: .warning, kind: .unreachable, text: "\(mount): \(error.detail)")]
            }
        }
        guard let stats = reading.stats else { return [] }
        if stats.mountPoint != mount {
            // Unmounted (a failed mount at boot) or configured on a plain folder: either way the
            // numbers would be another filesystem's.
            return [Finding(severity: .warning, kind: .misconfigured,
                            text: "\(mount) is not a mount point (nothing is mounted there; it lies on the filesystem mounted at \(stats.mountPoint))")]
        }
        var findings: [Finding] = []
        if stats.readOnly {
            findings.append(Finding(severity: .critical, kind: .protocolViolation,
                                    text: "\(mount) is read-only (the filesystem itself, not only this view: remounted read-only after errors?)"))
        }
        func level(_ value: Double, _ limit: KeyPath<Limits, Double?>) -> (Severity, Double)? {
            if let c = configuration.critical[keyPath: limit], value > c { return (.critical, c) }
            if let w = configuration.warning[keyPath: limit], value > w { return (.warning, w) }
            return nil
        }
        if let (severity, limit) = level(stats.usedPercent, \.usedPercent) {
            findings.append(Finding(severity: severity, kind: .thresholdBreached,
                                    text: "\(mount) is \(ByteCountText.percent(stats.usedPercent)) full (\(severity.rawValue) above "
                                        + "\(ByteCountText.threshold(limit))%): \(ByteCountText.format(stats.availableBytes)) free of "
                                        + ByteCountText.format(stats.totalBytes), wantsEvidence: .bySpace))
        }
        if let inodes = stats.inodesUsedPercent, let (severity, limit) = level(inodes, \.inodesPercent) {
            findings.append(Finding(severity: severity, kind: .thresholdBreached,
                                    text: "\(mount) has \(ByteCountText.percent(inodes)) of its inodes used (\(severity.rawValue) above "
                                        + "\(ByteCountText.threshold(limit))%): \(stats.freeInodes) free of \(stats.totalInodes)",
                                    wantsEvidence: .byInodes))
        }
        for (severity, limits) in [(Severity.critical, configuration.critical), (.warning, configuration.warning)] {
            if let minimum = limits.freeBytes, stats.availableBytes < minimum {
                findings.append(Finding(severity: severity, kind: .thresholdBreached,
                                        text: "\(mount) has \(ByteCountText.format(stats.availableBytes)) free (\(severity.rawValue) below "
                                            + "\(ByteCountText.format(minimum)))", wantsEvidence: .bySpace))
                break
            }
        }
        if let projection, let full = projection.timeToFull {
            for (severity, limits) in [(Severity.critical, configuration.critical), (.warning, configuration.warning)] {
                if let within = limits.fullWithin, full <= within {
                    findings.append(Finding(severity: severity, kind: .thresholdBreached,
                                            text: "\(mount) will be full in about \(approximately(full)) at the rate of the last "
                                                + "\(approximately(projection.span)) (\(ByteCountText.rate(bytesPerSecond: projection.bytesPerSecond)); "
                                                + "\(severity.rawValue) within \(DurationText.format(within)))", wantsEvidence: .bySpace))
                    break
                }
            }
        }
        return findings
    }

    static func summary(_ stats: VolumeStats?, projection: DiskGrowth.Projection?, mount: String) -> String {
        guard let stats else { return mount }
        var text = "\(mount): \(ByteCountText.percent(stats.usedPercent)) used, \(ByteCountText.format(stats.availableBytes)) free"
        if let inodes = stats.inodesUsedPercent { text += ", inodes \(ByteCountText.percent(inodes)) used" }
        if let full = projection?.timeToFull { text += ", full in about \(approximately(full)) at the current rate" }
        return text
    }

    /// The walk's result as transcript lines, largest first by what the problem is about.
    static func describe(_ report: DirectoryUsageReport, under mountPoint: String, by evidence: Evidence, in transcript: inout Transcript) {
        let sorted = report.entries.sorted {
            evidence == .bySpace ? ($0.bytes, $0.inodes) > ($1.bytes, $1.inodes) : ($0.inodes, $0.bytes) > ($1.inodes, $1.bytes)
        }
        var head = "largest directories under \(mountPoint) (one level, this filesystem only, walked in "
            + "\(DurationText.format(report.duration))"
        if !report.complete { head += "; time budget ran out: sizes are at least these" }
        transcript.append(.note, head + "):")
        for entry in sorted.prefix(15) {
            transcript.append(.note, "  \(ByteCountText.format(entry.bytes))\t\(entry.inodes) inodes\t\(entry.path)")
        }
        if sorted.count > 15 { transcript.append(.note, "  … \(sorted.count - 15) smaller") }
        if !report.otherFilesystems.isEmpty {
            transcript.append(.note, "  not counted (other filesystems): " + report.otherFilesystems.joined(separator: ", "))
        }
        if report.unreadable > 0 { transcript.append(.note, "  \(report.unreadable) entries could not be read") }
    }
}
