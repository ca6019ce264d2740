import FoundationEssentials
import HostwatchCore
import HostwatchIO

/// `hostwatch validate`: every problem in every file, one line each; no network.
enum ValidateCommand {
    struct Report: Encodable {
        var schema = "hostwatch.validation/1"
        var valid: Bool
        var domains: Int
        var checks: Int
        var errors: [Problem]
        struct Problem: Encodable {
            var file: String
            var line: Int?
            var column: Int?
            var path: String
            var message: String
            var notice: Bool
        }
    }

    static func run(_ options: CommandLineOptions) throws(UsageError) -> Int32 {
        try options.allow(["json"])
        guard options.positional.isEmpty else { throw UsageError("validate takes no arguments") }
        var result: Result<LoadedConfig, ConfigLoadError>
        do { result = .success(try ConfigFile.load(path: options.configPath)) } catch { result = .failure(error) }
        if case .success(let config) = result {
            let secrets = secretProblems(config)
            if !secrets.isEmpty { result = .failure(ConfigLoadError(errors: config.notices + secrets)) }
        }
        let problems: [ConfigError]
        switch result {
        case .success(let config): problems = config.notices
        case .failure(let error): problems = error.errors
        }
        let valid = (try? result.get()) != nil
        if options.json {
            let config = try? result.get()
            let report = Report(valid: valid, domains: config?.domains.count ?? 0,
                                checks: config?.domains.reduce(0) { $0 + $1.checks.count } ?? 0,
                                errors: problems.map {
                                    .init(file: $0.file, line: $0.position?.line, column: $0.position?.column,
                                          path: $0.path, message: $0.message, notice: $0.isNotice)
                                })
            print(Commands.jsonText(report))
        } else {
            for problem in problems { print(problem.description) }
            if let config = try? result.get() {
                let checks = config.domains.reduce(0) { $0 + $1.checks.count }
                let disks = config.agent.disks.count
                print("\(config.path): valid: \(config.domains.count) domains, \(checks) checks, \(disks) disk\(disks == 1 ? "" : "s")")
            }
        }
        return valid ? 0 : 1
    }
}
