extension DiskCheck.Configuration {
    /// Reads one `disks` entry of the agent file: `{ mount, warning: {…}, critical: {…},
    /// growth_window, interval… }`. Limits left out keep their defaults.
    static func read(_ reader: inout ConfigReader, defaults: AgentConfig.Defaults) -> DiskCheck.Configuration? {
        let mount = reader.string("mount", required: true)
        if let mount, !mount.hasPrefix("/") || mount.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }),
           let node = reader.members.first(where: { $0.key == "mount" })?.value {
            reader.report(node, path: reader.path(of: "mount"), "\"\(mount)\" is not an absolute path without . or ..")
        }
        var warning = DiskCheck.Limits.warningDefaults
        var critical = DiskCheck.Limits.criticalDefaults
        if var w = reader.object("warning") {
            warning = readLimits(&w, base: warning)
        }
        if var c = reader.object("critical") {
            critical = readLimits(&c, base: critical)
        }
        let growthWindow = reader.duration("growth_window", minimum: .seconds(60)) ?? .seconds(3600)
        let timing = AgentConfig.readTiming(&reader, base: defaults.timing)
        reader.finish()
        guard let mount else { return nil }
        return DiskCheck.Configuration(mount: mount, warning: warning, critical: critical, growthWindow: growthWindow, timing: timing)
    }

    private static func readLimits(_ reader: inout ConfigReader, base: DiskCheck.Limits) -> DiskCheck.Limits {
        var limits = base
        limits.usedPercent = reader.percent("used_percent") ?? limits.usedPercent
        limits.inodesPercent = reader.percent("inodes_percent") ?? limits.inodesPercent
        if let bytes = reader.size("free_bytes") { limits.freeBytes = UInt64(bytes) }
        limits.fullWithin = reader.duration("full_within", minimum: .seconds(60)) ?? limits.fullWithin
        reader.finish()
        return limits
    }
}
