import FoundationEssentials
import HostwatchCore

/// The agent file and every domain file it names, loaded and validated together.
public struct LoadedConfig: Sendable {
    public var agent: AgentConfig
    public var domains: [DomainConfig]
    /// The agent file's path, as given.
    public var path: String
    /// Notices that do not make the config invalid.
    public var notices: [ConfigError]
    /// Where the domains came from, recorded as their files were read.
    public var origins = DomainOrigins()

    /// The domains by where they were read: what a running agent still needs of them once
    /// their checks are built (the rediscovery's hand-written set, the reload's gone domains).
    public struct DomainOrigins: Sendable, Equatable {
        /// Lower-case names of the domains whose file someone wrote by hand.
        public var handWritten: Set<String> = []
        /// Lower-case names of the domains read from `checks/discovered/`.
        public var generated: Set<String> = []
    }

    /// This config without its parsed domain files, their origins kept: the agent lets the
    /// files go once it has built their checks (8 MB at 10,000 domains, issue 16).
    public func releasingDomains() -> LoadedConfig {
        var slim = self
        slim.domains = []
        return slim
    }
}

/// Reads config files from disk and reports every problem with its position (DESIGN.md §8).
public enum ConfigFile {
    /// The config path: the `--config` value, else `$HOSTWATCH_CONFIG`, else the system path.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["HOSTWATCH_CONFIG"] ?? "/etc/hostwatch/hostwatch.json5"
    }

    /// Loads the agent file and all `*.json5` files in its checks folder. Throws the full list
    /// of problems (not only the first) when any file is invalid.
    public static func load(path: String) throws(ConfigLoadError) -> LoadedConfig {
        let problems = ConfigReader.Problems()
        guard let root = parse(path, problems: problems) else { throw ConfigLoadError(errors: Self.ordered(problems.errors)) }
        let base = PathText.parent(of: path)
        let resolve = { (value: String) -> String in PathText.resolve(value, against: base) }
        let agent = AgentConfig.read(root, file: path, problems: problems, resolve: resolve)
        // Domain files are read even when the agent file has errors, so one run of `validate`
        // reports every problem in every file.
        let checksDir = agent?.checksDir ?? resolve(AgentConfig.checksFolder(in: root) ?? "checks")
        let defaults = agent?.defaults ?? AgentConfig.Defaults()
        var domains: [DomainConfig] = []
        var origins = LoadedConfig.DomainOrigins()
        var seen: [String: String] = [:]
        // Generated files (`checks/discovered/`, written by `hostwatch discover --write`) load
        // after the hand-written ones: a hand-written file for the same domain wins whole.
        let discoveredDir = checksDir + "/" + DiscoveredFolder.name
        let generated = FileManager.default.fileExists(atPath: discoveredDir)
            ? domainFiles(in: discoveredDir, problems: problems, configPath: path) : []
        let handWritten = domainFiles(in: checksDir, problems: problems, configPath: path)
        for (file, isGenerated) in handWritten.map({ ($0, false) }) + generated.map({ ($0, true) }) {
            guard let root = parse(file, problems: problems),
                  let domain = DomainConfig.read(root, file: file, defaults: defaults, problems: problems) else { continue }
            let name = domain.domain.lowercased()
            if isGenerated, seen[name] != nil { continue }
            if let other = seen[name] {
                problems.add(ConfigError(file: file, position: nil, path: "domain",
                                         message: "\"\(domain.domain)\" is already configured in \(other)"))
                continue
            }
            seen[name] = file
            domains.append(domain)
            if isGenerated { origins.generated.insert(name) } else { origins.handWritten.insert(name) }
        }
        guard let agent, !problems.hasErrors else { throw ConfigLoadError(errors: Self.ordered(problems.errors)) }
        return LoadedConfig(agent: agent, domains: domains, path: path, notices: problems.errors.filter(\.isNotice), origins: origins)
    }

    /// Problems in file order, and within a file by position (unknown keys are found last).
    static func ordered(_ errors: [ConfigError]) -> [ConfigError] {
        var fileOrder: [String: Int] = [:]
        for error in errors where fileOrder[error.file] == nil { fileOrder[error.file] = fileOrder.count }
        return errors.enumerated().sorted { a, b in
            let (x, y) = (a.element, b.element)
            if x.file != y.file { return fileOrder[x.file]! < fileOrder[y.file]! }
            let px = x.position.map { ($0.line, $0.column) } ?? (0, 0)
            let py = y.position.map { ($0.line, $0.column) } ?? (0, 0)
            return px != py ? px < py : a.offset < b.offset
        }.map(\.element)
    }

    static func parse(_ file: String, problems: ConfigReader.Problems) -> JSON5Node? {
        guard let data = FileManager.default.contents(atPath: file) else {
            let reason = FileManager.default.fileExists(atPath: file) ? "cannot read the file (permissions?)" : "no such file"
            problems.add(ConfigError(file: file, position: nil, path: "", message: reason))
            return nil
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            problems.add(ConfigError(file: file, position: nil, path: "", message: "the file is not UTF-8 text"))
            return nil
        }
        let document = JSON5Document.parse(text)
        for d in document.diagnostics {
            problems.add(ConfigError(file: file, position: d.position, path: d.path, message: d.message))
        }
        // Duplicate keys leave a usable tree (first kept): read on to report the other problems too.
        return document.root
    }

    static func domainFiles(in folder: String, problems: ConfigReader.Problems, configPath: String) -> [String] {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory else {
            problems.add(ConfigError(file: configPath, position: nil, path: "checks", message: "\(folder) is not a folder"))
            return []
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".json5") && !$0.hasPrefix(".") }.sorted()
            .map { folder + "/" + $0 }
    }
}

/// Every problem found while loading, one `FILE:LINE:COLUMN: key.path: message` line each.
public struct ConfigLoadError: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public init(errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
