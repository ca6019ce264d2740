// JSON5 (https://spec.json5.org, version 1.0.0) parsed into values that remember where they start,
// so that config errors can name the line and column. Foundation's decoder gives no positions.
//
// Deliberate differences from the spec, chosen for config files read by people:
// - An escape that JSON5 would read as the bare character (`"\d"` meaning `"d"`) is an error:
//   in a config it is almost always a forgotten backslash in a pattern such as `"(\d+)"`.
//   `\/` stays valid because JSON allows it.
// - Unquoted keys are ASCII identifiers (`[A-Za-z_$][A-Za-z0-9_$]*`); other keys need quotes.
// - Lines for positions are broken by LF, CR and CRLF only. U+2028 and U+2029 are still whitespace
//   and line continuations, but editors and `less` do not start a new line at them, and a position
//   must point where the operator will look.

/// A place in a source text: 1-based line and 1-based column (column counts Unicode scalars from the line start).
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The line, counting from 1. LF, CR and CRLF each end a line.
    public var line: Int
    /// The column, counting Unicode scalars from 1 at the start of the line.
    public var column: Int

    /// Creates a position from a 1-based line and column.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// `LINE:COLUMN`, the form compilers and editors understand (`7:13`).
    public var description: String { "\(line):\(column)" }

    /// Orders positions as they occur in the text.
    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// One parsed JSON5 value and where it starts in the text.
public struct JSON5Node: Sendable {
    /// The value.
    public var value: JSON5Value
    /// Where the value's first character is: the opening bracket, quote, sign or digit.
    public var position: SourcePosition

    /// Creates a node; the parser makes these, tests and decoders may too.
    public init(value: JSON5Value, position: SourcePosition) {
        self.value = value
        self.position = position
    }
}

/// A JSON5 value. Numbers keep their text so that errors can quote what was written.
public enum JSON5Value: Sendable {
    /// An object's members in source order; a repeated key is reported and only its first member kept.
    case object([JSON5Member])
    /// An array's elements in order.
    case array([JSON5Node])
    /// A string with its escapes resolved.
    case string(String)
    /// A number, hexadecimal, `Infinity` and `NaN` included.
    case number(JSON5Number)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
}

/// One `key: value` pair of an object, with the key's own position (a duplicate or unknown key is reported there).
public struct JSON5Member: Sendable {
    /// The key with its escapes resolved, whether it was quoted or an identifier.
    public var key: String
    /// Where the key starts (its opening quote, or its first letter).
    public var keyPosition: SourcePosition
    /// The value and its position.
    public var value: JSON5Node

    /// Creates a member; the parser makes these, tests and decoders may too.
    public init(key: String, keyPosition: SourcePosition, value: JSON5Node) {
        self.key = key
        self.keyPosition = keyPosition
        self.value = value
    }
}

/// A JSON5 number: its value as a `Double` and its text as written.
public struct JSON5Number: Sendable, Equatable {
    /// The value (hex, Infinity, NaN, leading/trailing '.', '+' sign all supported).
    public var double: Double
    /// The text as written, sign included, e.g. "0x1F", "1e3", "-.5", "+Infinity".
    public var literal: String

    /// Creates a number from its value and the text it was read from.
    public init(double: Double, literal: String) {
        self.double = double
        self.literal = literal
    }

    /// The value as an Int when it is integral and within Int range
    /// (1e3 → 1000, 0x10 → 16, 1.5 → nil, NaN → nil).
    ///
    /// Plain decimal and hexadecimal integers are read exactly from `literal`, so values above 2^53
    /// (where a `Double` skips integers) come back as written; other forms go through `double`.
    public var integer: Int? {
        if let exact = Self.exactInteger(literal) { return exact }
        // Range check and truncating conversion by hand: `rounded()` and `Int(exactly:)` call libm,
        // which HostwatchCore does not otherwise link. 2^63 is exact as a Double; Int.max is not.
        guard double.isFinite, double >= -9_223_372_036_854_775_808.0, double < 9_223_372_036_854_775_808.0
        else { return nil }
        let truncated = Int(double)
        return Double(truncated) == double ? truncated : nil
    }

    /// Two numbers are equal when written the same way with the same value; NaN equals NaN here,
    /// so that a parsed `NaN` compares equal to itself in tests.
    public static func == (lhs: JSON5Number, rhs: JSON5Number) -> Bool {
        lhs.literal == rhs.literal
            && (lhs.double == rhs.double || (lhs.double.isNaN && rhs.double.isNaN))
    }

