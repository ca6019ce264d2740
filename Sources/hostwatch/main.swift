import FoundationEssentials
import Glibc
import HostwatchCore
import HostwatchIO

/// `hostwatch` command line (DESIGN.md §8): options follow the subcommand; a usage error exits
/// 64 with a one-line hint.
let arguments = Array(CommandLine.arguments.dropFirst())
let status = await Commands.main(arguments)
exit(status)
