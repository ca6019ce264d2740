import HostwatchCore

// libFuzzer entry point for the config reader (see Tests/Fuzz/README.md): the JSON5 text read as
// an agent file and as a domain file, the way `ConfigFile` loads them. No top-level code, no @main.

/// Every error must come back as a `ConfigError` naming the file; nothing may trap, whatever
/// the types, ranges, keys and nesting of the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func configFuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let document = JSON5Document.parse(text)
    guard let root = document.root else { return 0 }

    let agentProblems = ConfigReader.Problems()
    let agent = AgentConfig.read(root, file: "fuzz.json5", problems: agentProblems, resolve: { "/etc/hostwatch/" + $0 })
    check(agentProblems, readSomething: agent != nil)

    let domainProblems = ConfigReader.Problems()
    let domain = DomainConfig.read(root, file: "checks/fuzz.json5", defaults: agent?.defaults ?? AgentConfig.Defaults(),
                                   problems: domainProblems)
    check(domainProblems, readSomething: domain != nil)
    return 0
}

private func check(_ problems: ConfigReader.Problems, readSomething: Bool) {
    // Nil without an error would leave the operator with no reason; an error with a value would
    // start an agent on a config it just rejected.
    precondition(readSomething != problems.hasErrors, "read \(readSomething), errors \(problems.errors)")
    for error in problems.errors {
        precondition(!error.description.isEmpty)
    }
}