    /// Reads `[+-]digits` or `[+-]0x hexdigits` exactly; nil for any other form or on overflow.
    private static func exactInteger(_ literal: String) -> Int? {
        var bytes = Substring(literal).utf8[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var radix: UInt64 = 10
        if bytes.count > 2, bytes.first == UInt8(ascii: "0"),
           let x = bytes.dropFirst().first, x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            radix = 16
            bytes = bytes.dropFirst(2)
        }
        guard !bytes.isEmpty else { return nil }
        var magnitude: UInt64 = 0
        for byte in bytes {
            guard let digit = JSON5Grammar.hexDigitValue(byte), UInt64(digit) < radix else { return nil }
            let (shifted, overflow1) = magnitude.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
            if overflow1 || overflow2 { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return nil }
            return magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude)
        }
        guard magnitude <= UInt64(Int.max) else { return nil }
        return Int(magnitude)
    }
}

/// A problem found while parsing, with the key path where it happened
/// ("" at the root, "web.expect_status[1]", "smtp[0].port").
public struct JSON5Diagnostic: Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is: the offending character, or the repeated key.
    public var position: SourcePosition
    /// The key path of the value being read, built with `JSON5Path`; "" at the root.
    public var path: String
    /// What is wrong, in words fit for an operator: `expected ':' after key "port", found '='`.
    public var message: String

    /// Creates a diagnostic.
    public init(position: SourcePosition, path: String, message: String) {
        self.position = position
        self.path = path
        self.message = message
    }

    /// `LINE:COLUMN: PATH: MESSAGE`, or `LINE:COLUMN: MESSAGE` at the root; a caller prefixes the file name.
    public var description: String {
        path.isEmpty ? "\(position): \(message)" : "\(position): \(path): \(message)"
    }
}

/// A parsed JSON5 text: its root value, if the syntax allowed one, and every problem found.
public struct JSON5Document: Sendable {
    /// The root value; nil when a syntax error stopped the parse.
    public var root: JSON5Node?
    /// Problems in source order: duplicate keys, then the syntax error (if any) last.
    public var diagnostics: [JSON5Diagnostic]

    /// Creates a document from parts; `parse` is the usual way to get one.
    public init(root: JSON5Node?, diagnostics: [JSON5Diagnostic]) {
        self.root = root
        self.diagnostics = diagnostics
    }

    /// Parses the whole text. A syntax error stops the parse (root = nil, one diagnostic at the
    /// offending character); duplicate keys are reported (one diagnostic per repeat, at the repeated
    /// key, message like `duplicate key "port" (first at 3:5)`) and parsing continues.
    ///
    /// Duplicates found before a syntax error stay in `diagnostics`, ahead of it. Unterminated strings
    /// and block comments are reported at their opening quote or `/*`, where the fix usually is.
    /// Nesting deeper than 200 arrays and objects is a syntax error, so any input parses in bounded stack.
    public static func parse(_ text: String) -> JSON5Document {
        var parser = JSON5Parser(text)
        do throws(JSON5Parser.SyntaxError) {
            let root = try parser.parseDocument()
            return JSON5Document(root: root, diagnostics: parser.diagnostics)
        } catch {
            let failure = JSON5Diagnostic(position: error.position, path: error.path, message: error.message)
            return JSON5Document(root: nil, diagnostics: parser.diagnostics + [failure])
        }
    }
}

extension JSON5Value {
    /// The value's kind with its article, for messages such as `expected a string, found an array`:
    /// "an object", "an array", "a string", "a number", "a boolean" or "null".
    public var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// Builds the key paths diagnostics carry: `web.port`, `smtp[1].port`, `headers["X-A"]`.
public enum JSON5Path {
    /// Appends an object key: "" + "web" → "web", "web" + "port" → "web.port"; a key that is not an
    /// ASCII identifier is quoted in brackets: "headers" + "X-A" → `headers["X-A"]`.
    public static func appending(_ path: String, key: String) -> String {
        if isIdentifier(key) { return path.isEmpty ? key : path + "." + key }
        return path + "[" + quoted(key) + "]"
    }

    /// Appends an array index: "web" + 1 → "web[1]", "" + 0 → "[0]".
    public static func appending(_ path: String, index: Int) -> String {
        path + "[\(index)]"
    }

