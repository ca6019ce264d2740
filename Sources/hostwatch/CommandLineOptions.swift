import HostwatchIO

/// The parsed command line: a command path (`tickets show`), positional arguments and options.
/// Options follow the subcommand (DESIGN.md §8).
struct CommandLineOptions {
    var positional: [String] = []
    var flags: Set<String> = []
    var values: [String: String] = [:]

    /// Options that take a value, per the contract.
    static let valued: Set<String> = ["config", "status", "domain", "account", "severity", "since", "by", "solution", "for", "reason", "remove"]
    static let switches: Set<String> = ["json", "all", "help", "list", "verbose", "write", "accept-removals"]

    init(_ arguments: [String]) throws(UsageError) {
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument == "-h" {
                flags.insert("help")
            } else if argument.hasPrefix("--"), argument.count > 2 {
                var name = String(argument.dropFirst(2))
                var value: String?
                if let eq = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if Self.valued.contains(name) {
                    if value == nil {
                        i += 1
                        guard i < arguments.count else { throw UsageError("--\(name) needs a value") }
                        value = arguments[i]
                    }
                    values[name] = value
                } else if Self.switches.contains(name), value == nil {
                    flags.insert(name)
                } else {
                    throw UsageError("unknown option --\(name)")
                }
            } else {
                positional.append(argument)
            }
            i += 1
        }
    }

    var configPath: String { values["config"] ?? ConfigFile.defaultPath() }
    var json: Bool { flags.contains("json") }

    /// Rejects options this command does not take.
    func allow(_ allowed: Set<String>) throws(UsageError) {
        let given = flags.union(values.keys).subtracting(["help", "config"])
        if let extra = given.subtracting(allowed).sorted().first { throw UsageError("this command does not take --\(extra)") }
    }
}

/// A command line that cannot be carried out: printed as one line with a hint, exit 64.
struct UsageError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
