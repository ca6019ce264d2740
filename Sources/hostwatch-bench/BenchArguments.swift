/// One bench's arguments: `--name VALUE` options and `--flag` switches, read once. An unknown
/// argument, an option without its value or a count that is no whole number ends the bench
/// with a message (each bench had its own loop over the arguments, and some crashed on an option
/// given last without its value).
struct BenchArguments {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    init(_ args: [String], options: Set<String>, flags known: Set<String> = []) {
        var i = 0
        while i < args.count {
            let name = args[i]
            if known.contains(name) {
                flags.insert(name)
            } else if options.contains(name) {
                guard i + 1 < args.count else { fail("\(name) needs a value") }
                values[name] = args[i + 1]
                i += 1
            } else {
                fail("unknown argument \(name)")
            }
            i += 1
        }
    }

    func string(_ name: String) -> String? { values[name] }

    /// The count given as `name`, at least `minimum`; `value` when it is not given.
    func count(_ name: String, default value: Int, minimum: Int = 1) -> Int {
        guard let text = values[name] else { return value }
        guard let number = Int(text), number >= minimum else { fail("\(name) needs a whole number from \(minimum) up, not \(text)") }
        return number
    }

    func has(_ flag: String) -> Bool { flags.contains(flag) }
}
