import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// The subcommands and their exit codes.
enum Commands {
    /// This build's version; `packaging/build-deb` names the package after it.
    static let version = "0.1.0"

    static let usage = """
    usage: hostwatch COMMAND [options]

    commands:
      run [--verbose]             run the agent in the foreground (SIGTERM/SIGINT stop it, SIGHUP reloads);
                                  under systemd it reports its state and pings the watchdog
      check [DOMAIN...] [--json]  run the checks once now and print each result; writes nothing
                                  exit 0 ok, 1 warning, 2 critical, 3 unknown or config error
      validate [--json]           check the config and every domain file; exit 0 valid, 1 invalid
      discover [--json] [--write] [--accept-removals]
                                  read the domains this server hosts (nginx, apache, postfix, dovecot,
                                  nsd, bind, the panel); --write updates checks/discovered/
      tickets [list] [--all] [--json] [--status S] [--severity S] [--domain D] [--account A] [--since T]
                                  list open tickets (all with --all)
      tickets show ID [--json]    one ticket with its steps and attachments; exit 1 for an unknown id
      tickets ack ID [--by NAME]  acknowledge a ticket: no more reminders; exit 1 for an unknown id
      tickets note ID TEXT        add a note;  tickets resolve ID --solution TEXT: resolve by hand
      tickets related DOMAIN | --account TEXT   earlier tickets, archived ones too
      silence TARGET --for DURATION --reason TEXT [--by NAME]
                                  hold back new tickets for a domain, endpoint:ADDRESS:PORT, server or all
      silence --list | --remove ID
      status [--json]             every check and open incident, from the running agent's snapshot
      outbox [--json]             ticket events not yet delivered to every sink: attempts, last error

    options:
      --config PATH               the agent file (default $HOSTWATCH_CONFIG, else /etc/hostwatch/hostwatch.json5)
      --help                      this text, or a command's own help
      --version                   the version of this build
    """

    static let help: [String: String] = [
        "run": """
        usage: hostwatch run [--verbose] [--config PATH]
          Runs the agent in the foreground: checks every domain on its interval, opens one
          ticket per incident after `failures` consecutive failures and resolves it after
          `recoveries` successes. SIGHUP reloads the config (a bad one is rejected and the
          old one keeps running); SIGTERM and SIGINT stop it cleanly (exit 0).
          Under systemd (Type=notify) it sends READY=1, RELOADING=1, STOPPING=1 to
          $NOTIFY_SOCKET and WATCHDOG=1 (every $WATCHDOG_USEC/2) while its scheduler is
          healthy. `heartbeat` in the agent file pings a dead man's switch URL on the same
          condition; `metrics` writes a Prometheus textfile. --verbose logs every result.
          exit: 0 after a clean stop, 1 when the config or the state folder is unusable.
        """,
        "silence": "usage: hostwatch silence TARGET --for DURATION --reason TEXT [--by NAME] [--json]\n       hostwatch silence --list [--json]\n       hostwatch silence --remove ID\n  TARGET is a domain, endpoint:ADDRESS:PORT, server or all. A silence holds back new\n  tickets only: recoveries still resolve, and what is still down when it ends opens then.\n  exit: 0; 1 for an unknown id.",
        "status": "usage: hostwatch status [--json] [--config PATH]\n  Every check's state (ok, failing n/N, down since, silenced until) and every open\n  incident, from the snapshot the running agent writes each second.\n  exit: 0; 1 when there is no snapshot.",
        "check": "usage: hostwatch check [DOMAIN...] [--json] [--config PATH]\n  Runs the selected domains' checks once now (all, and the disks, when none is named)\n  and prints each result. No debounce; writes nothing.\n  exit: 0 ok, 1 warning, 2 critical, 3 unknown or config error (Nagios convention).",
        "discover": """
        usage: hostwatch discover [--json] [--write] [--accept-removals] [--config PATH]
          Reads what this server hosts (the discovery section: nginx -T, apache2ctl -S, postconf,
          doveconf -n, nsd.conf, named.conf, the panel's files, accounts_file) and prints one line
          per domain (--json: one hostwatch.discovered/1 object a line): aliases, account, plan,
          sources, the checks it would get, and new / changed / gone / unchanged against what is
          watched. --write writes checks/discovered/DOMAIN.json5 (a hand-written checks/DOMAIN.json5
          wins and is never touched) and removes files of domains gone from every source. Sources
          the machine lacks are skipped; a failing one is a warning and removes nothing. Stopping
          more than 20 % of the watched domains at once needs --accept-removals.
          exit: 0; 1 held back or a file not written; 3 config error.
        """,
        "validate": "usage: hostwatch validate [--json] [--config PATH]\n  Checks the agent file and every domain file without touching the network.\n  Prints one FILE:LINE:COLUMN: key.path: message line per error (all of them).\n  exit: 0 valid, 1 invalid.",
        "outbox": "usage: hostwatch outbox [--json] [--config PATH]\n  Ticket events waiting for delivery to the sinks of tickets.deliver (e-mail, RT,\n  webhook): per sink its state, attempts, next attempt, failing since and last error.\n  Delivered events leave the outbox. exit: 0.",
        "tickets": "usage: hostwatch tickets [list] [--all] [--json] [--status open|acknowledged|resolved]\n                        [--severity warning|critical] [--domain D] [--account TEXT] [--since 24h|RFC3339]\n       hostwatch tickets show ID [--json]\n       hostwatch tickets ack ID [--by NAME]\n       hostwatch tickets note ID TEXT [--by NAME]\n       hostwatch tickets resolve ID --solution TEXT [--by NAME]\n       hostwatch tickets related DOMAIN | --account TEXT [--json]\n  Lists open tickets (every ticket with --all or --status), or shows one in full.\n  exit: 0; `show` exits 1 for an unknown id.",
    ]

    static func main(_ arguments: [String]) async -> Int32 {
        if arguments == ["--version"] {
            print("hostwatch \(version)")
            return 0
        }
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
            case "discover": return try DiscoverCommand.run(options)
            case "tickets": return try TicketsCommand.run(options)
            case "silence": return try SilenceCommand.run(options)
            case "status": return try StatusCommand.run(options)
            case "outbox": return try OutboxCommand.run(options)
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

    /// The responder's name for `--by`: the login name, else the user name from the environment.
    static func loginName() -> String {
        if let name = getlogin() { return String(cString: name) }
        let environment = ProcessInfo.processInfo.environment
        return environment["SUDO_USER"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
    }

    /// One compact JSON object (keys sorted) for line-per-object output.
    static func jsonLine<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func jsonText<T: Encodable>(_ value: T) -> String {
        guard let data = try? FileTicketStore.encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