    /// `text` in double quotes with `"`, `\` and control characters escaped, as JSON would write it.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\u" + JSON5Grammar.hex4(scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    private static func isIdentifier(_ key: String) -> Bool {
        var bytes = key.utf8.makeIterator()
        guard let first = bytes.next(), JSON5Grammar.isIdentifierStart(first) else { return false }
        while let byte = bytes.next() {
            guard JSON5Grammar.isIdentifierPart(byte) else { return false }
        }
        return true
    }
}

// MARK: - Parser

/// A parser over UTF-8 bytes. Open arrays and objects live on an explicit stack instead of in
/// recursive calls, so the call stack stays shallow whatever the input.
private struct JSON5Parser {
    /// The one error that stops a parse.
    struct SyntaxError: Error {
        var position: SourcePosition
        var path: String
        var message: String
    }

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    /// An array or object whose closing bracket has not been read yet.
    private struct Container {
        var isObject: Bool
        var position: SourcePosition
        var elements: [JSON5Node] = []
        var members: [JSON5Member] = []
        var firstKeyPositions: [String: SourcePosition] = [:]
        var pendingKey = ""
        var pendingKeyPosition = SourcePosition(line: 0, column: 0)
        var pendingIsDuplicate = false
    }

    /// Largest number of arrays and objects open at once. Config files nest a few levels; the cap keeps
    /// hostile input (10,000 `[`) from building a tree whose teardown would recurse that deep.
    static let maximumNestingDepth = 200

    private let bytes: [UInt8]
    private var offset = 0
    private var line = 1
    private var lineStart = 0
    // Positions are asked for in increasing order, so counting columns from the last answer keeps
    // a 1 MB single-line file linear.
    private var cachedColumnOffset = 0
    private var cachedColumn = 1
    private var containers: [Container] = []
    private var path: [PathComponent] = []
    private var scratch: [UInt8] = []
    private(set) var diagnostics: [JSON5Diagnostic] = []

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    // MARK: Structure

