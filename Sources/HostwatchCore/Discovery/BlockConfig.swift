/// The block syntax nginx and bind share: `word word "quoted" { … }` and `word …;`, comments
/// from `#` (and, for bind, `//` and `/* */`) to their end. Parsed into a tree of directives;
/// unbalanced braces or an unterminated quote are reported, and what was read before stays.
public struct BlockConfig: Sendable, Hashable {
    /// One directive: its words (quotes removed) and its block, if it has one.
    public struct Directive: Sendable, Hashable {
        public var words: [String]
        public var block: [Directive]?
        /// The line it starts on, for warnings.
        public var line: Int
        public var name: String { words.first ?? "" }
        public var arguments: ArraySlice<String> { words.dropFirst() }
    }

    public var directives: [Directive]
    /// Syntax problems, `line N: message`.
    public var problems: [String]

    /// Parses `text`; `cStyleComments` adds bind's `//` and `/* */`.
    public init(_ text: String, cStyleComments: Bool = false) {
        var tokens: [(text: String, line: Int, quoted: Bool)] = []
        var problems: [String] = []
        let bytes = Array(text.utf8)
        var i = 0, line = 1
        var word: [UInt8] = []
        var wordLine = 1
        func flush() {
            if !word.isEmpty { tokens.append((String(decoding: word, as: UTF8.self), wordLine, false)) }
            word.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let c = bytes[i]
            let next: UInt8 = i + 1 < bytes.count ? bytes[i + 1] : 0
            if c == UInt8(ascii: "\n") {
                flush()
                line += 1
                i += 1
            } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                flush()
                i += 1
            } else if word.isEmpty && (c == UInt8(ascii: "#") || (cStyleComments && c == UInt8(ascii: "/") && next == UInt8(ascii: "/"))) {
                while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
            } else if cStyleComments && c == UInt8(ascii: "/") && next == UInt8(ascii: "*") {
                flush()
                i += 2
                while i < bytes.count, !(bytes[i] == UInt8(ascii: "*") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "/")) {
                    if bytes[i] == UInt8(ascii: "\n") { line += 1 }
                    i += 1
                }
                i += 2
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "}") || c == UInt8(ascii: ";") {
                flush()
                tokens.append((String(UnicodeScalar(c)), line, false))
                i += 1
            } else if (c == UInt8(ascii: "\"") || c == UInt8(ascii: "'")) && word.isEmpty {
                let start = line
                var value: [UInt8] = []
                i += 1
                while i < bytes.count, bytes[i] != c {
                    if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count { i += 1 }
                    if bytes[i] == UInt8(ascii: "\n") { line += 1 }
                    value.append(bytes[i])
                    i += 1
                }
                if i >= bytes.count { problems.append("line \(start): unterminated quote") }
                tokens.append((String(decoding: value, as: UTF8.self), start, true))
                i += 1
            } else {
                if word.isEmpty { wordLine = line }
                word.append(c)
                i += 1
            }
        }
        flush()
        var position = 0
        func parseBlock(depth: Int) -> [Directive] {
            var out: [Directive] = []
            var words: [String] = []
            var startLine = 0
            while position < tokens.count {
                let token = tokens[position]
                position += 1
                if !token.quoted, token.text == ";" {
                    if !words.isEmpty { out.append(Directive(words: words, block: nil, line: startLine)) }
                    words = []
                } else if !token.quoted, token.text == "{" {
                    let line = words.isEmpty ? token.line : startLine
                    let block = parseBlock(depth: depth + 1)
                    out.append(Directive(words: words, block: block, line: line))
                    words = []
                    // bind ends a block with `};`: the empty statement is harmless.
                } else if !token.quoted, token.text == "}" {
                    if depth == 0 { problems.append("line \(token.line): unexpected \"}\"") } else {
                        if !words.isEmpty { problems.append("line \(startLine): \"\(words[0])\" is missing its \";\"") }
                        return out
                    }
                } else {
                    if words.isEmpty { startLine = token.line }
                    words.append(token.text)
                }
            }
            if !words.isEmpty { problems.append("line \(startLine): \"\(words[0])\" is missing its \";\"") }
            if depth > 0 { problems.append("the file ends inside a block (a \"}\" is missing)") }
            return out
        }
        directives = parseBlock(depth: 0)
        self.problems = problems
    }
}
