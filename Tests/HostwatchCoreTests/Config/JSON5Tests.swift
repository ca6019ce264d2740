import Testing
@testable import HostwatchCore

@Suite struct JSON5Tests {
    // MARK: - Values

    @Test func parsesEveryKindOfValue() throws {
        let root = try Self.parseCleanly(#"{ s: "x", n: 1.5, t: true, f: false, z: null, a: [1, "two"], o: {} }"#)
        #expect(Self.canonical(root) == #"{s:"x",n:1.5,t:true,f:false,z:null,a:[1,"two"],o:{}}"#)
    }

    @Test(arguments: [
        // comments
        ("// leading\n[1]", "[1]"),
        ("[1 // trailing\n]", "[1]"),
        ("/* before */ [/* inside */ 1 /* after */] /* end */", "[1]"),
        ("[1, /* multi\n line\n comment */ 2]", "[1,2]"),
        ("[1 /* a * / not the end */]", "[1]"),
        ("// only a comment before the value\n// and another\n42", "42"),
        ("[1]// no newline at the end", "[1]"),
        // keys
        ("{unquoted: 1, $dollar: 2, _under_score9: 3}", "{unquoted:1,$dollar:2,_under_score9:3}"),
        (#"{"double": 1, 'single': 2}"#, "{double:1,single:2}"),
        ("{null: 1, true: 2, Infinity: 3}", "{null:1,true:2,Infinity:3}"),
        (#"{"a\u0062": 1, "": 2, "X-A": 3}"#, #"{ab:1,[""]:2,["X-A"]:3}"#),
        // trailing commas
        ("[1, 2, ]", "[1,2]"),
        ("{a: 1, }", "{a:1}"),
        ("[[], {}, [{}],]", "[[],{},[{}]]"),
        ("[ ]", "[]"),
        ("{ }", "{}"),
        // strings
        (#"'single "quoted"'"#, #""single \"quoted\"""#),
        (#""double 'quoted'""#, #""double 'quoted'""#),
        // whitespace: tab, vertical tab, form feed, NBSP, U+2028, U+2029, a BOM mid-text, U+3000
        ("\t\u{0B}\u{0C}\u{A0}[\u{2028}1,\u{2029}2\u{FEFF}]\u{3000}", "[1,2]"),
        // scalars at the root
        ("true", "true"),
        ("null", "null"),
        ("  'x'  ", #""x""#),
    ])
    func acceptsJSON5Syntax(input: String, expected: String) throws {
        #expect(Self.canonical(try Self.parseCleanly(input)) == expected)
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#"'\'\"\\\/'"#, #"'"\/"#),
        (#""\b\f\n\r\t\v""#, "\u{08}\u{0C}\n\r\t\u{0B}"),
        (#""a\0b""#, "a\u{0}b"),
        (#""\x41\xe9""#, "Aé"),
        (#""\u0041\u00e9\u4E2D""#, "Aé中"),
        (#""\uD83D\uDE00 surrogate pair""#, "😀 surrogate pair"),
        ("\"line \\\ncontinued\"", "line continued"),
        ("\"crlf \\\r\ncontinued\"", "crlf continued"),
        ("\"cr \\\rcontinued\"", "cr continued"),
        ("\"ls \\\u{2028}continued\"", "ls continued"),
        ("\"raw \u{2028} and \u{2029} separators\"", "raw \u{2028} and \u{2029} separators"),
        ("\"tab\tinside\"", "tab\tinside"),
        (#""ünïcödé 👍🏽""#, "ünïcödé 👍🏽"),
        (#""\\[example #(\\d+)\\]""#, #"\[example #(\d+)\]"#),
    ])
    func decodesStrings(input: String, expected: String) throws {
        let root = try Self.parseCleanly(input)
        guard case .string(let string) = root.value else {
            Issue.record("expected a string, got \(root.value.kindName)")
            return
        }
        #expect(string == expected)
    }

    @Test(arguments: [
        ("0", 0.0),
        ("-0", -0.0),
        ("1", 1.0),
        ("-12", -12.0),
        ("+7", 7.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("-.5", -0.5),
        ("+.25", 0.25),
        ("1e3", 1000.0),
        ("1E-3", 0.001),
        ("+1.e2", 100.0),
        ("2.5e+1", 25.0),
        ("0x1F", 31.0),
        ("0XaB", 171.0),
        ("-0x10", -16.0),
        ("+0x10", 16.0),
        ("0x20000000000001", 9_007_199_254_740_993.0),
        ("Infinity", Double.infinity),
        ("+Infinity", Double.infinity),
        ("-Infinity", -Double.infinity),
        ("1e999", Double.infinity),
    ])
    func readsNumbersAndKeepsTheirText(literal: String, expected: Double) throws {
        let number = try Self.number(in: "[\(literal)]")
        #expect(number.double == expected)
        #expect(number.literal == literal)
    }

    @Test(arguments: ["NaN", "+NaN", "-NaN"])
    func readsNaNWithAnySign(literal: String) throws {
        let number = try Self.number(in: literal)
        #expect(number.double.isNaN)
        #expect(number.literal == literal)
        #expect(number == number)
    }

    @Test(arguments: [
        ("1e3", 1000 as Int?),
        ("0x10", 16),
        ("-0x10", -16),
        ("1.5", nil),
        ("NaN", nil),
        ("Infinity", nil),
        ("-Infinity", nil),
        ("0", 0),
        ("-0", 0),
        ("1.0", 1),
        ("5.", 5),
        ("2.5e1", 25),
        ("-1e-3", nil),
        ("9007199254740993", 9_007_199_254_740_993),
        ("0x20000000000001", 9_007_199_254_740_993),
        ("9223372036854775807", Int.max),
        ("-9223372036854775808", Int.min),
        ("9223372036854775808", nil),
        ("0x7FFFFFFFFFFFFFFF", Int.max),
        ("-0x8000000000000000", Int.min),
        ("0xFFFFFFFFFFFFFFFF", nil),
        ("1e19", nil),
        ("-9.223372036854775808e18", Int.min),
    ])
    func integerIsSetOnlyForIntegralValuesInRange(literal: String, expected: Int?) throws {
        #expect(try Self.number(in: literal).integer == expected)
    }

    @Test(arguments: [
        ("{}", "an object"),
        ("[]", "an array"),
        ("'x'", "a string"),
        ("1", "a number"),
        ("NaN", "a number"),
        ("true", "a boolean"),
        ("false", "a boolean"),
        ("null", "null"),
    ])
    func namesEachKindWithItsArticle(input: String, kindName: String) throws {
        #expect(try Self.parseCleanly(input).value.kindName == kindName)
    }

    @Test func aLargeDocumentParsesCompletely() throws {
        var text = "{ entries: [\n"
        var count = 0
        while text.utf8.count < 1_000_000 {
            text += "  { name: \"host\(count)\", 'port': \(count % 65_536), ratio: .5e-3, hex: 0xFF, "
            text += "/* c */ ok: true }, // n\n"
            count += 1
        }
        text += "] }"
        let root = try Self.parseCleanly(text)
        let entries = try #require(Self.member(root, "entries"))
        guard case .array(let elements) = entries.value else {
            Issue.record("entries is \(entries.value.kindName)")
            return
        }
        #expect(elements.count == count)
        #expect(elements.last?.position == SourcePosition(line: count + 1, column: 3))
    }

    // MARK: - Positions

    @Test(arguments: ["\n", "\r\n", "\r"])
    func positionsCountLinesAndColumnsAfterComments(lineBreak: String) throws {
        let text = [
            "// header comment",
            "{",
            "  /* block",
            "     comment */ web: {",
            "    port: 8080,  // trailing",
            #"    "expect": [200, 301],"#,
            "  },",
            "}",
        ].joined(separator: lineBreak)
        let root = try Self.parseCleanly(text)
        #expect(root.position == SourcePosition(line: 2, column: 1))

        let web = try #require(Self.members(root).first)
        #expect(web.key == "web")
        #expect(web.keyPosition == SourcePosition(line: 4, column: 17))
        #expect(web.value.position == SourcePosition(line: 4, column: 22))

        let port = try #require(Self.members(web.value).first { $0.key == "port" })
        #expect(port.keyPosition == SourcePosition(line: 5, column: 5))
        #expect(port.value.position == SourcePosition(line: 5, column: 11))

        let expect = try #require(Self.members(web.value).first { $0.key == "expect" })
        #expect(expect.keyPosition == SourcePosition(line: 6, column: 5))
        #expect(expect.value.position == SourcePosition(line: 6, column: 15))
        guard case .array(let codes) = expect.value.value else {
            Issue.record("expect is \(expect.value.value.kindName)")
            return
        }
        #expect(codes.map(\.position) == [SourcePosition(line: 6, column: 16), SourcePosition(line: 6, column: 21)])
    }

    @Test func columnsCountUnicodeScalarsNotBytesOrCharacters() throws {
        // "👍🏽" is one Character but two scalars; "é" is two bytes but one scalar.
        let root = try Self.parseCleanly(#"{"é": "👍🏽", x: 1}"#)
        let x = try #require(Self.members(root).last)
        #expect(x.keyPosition == SourcePosition(line: 1, column: 13))
        #expect(x.value.position == SourcePosition(line: 1, column: 16))
    }

    @Test func aLeadingByteOrderMarkIsNotAColumn() throws {
        let root = try Self.parseCleanly("\u{FEFF}{a: 1}")
        #expect(root.position == SourcePosition(line: 1, column: 1))
        #expect(Self.members(root).first?.keyPosition == SourcePosition(line: 1, column: 2))
    }

    @Test func lineContinuationsInStringsMoveToTheNextLine() throws {
        let root = try Self.parseCleanly("[\"a\\\r\nb\", 2]")
        guard case .array(let elements) = root.value else {
            Issue.record("root is \(root.value.kindName)")
            return
        }
        #expect(elements.map(\.position) == [SourcePosition(line: 1, column: 2), SourcePosition(line: 2, column: 5)])
    }

    // MARK: - Duplicate keys

    @Test func duplicateKeysAreReportedAtTheRepeatAndTheFirstIsKept() throws {
        let text = """
            {
              smtp: [
                { port: 25, tls: "off", port: 26 },
              ],
              smtp: [],
            }
            """
        let document = JSON5Document.parse(text)
        #expect(document.diagnostics == [
            JSON5Diagnostic(position: SourcePosition(line: 3, column: 29), path: "smtp[0].port",
                            message: #"duplicate key "port" (first at 3:7)"#),
            JSON5Diagnostic(position: SourcePosition(line: 5, column: 3), path: "smtp",
                            message: #"duplicate key "smtp" (first at 2:3)"#),
        ])
        let root = try #require(document.root)
        #expect(Self.canonical(root) == #"{smtp:[{port:25,tls:"off"}]}"#)
    }

    @Test func aSyntaxErrorAfterADuplicateKeepsBothDiagnosticsInOrder() {
        let document = JSON5Document.parse("{a: 1, a: 2, b: }")
        #expect(document.root == nil)
        #expect(document.diagnostics.map(\.description) == [
            #"1:8: a: duplicate key "a" (first at 1:2)"#,
            "1:17: b: expected a value, found '}'",
        ])
    }

    // MARK: - Syntax errors

    @Test(arguments: [
        ("{a:1 x}", "1:6", "", "expected ',' or '}' after object member, found 'x'"),
        ("[1 2]", "1:4", "", "expected ',' or ']' after array element, found '2'"),
        ("{\n  a: 1,\n  b: 2\n  c: 3\n}", "4:3", "", "expected ',' or '}' after object member, found 'c'"),
        ("[\r\n1,\r\n?]", "3:1", "[1]", "expected a value, found '?'"),
        ("]", "1:1", "", "expected a value, found ']'"),
        ("[1,,2]", "1:4", "[1]", "expected a value, found ','"),
        ("{,}", "1:2", "", "expected a key or '}', found ','"),
        ("{1: 2}", "1:2", "", "expected a key or '}', found '1'"),
        ("{a 1}", "1:4", "", #"expected ':' after key "a", found '1'"#),
        ("{a = 1}", "1:4", "", #"expected ':' after key "a", found '='"#),
        ("{web: {port: [1, x]}}", "1:18", "web.port[1]", "expected a value, found 'x'"),
        ("{a: undefined}", "1:5", "a", "found 'undefined'"),
        ("yes", "1:1", "", "expected a value, found 'yes'"),
        ("{} x", "1:4", "", "expected end of input after the root value, found 'x'"),
        ("{a:1}}", "1:6", "", "found '}'"),
        ("[1] / 2", "1:5", "", "found '/'"),
        ("", "1:1", "", "unexpected end of input"),
        ("   // nothing but a comment", "1:28", "", "unexpected end of input"),
        ("{", "1:2", "", "unexpected end of input: '{' at 1:1 is never closed"),
        ("{\n  a: [1,\n", "3:1", "a[1]", "unexpected end of input: '[' at 2:6 is never closed"),
        (#""abc"#, "1:1", "", "unterminated string"),
        ("{a: \"abc\n}", "1:5", "a", "unterminated string"),
        ("'it\\'s", "1:1", "", "unterminated string"),
        ("/* open", "1:1", "", "unterminated block comment"),
        ("[1,\n  /* open", "2:3", "", "unterminated block comment"),
        (#""a\qb""#, "1:3", "", #"invalid escape \q"#),
        (#""(\d+)""#, "1:3", "", #"invalid escape \d (write \\ for a backslash)"#),
        (#""\x4""#, "1:2", "", #"invalid escape \x"#),
        (#""\u12""#, "1:2", "", #"invalid escape \u"#),
        (#""\1""#, "1:2", "", "octal escapes are not allowed"),
        (#""\01""#, "1:2", "", "octal escapes are not allowed"),
        (#"{k: "\uD800"}"#, "1:6", "k", "high surrogate"),
        (#""ok \uDC00""#, "1:5", "", "low surrogate"),
        ("01", "1:1", "", "leading zeros are not allowed"),
        ("-007", "1:2", "", "leading zeros are not allowed"),
        ("1a", "1:2", "", "unexpected 'a' after number 1"),
        ("0x1G", "1:4", "", "unexpected 'G' after number 0x1"),
        ("1.5.2", "1:4", "", "unexpected '.' after number 1.5"),
        ("0x", "1:3", "", "hex digit after '0x'"),
        ("[0xG]", "1:4", "[0]", "expected a hex digit after '0x', found 'G'"),
        ("1e", "1:3", "", "digit in the exponent"),
        ("1e+x", "1:4", "", "expected a digit in the exponent, found 'x'"),
        ("-", "1:2", "", "a number after '-'"),
        ("--1", "1:2", "", "expected a number after '-', found '-'"),
        ("+Inf", "1:2", "", "expected a number after '+', found 'Inf'"),
        (".", "1:2", "", "a digit after '.'"),
        ("\u{1}", "1:1", "", "found U+0001"),
        ("[é]", "1:2", "[0]", "found 'é'"),
        ("{ключ: 1}", "1:2", "", "expected a key or '}', found 'к'"),
    ])
    func syntaxErrorsPointAtTheOffendingCharacter(input: String, position: String, path: String, message: String) {
        let document = JSON5Document.parse(input)
        #expect(document.root == nil)
        #expect(document.diagnostics.count == 1)
        let diagnostic = document.diagnostics.last
        #expect(diagnostic?.position.description == position)
        #expect(diagnostic?.path == path)
        #expect(diagnostic?.message.contains(message) == true, "message was: \(diagnostic?.message ?? "none")")
    }

    // MARK: - Malformed input

    /// A valid document shaped like the agent file, ending at its closing brace so that every
    /// shorter prefix is invalid.
    static let sampleDocument = #"""
        // hostwatch.json5 — the agent file
        {
          server: { name: "web01", address: "203.0.113.10" },
          state_dir: '/var/lib/hostwatch',
          defaults: { interval: "60s", failures: 3, ratio: .5, big: 0x7F, neg: -1e-3, inf: +Infinity },
          /* evidence by check kind */
          evidence: {
            web:  { files: ["/var/log/nginx/error.log"], lines: 50,
                    commands: [["systemctl", "status", "nginx", "--no-pager"],], },
          },
          tickets: { deliver: [
            { type: "email", to: ["support@example.net"], helpdesk_tag: "\\[example #(\\d+)\\]",
              note: 'caf\u00e9 \uD83D\uDE00 \x41 line \
        continued', },
          ] },
          "quoted-key": null, flags: [true, false, NaN],
        }
        """#

    /// Cut points from a fixed linear congruential sequence: random-looking, the same on every run.
    static let truncations: [String] = {
        let scalars = Array(sampleDocument.unicodeScalars)
        var state: UInt64 = 0x5EED
        return (0..<40).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var truncated = String.UnicodeScalarView()
            truncated.append(contentsOf: scalars[..<Int((state >> 33) % UInt64(scalars.count))])
            return String(truncated)
        }
    }()

    static let malformedInputs: [String] = truncations + [
        String(repeating: "[", count: 10_000),
        String(repeating: "{a:", count: 10_000),
        String(repeating: "[{\"k\":", count: 10_000),
        String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000),
        String(repeating: "[", count: 201) + String(repeating: "]", count: 201),
        #""\uD800""#,
        #""\uDC00""#,
        #""\uD800\u0041""#,
        #""\uD800\uD800""#,
        #""\uDBFF"#,
        #""\uD8"#,
        #""\"#,
        String(decoding: [0xFF, 0xFE, 0x00, 0x80, 0xC3], as: UTF8.self),
        String(decoding: [0x7B, 0x61, 0x3A, 0xC0, 0xAF, 0x7D], as: UTF8.self),
        "\u{0}",
        "{\u{0}}",
        "[\"\u{0}",
        "\u{FEFF}",
        "\u{FEFF}\u{FEFF}x",
        "{'",
        "[-",
        "[+.",
        "{a:1,,}",
        "{a:[}]}",
        "/",
        "/*/",
        "*/",
        "\\",
        "\"" + String(repeating: "x", count: 100_000),
        String(repeating: "1", count: 10_000) + "x",
    ]

    @Test(arguments: malformedInputs)
    func malformedInputIsReportedWithoutCrashing(input: String) throws {
        let document = JSON5Document.parse(input)
        #expect(document.root == nil)
        let diagnostic = try #require(document.diagnostics.last)
        #expect(diagnostic.position.line >= 1 && diagnostic.position.column >= 1)
        #expect(!diagnostic.message.isEmpty && diagnostic.message.count < 1_000)
    }

    @Test func theSampleDocumentIsValid() throws {
        let root = try Self.parseCleanly(Self.sampleDocument)
        let tickets = try #require(Self.member(root, "tickets"))
        let deliver = try #require(Self.member(tickets, "deliver"))
        guard case .array(let sinks) = deliver.value, let email = sinks.first else {
            Issue.record("deliver is \(deliver.value.kindName)")
            return
        }
        guard case .string(let note)? = Self.member(email, "note")?.value else {
            Issue.record("note is missing or not a string")
            return
        }
        #expect(note == "café 😀 A line continued")
    }

    @Test func everyTruncationOfAValidDocumentIsReported() {
        let scalars = Array(Self.sampleDocument.unicodeScalars)
        for length in 0..<scalars.count {
            var prefix = String.UnicodeScalarView()
            prefix.append(contentsOf: scalars[..<length])
            let document = JSON5Document.parse(String(prefix))
            #expect(document.root == nil && !document.diagnostics.isEmpty, "prefix of \(length) scalars")
        }
    }

    @Test func nestingIsCappedAt200Levels() throws {
        let deepest = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        _ = try Self.parseCleanly(deepest)

        let document = JSON5Document.parse(String(repeating: "[", count: 10_000))
        #expect(document.root == nil)
        #expect(document.diagnostics.count == 1)
        #expect(document.diagnostics.first?.position == SourcePosition(line: 1, column: 201))
        #expect(document.diagnostics.first?.message == "nesting is deeper than 200 levels")
    }

    // MARK: - Paths and descriptions

    @Test(arguments: [
        ("", "web", "web"),
        ("web", "port", "web.port"),
        ("smtp[0]", "port", "smtp[0].port"),
        ("a", "_x$1", "a._x$1"),
        ("headers", "X-A", #"headers["X-A"]"#),
        ("", "X-A", #"["X-A"]"#),
        ("a", "", #"a[""]"#),
        ("a", "1x", #"a["1x"]"#),
        ("a", "é", #"a["é"]"#),
        ("a", #"say "hi"\"#, #"a["say \"hi\"\\"]"#),
    ])
    func pathAppendsKeysQuotingThoseThatAreNotIdentifiers(path: String, key: String, expected: String) {
        #expect(JSON5Path.appending(path, key: key) == expected)
    }

    @Test(arguments: [
        ("web", 1, "web[1]"),
        ("", 0, "[0]"),
        ("web.expect_status", 12, "web.expect_status[12]"),
        (#"headers["X-A"]"#, 2, #"headers["X-A"][2]"#),
    ])
    func pathAppendsIndexesInBrackets(path: String, index: Int, expected: String) {
        #expect(JSON5Path.appending(path, index: index) == expected)
    }

    @Test func descriptionsReadLikeCompilerMessages() {
        #expect(SourcePosition(line: 3, column: 5).description == "3:5")
        let atKey = JSON5Diagnostic(position: SourcePosition(line: 7, column: 13), path: "smtp[1].port",
                                    message: "oops")
        #expect(atKey.description == "7:13: smtp[1].port: oops")
        let atRoot = JSON5Diagnostic(position: SourcePosition(line: 1, column: 1), path: "", message: "oops")
        #expect(atRoot.description == "1:1: oops")
    }

    // MARK: - Helpers

    /// Parses text that must be valid and free of diagnostics.
    private static func parseCleanly(_ text: String) throws -> JSON5Node {
        let document = JSON5Document.parse(text)
        #expect(document.diagnostics.isEmpty, "\(document.diagnostics)")
        return try #require(document.root)
    }

    private static func number(in text: String) throws -> JSON5Number {
        var node = try parseCleanly(text)
        if case .array(let elements) = node.value, let first = elements.first { node = first }
        guard case .number(let number) = node.value else {
            throw ParseTestFailure(message: "expected a number, got \(node.value.kindName)")
        }
        return number
    }

    private static func members(_ node: JSON5Node) -> [JSON5Member] {
        if case .object(let members) = node.value { return members }
        return []
    }

    private static func member(_ node: JSON5Node, _ key: String) -> JSON5Node? {
        members(node).first { $0.key == key }?.value
    }

    /// A compact rendering for comparisons: identifier keys bare, others like paths, numbers as written.
    private static func canonical(_ node: JSON5Node) -> String {
        switch node.value {
        case .object(let members):
            let rendered = members.map { JSON5Path.appending("", key: $0.key) + ":" + canonical($0.value) }
            return "{" + rendered.joined(separator: ",") + "}"
        case .array(let elements):
            return "[" + elements.map(canonical).joined(separator: ",") + "]"
        case .string(let string):
            return JSON5Path.quoted(string)
        case .number(let number):
            return number.literal
        case .bool(let bool):
            return bool ? "true" : "false"
        case .null:
            return "null"
        }
    }

    private struct ParseTestFailure: Error {
        var message: String
    }
}