    mutating func parseDocument() throws(SyntaxError) -> JSON5Node {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            offset = 3
            lineStart = 3
            cachedColumnOffset = 3
        }
        let root = try parseValue()
        try skipTrivia()
        if offset < bytes.count {
            throw fail("expected end of input after the root value, found \(describeCharacter(at: offset))")
        }
        return root
    }

    /// Reads one value, descending into arrays and objects without recursing.
    private mutating func parseValue() throws(SyntaxError) -> JSON5Node {
        readValue: while true {
            try skipTrivia()
            let start = currentPosition()
            var completed: JSON5Node
            switch peek() {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard containers.count < Self.maximumNestingDepth else {
                    throw fail("nesting is deeper than \(Self.maximumNestingDepth) levels")
                }
                let isObject = peek() == UInt8(ascii: "{")
                offset += 1
                containers.append(Container(isObject: isObject, position: start))
                if isObject {
                    if try beginMember() { continue readValue }
                    completed = JSON5Node(value: .object([]), position: start)
                } else {
                    try skipTrivia()
                    if peek() != UInt8(ascii: "]") {
                        path.append(.index(0))
                        continue readValue
                    }
                    offset += 1
                    completed = JSON5Node(value: .array([]), position: start)
                }
                containers.removeLast()
            default:
                completed = try parseScalar(at: start)
            }

            // Hand the finished value to its container, closing every container that ends here.
            while !containers.isEmpty {
                let last = containers.count - 1
                if containers[last].isObject {
                    if !containers[last].pendingIsDuplicate {
                        containers[last].members.append(JSON5Member(
                            key: containers[last].pendingKey,
                            keyPosition: containers[last].pendingKeyPosition,
                            value: completed))
                    }
                    path.removeLast()
                    try skipTrivia()
                    if peek() == UInt8(ascii: ",") {
                        offset += 1
                        if try beginMember() { continue readValue }
                    } else if peek() == UInt8(ascii: "}") {
                        offset += 1
                    } else {
                        throw unexpected(expecting: "',' or '}' after object member")
                    }
                    let closed = containers.removeLast()
                    completed = JSON5Node(value: .object(closed.members), position: closed.position)
                } else {
                    containers[last].elements.append(completed)
                    path.removeLast()
                    try skipTrivia()
                    if peek() == UInt8(ascii: ",") {
                        offset += 1
                        try skipTrivia()
                        if peek() != UInt8(ascii: "]") {
                            path.append(.index(containers[last].elements.count))
                            continue readValue
                        }
                        offset += 1
                    } else if peek() == UInt8(ascii: "]") {
                        offset += 1
                    } else {
                        throw unexpected(expecting: "',' or ']' after array element")
                    }
                    let closed = containers.removeLast()
                    completed = JSON5Node(value: .array(closed.elements), position: closed.position)
                }
            }
            return completed
        }
    }

    /// After `{` or `,` in an object: reads `}` (returns false, the caller closes the object) or a
    /// key and its colon (returns true, a value follows). Reports a repeated key here, at the key.
    private mutating func beginMember() throws(SyntaxError) -> Bool {
        try skipTrivia()
        let keyPosition = currentPosition()
        let key: String
        switch peek() {
        case UInt8(ascii: "}"):
            offset += 1
            return false
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            key = try parseString(at: keyPosition)
        case let byte where JSON5Grammar.isIdentifierStart(byte):
            key = readIdentifier()
        default:
            throw unexpected(expecting: "a key or '}'")
        }
        try skipTrivia()
        guard peek() == UInt8(ascii: ":") else {
            throw unexpected(expecting: "':' after key \(JSON5Path.quoted(key))")
        }
        offset += 1
        path.append(.key(key))
        let last = containers.count - 1
        containers[last].pendingKey = key
        containers[last].pendingKeyPosition = keyPosition
        if let first = containers[last].firstKeyPositions[key] {
            containers[last].pendingIsDuplicate = true
            diagnostics.append(JSON5Diagnostic(
                position: keyPosition, path: renderedPath(),
                message: "duplicate key \(JSON5Path.quoted(key)) (first at \(first))"))
        } else {
            containers[last].pendingIsDuplicate = false
            containers[last].firstKeyPositions[key] = keyPosition
        }
        return true
    }

    private mutating func parseScalar(at start: SourcePosition) throws(SyntaxError) -> JSON5Node {
        let byte = peek()
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return JSON5Node(value: .string(try parseString(at: start)), position: start)
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            return JSON5Node(value: .number(try parseNumber()), position: start)
        case _ where JSON5Grammar.isIdentifierStart(byte):
            let wordStart = offset
            let word = readIdentifier()
            switch word {
            case "true": return JSON5Node(value: .bool(true), position: start)
            case "false": return JSON5Node(value: .bool(false), position: start)
            case "null": return JSON5Node(value: .null, position: start)
            case "Infinity":
                return JSON5Node(value: .number(JSON5Number(double: .infinity, literal: word)), position: start)
            case "NaN":
                return JSON5Node(value: .number(JSON5Number(double: .nan, literal: word)), position: start)
            default:
                offset = wordStart
                throw fail("expected a value, found '\(abbreviated(word))' (strings need quotes)")
            }
        default:
            throw unexpected(expecting: "a value")
        }
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(SyntaxError) -> JSON5Number {
        let start = offset
        var sign: UInt8?
        if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") {
            sign = peek()
            offset += 1
        }
        let signText = sign.map { "'\(Character(Unicode.Scalar($0)))'" } ?? ""

        if JSON5Grammar.isIdentifierStart(peek()) {
            let wordStart = offset
            let word = readIdentifier()
            let value: Double
            switch word {
            case "Infinity": value = sign == UInt8(ascii: "-") ? -.infinity : .infinity
            case "NaN": value = .nan
            default:
                offset = wordStart
                throw fail("expected a number after \(signText), found '\(abbreviated(word))'")
            }
            return JSON5Number(double: value, literal: literal(from: start))
        }

        let digitsStart = offset
        if peek() == UInt8(ascii: "0"), peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X") {
            offset += 2
            var value: Double = 0
            var exact: UInt64 = 0
            var exactOverflowed = false
            while let digit = JSON5Grammar.hexDigitValue(peek()) {
                value = value * 16 + Double(digit)
                let (shifted, overflow1) = exact.multipliedReportingOverflow(by: 16)
                let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
                exactOverflowed = exactOverflowed || overflow1 || overflow2
                exact = sum
                offset += 1
            }
            if offset == digitsStart + 2 {
                throw unexpected(expecting: "a hex digit after '0x'")
            }
            try rejectTrailingCharacter(start: start)
            // Exact while it fits: accumulating in Double rounds at every step past 2^53.
            let magnitude = exactOverflowed ? value : Double(exact)
            return JSON5Number(double: sign == UInt8(ascii: "-") ? -magnitude : magnitude,
                               literal: literal(from: start))
        }

        var integerDigits = 0
        if peek() == UInt8(ascii: "0") {
            offset += 1
            integerDigits = 1
            if JSON5Grammar.isDigit(peek()) {
                offset -= 1
                throw fail("leading zeros are not allowed in numbers")
            }
        } else {
            integerDigits = skipDigits()
        }
        var fractionDigits = 0
        if peek() == UInt8(ascii: ".") {
            offset += 1
            fractionDigits = skipDigits()
        }
        if integerDigits == 0 && fractionDigits == 0 {
            if offset > digitsStart {
                throw unexpected(expecting: "a digit after '.'")
            }
            throw unexpected(expecting: sign == nil ? "a value" : "a number after \(signText)")
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            offset += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
            if skipDigits() == 0 {
                throw unexpected(expecting: "a digit in the exponent")
            }
        }
        try rejectTrailingCharacter(start: start)

        let text = literal(from: start)
        // Swift's Double parser accepts "5.", ".5" and "-.5" but not a leading '+'.
        let unsigned = sign == UInt8(ascii: "+") ? text.dropFirst() : Substring(text)
        guard let value = Double(unsigned) else {
            offset = start
            throw fail("invalid number \(abbreviated(text))")
        }
        return JSON5Number(double: value, literal: text)
    }

    /// `12a`, `0x1G`, `1.5.2`: a number runs straight into something that cannot follow it.
    private mutating func rejectTrailingCharacter(start: Int) throws(SyntaxError) {
        guard offset < bytes.count else { return }
        let next = bytes[offset]
        if JSON5Grammar.isIdentifierPart(next) || next == UInt8(ascii: ".") {
            throw fail("unexpected \(describeCharacter(at: offset)) after number \(abbreviated(literal(from: start)))")
        }
    }

    private mutating func skipDigits() -> Int {
        let start = offset
        while offset < bytes.count, JSON5Grammar.isDigit(bytes[offset]) { offset += 1 }
        return offset - start
    }

    private func literal(from start: Int) -> String {
        String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    // MARK: Strings and identifiers

    /// Reads a single- or double-quoted string starting at `offset`; `start` is the quote's position.
    private mutating func parseString(at start: SourcePosition) throws(SyntaxError) -> String {
        let quote = bytes[offset]
        offset += 1
        var runStart = offset
        var hasEscapes = false
        scratch.removeAll(keepingCapacity: true)
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == quote {
                let result: String
                if hasEscapes {
                    scratch.append(contentsOf: bytes[runStart..<offset])
                    result = String(decoding: scratch, as: UTF8.self)
                } else {
                    result = String(decoding: bytes[runStart..<offset], as: UTF8.self)
                }
                offset += 1
                return result
            }
            switch byte {
            case UInt8(ascii: "\\"):
                hasEscapes = true
                scratch.append(contentsOf: bytes[runStart..<offset])
                try readEscape(stringStart: start)
                runStart = offset
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw SyntaxError(position: start, path: renderedPath(), message: "unterminated string")
            default:
                offset += 1
            }
        }
        throw SyntaxError(position: start, path: renderedPath(), message: "unterminated string")
    }

    /// Reads one escape at `offset` (the backslash) and appends what it stands for to `scratch`.
    private mutating func readEscape(stringStart: SourcePosition) throws(SyntaxError) {
        let escapeStart = offset
        offset += 1
        guard offset < bytes.count else {
            throw SyntaxError(position: stringStart, path: renderedPath(), message: "unterminated string")
        }
        let byte = bytes[offset]
        offset += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "\\"), UInt8(ascii: "/"):
            scratch.append(byte)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "v"): scratch.append(0x0B)
        case UInt8(ascii: "0") where !JSON5Grammar.isDigit(peek()):
            scratch.append(0x00)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            offset = escapeStart
            throw fail("invalid escape \\\(Character(Unicode.Scalar(byte))) (octal escapes are not allowed)")
        case UInt8(ascii: "x"):
            guard let high = JSON5Grammar.hexDigitValue(peek()), let low = JSON5Grammar.hexDigitValue(peek(1)) else {
                offset = escapeStart
                throw fail("invalid escape \\x: it needs two hex digits")
            }
            offset += 2
            appendUTF8(UInt32(high * 16 + low))
        case UInt8(ascii: "u"):
            let unit = try readHex4(escapeStart: escapeStart)
            switch unit {
            case 0xD800...0xDBFF:
                let lowStart = offset
                guard peek() == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "u") else {
                    offset = escapeStart
                    throw fail(highSurrogateMessage(unit))
                }
                offset += 2
                let low = try readHex4(escapeStart: lowStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    offset = escapeStart
                    throw fail(highSurrogateMessage(unit))
                }
                appendUTF8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
            case 0xDC00...0xDFFF:
                offset = escapeStart
                throw fail("invalid escape \\u\(JSON5Grammar.hex4(unit)): a low surrogate must follow a high one")
            default:
                appendUTF8(unit)
            }
        case UInt8(ascii: "\n"):
            startLine()
        case UInt8(ascii: "\r"):
            if peek() == UInt8(ascii: "\n") { offset += 1 }
            startLine()
        case 0xE2 where peek() == 0x80 && (peek(1) == 0xA8 || peek(1) == 0xA9):
            offset += 2  // U+2028 / U+2029 continue the line like LF does
        default:
            offset = escapeStart
            let escaped = describeCharacter(at: escapeStart + 1)
            guard escaped.hasPrefix("'") else {
                throw fail("invalid escape: a backslash before \(escaped)")
            }
            let hint = JSON5Grammar.isIdentifierPart(byte) ? " (write \\\\ for a backslash)" : ""
            throw fail("invalid escape \\\(escaped.dropFirst().dropLast())\(hint)")
        }
    }

    private func highSurrogateMessage(_ unit: UInt32) -> String {
        "invalid escape \\u\(JSON5Grammar.hex4(unit)): a high surrogate must be followed by a \\u low surrogate"
    }

    /// Reads the four hex digits after `\u`; `escapeStart` is the backslash, where errors point.
    private mutating func readHex4(escapeStart: Int) throws(SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<4 {
            guard offset + index < bytes.count, let digit = JSON5Grammar.hexDigitValue(bytes[offset + index]) else {
                offset = escapeStart
                throw fail("invalid escape \\u: it needs four hex digits")
            }
            value = value * 16 + UInt32(digit)
        }
        offset += 4
        return value
    }

    private mutating func appendUTF8(_ value: UInt32) {
        switch value {
        case 0..<0x80:
            scratch.append(UInt8(value))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (value >> 6)))
            scratch.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (value >> 12)))
            scratch.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (value & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (value >> 18)))
            scratch.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (value & 0x3F)))
        }
    }

    private mutating func readIdentifier() -> String {
        let start = offset
        while offset < bytes.count, JSON5Grammar.isIdentifierPart(bytes[offset]) { offset += 1 }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    // MARK: Whitespace and comments

    /// Skips JSON5 whitespace (ASCII, NBSP, BOM, the line and paragraph separators and every `Zs`
    /// space) and comments, counting lines as it goes.
    private mutating func skipTrivia() throws(SyntaxError) {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0B, 0x0C:
                offset += 1
            case 0x0A:
                offset += 1
                startLine()
            case 0x0D:
                offset += 1
                if peek() == 0x0A { offset += 1 }
                startLine()
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "/"):
                offset += 2
                while offset < bytes.count, bytes[offset] != 0x0A, bytes[offset] != 0x0D,
                      !isLineOrParagraphSeparator(at: offset) {
                    offset += 1
                }
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                try skipBlockComment()
            default:
                let width = nonASCIIWhitespaceWidth()
                if width == 0 { return }
                offset += width
            }
        }
    }

    private mutating func skipBlockComment() throws(SyntaxError) {
        let start = currentPosition()
        offset += 2
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: "*") where peek(1) == UInt8(ascii: "/"):
                offset += 2
                return
            case 0x0A:
                offset += 1
                startLine()
            case 0x0D:
                offset += 1
                if peek() == 0x0A { offset += 1 }
                startLine()
            default:
                offset += 1
            }
        }
        throw SyntaxError(position: start, path: renderedPath(), message: "unterminated block comment")
    }

    /// The byte length of the non-ASCII whitespace character at `offset`, or 0 when there is none.
    private func nonASCIIWhitespaceWidth() -> Int {
        switch (peek(), peek(1), peek(2)) {
        case (0xC2, 0xA0, _):
            return 2                                            // U+00A0
        case (0xE1, 0x9A, 0x80), (0xE2, 0x81, 0x9F), (0xE3, 0x80, 0x80), (0xEF, 0xBB, 0xBF):
            return 3                                            // U+1680, U+205F, U+3000, U+FEFF
        case (0xE2, 0x80, let third) where (0x80...0x8A).contains(third) || [0xA8, 0xA9, 0xAF].contains(third):
            return 3                                            // U+2000–200A, U+2028, U+2029, U+202F
        default:
            return 0
        }
    }

    private func isLineOrParagraphSeparator(at index: Int) -> Bool {
        index + 2 < bytes.count && bytes[index] == 0xE2 && bytes[index + 1] == 0x80
            && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9)
    }

    // MARK: Positions

    /// Records that a line break has just been consumed.
    private mutating func startLine() {
        line += 1
        lineStart = offset
    }

    private mutating func currentPosition() -> SourcePosition {
        position(at: offset)
    }

    /// The position of `index`, which must lie on the current line.
    private mutating func position(at index: Int) -> SourcePosition {
        guard index >= lineStart, index <= bytes.count else { return SourcePosition(line: line, column: 1) }
        var column = 1
        var from = lineStart
        if cachedColumnOffset >= lineStart && cachedColumnOffset <= index {
            column = cachedColumn
            from = cachedColumnOffset
        }
        var cursor = from
        while cursor < index {
            if bytes[cursor] & 0xC0 != 0x80 { column += 1 }  // count scalars: skip UTF-8 continuation bytes
            cursor += 1
        }
        cachedColumnOffset = index
        cachedColumn = column
        return SourcePosition(line: line, column: column)
    }

    // MARK: Errors

    private mutating func fail(_ message: String) -> SyntaxError {
        SyntaxError(position: currentPosition(), path: renderedPath(), message: message)
    }

    /// "expected X, found Y" at the current character; at the end of input, names the container left open.
    private mutating func unexpected(expecting what: String) -> SyntaxError {
        guard offset < bytes.count else {
            if let open = containers.last {
                let bracket = open.isObject ? "{" : "["
                return fail("unexpected end of input: '\(bracket)' at \(open.position) is never closed")
            }
            return fail("unexpected end of input, expected \(what)")
        }
        return fail("expected \(what), found \(describeCharacter(at: offset))")
    }

    private func renderedPath() -> String {
        var rendered = ""
        for component in path {
            switch component {
            case .key(let key): rendered = JSON5Path.appending(rendered, key: key)
            case .index(let index): rendered = JSON5Path.appending(rendered, index: index)
            }
        }
        return rendered
    }

    /// The character at `index` as a message shows it: `'x'`, `"'"`, `a line break`, `U+0007`.
    private func describeCharacter(at index: Int) -> String {
        guard index < bytes.count else { return "end of input" }
        var iterator = bytes[index...].prefix(4).makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else {
            return "byte 0x" + String(bytes[index], radix: 16, uppercase: true)
        }
        if scalar == "\n" || scalar == "\r" { return "a line break" }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return "U+" + JSON5Grammar.hex4(scalar.value)
        default:
            return scalar == "'" ? "\"'\"" : "'\(scalar)'"
        }
    }

    private func abbreviated(_ word: String) -> String {
        word.count <= 40 ? word : String(word.prefix(40)) + "…"
    }

    // MARK: Bytes

    /// The byte `distance` past `offset`, or 0 past the end. Callers that care about a real NUL check the bounds.
    private func peek(_ distance: Int = 0) -> UInt8 {
        let index = offset + distance
        return index >= 0 && index < bytes.count ? bytes[index] : 0
    }
}

/// The character classes and digit values of JSON5's grammar. Kept in a namespace so they cannot
/// collide with helpers of the same name elsewhere in the module.
private enum JSON5Grammar {
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// `[A-Za-z_$]`: JSON5 allows any Unicode letter, this parser only ASCII (see the file header).
    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
    }

    static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isIdentifierStart(byte) || isDigit(byte)
    }

    static func hexDigitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// At least four uppercase hex digits: 7 → "0007".
    static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
