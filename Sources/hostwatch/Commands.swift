import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// The subcommands and their exit codes.
enum Commands {
    static let usage = """
    usage: hostwatch COMMAND [options]

    commands:
      run                         run the agent in the foreground (SIGTERM/SIGINT stop it)
      check [DOMAIN...] [--json]  run the checks once now and print each result; writes nothing
                                  exit 0 ok, 1 warning, 2 critical, 3 unknown or config error
      validate [--json]           check the config and every domain file; exit 0 valid, 1 invalid
      tickets [list] [--all] [--json] [--status S] [--severity S] [--domain D] [--account A] [--since T]
                                  list open tickets (all with --all)
      tickets show ID [--json]    one ticket with its steps and attachments; exit 1 for an unknown id

    options:
      --config PATH               the agent file (default $HOSTWATCH_CONFIG, else /etc/hostwatch/hostwatch.json5)
      --help                      this text, or a command's own help
    """

    static let help: [String: String] = [
        "run": "usage: hostwatch run [--config PATH]\n  Runs the agent in the foreground: checks every domain on its interval, opens a\n  ticket after `failures` consecutive failures and resolves it after `recoveries`\n  successes. SIGTERM and SIGINT stop it cleanly (exit 0).",
        "check": "usage: hostwatch check [DOMAIN...] [--json] [--config PATH]\n  Runs the selected domains' checks once now (all, and the disks, when none is named)\n  and prints each result. No debounce; writes nothing.\n  exit: 0 ok, 1 warning, 2 critical, 3 unknown or config error (Nagios convention).",
        "validate": "usage: hostwatch validate [--json] [--config PATH]\n  Checks the agent file and every domain file without touching the network.\n  Prints one FILE:LINE:COLUMN: key.path: message line per error (all of them).\n  exit: 0 valid, 1 invalid.",
        "tickets": "usage: hostwatch tickets [list] [--all] [--json] [--status open|acknowledged|resolved]\n                        [--severity warning|critical] [--domain D] [--account TEXT] [--since 24h|RFC3339]\n       hostwatch tickets show ID [--json]\n  Lists open tickets (every ticket with --all or --status), or shows one in full.\n  exit: 0; `show` exits 1 for an unknown id.",
    ]

    static func main(_ arguments: [String]) async -> Int32 {
        guard let command = arguments.first, command != "--help", command != "-h", command != "help" else {
            print(usage)
            return arguments.isEmpty ? 64 : 0
        }
        do {
            let options = try CommandLineOptions(Array(arguments.dropFirst()))
            if options.flags.contains("help") {
                print(help[command] ?? usage)
                return help[command] == nil ? 64 : 0
            }
            switch command {
            case "run": return try await RunCommand.run(options)
            case "check": return try await CheckCommand.run(options)
            case "validate": return try ValidateCommand.run(options)
            case "tickets": return try TicketsCommand.run(options)
            default: throw UsageError("unknown command \"\(command)\"")
            }
        } catch let error as UsageError {
            printError("hostwatch: \(error.message) (see hostwatch \(help[command] == nil ? "" : command + " ")--help)")
            return 64
        } catch {
            printError("hostwatch: \(error)")
            return 3
        }
    }

    static func printError(_ text: String) {
        var bytes = Array((text + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// Loads the config or prints every error; nil means the caller exits with its config-error code.
    static func loadConfig(_ options: CommandLineOptions) -> LoadedConfig? {
        do {
            let config = try ConfigFile.load(path: options.configPath)
            for notice in config.notices { printError(notice.description) }
            return config
        } catch {
            printError(error.description)
            return nil
        }
    }

    static func jsonText<T: Encodable>(_ value: T) -> String {
        guard let data = try? FileTicketStore.encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
