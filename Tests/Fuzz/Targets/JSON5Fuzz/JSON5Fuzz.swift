import HostwatchCore

// libFuzzer entry point for the JSON5 parser (see Tests/Fuzz/README.md). No top-level code and no
// @main: `packaging/fuzz` links libFuzzer's own main with SwiftPM's `--sanitize=fuzzer`; a plain
// `swift build` makes a binary that does nothing.

/// Parses the input as text (invalid UTF-8 repaired as the config loader never would, so the
/// parser sees U+FFFD too), then walks the tree: every diagnostic must name a position inside
/// the text, and reading every value must not trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func json5Fuzz(_ data: UnsafeRawPointer, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    let document = JSON5Document.parse(text)
    let lines = lineCount(text)
    for diagnostic in document.diagnostics {
        // A diagnostic outside the text would point an operator at a line that is not there.
        precondition(diagnostic.position.line >= 1 && diagnostic.position.line <= lines,
                     "diagnostic at \(diagnostic.position) in a text of \(lines) lines")
        _ = diagnostic.description
    }
    if let root = document.root { walk(root, depth: 0) }
    return 0
}

/// Lines as the parser counts them (JSON5.swift): broken by LF, CR and CRLF.
private func lineCount(_ text: String) -> Int {
    var count = 1
    var previous: UInt8 = 0
    for byte in text.utf8 {
        if byte == 0x0A, previous != 0x0D { count += 1 }
        if byte == 0x0D { count += 1 }
        previous = byte
    }
    return count
}

private func walk(_ node: JSON5Node, depth: Int) {
    precondition(depth < 10_000)
    switch node.value {
    case .object(let members):
        for member in members { walk(member.value, depth: depth + 1) }
    case .array(let elements):
        for element in elements { walk(element, depth: depth + 1) }
    default:
        _ = ConfigReader.describe(node)
    }
}
