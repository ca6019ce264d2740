import Testing
@testable import HostwatchCore

/// A transcript keeps a hostile server's bytes visible but inert (issue 15, item 3).
@Suite struct TranscriptTests {
    @Test(arguments: [
        ("< 220 mx\u{0}.test\n", "< 220 mx\\x00.test\n"),
        ("< 503 Bad\u{1B}[31m\r\n", "< 503 Bad\\x1b[31m\r\n"),
        ("< a\rb\n", "< a\\x0db\n"),
        ("< title \u{1B}]0;pwned\u{7}\n", "< title \\x1b]0;pwned\\x07\n"),
        ("< c1 \u{9B}2J del \u{7F}\n", "< c1 \\x9b2J del \\x7f\n"),
        ("< tab\tand ünïcödé stay\n", "< tab\tand ünïcödé stay\n"),
    ])
    func recordedControlCharactersAreEscaped(recorded: String, expected: String) {
        #expect(Transcript(recorded: recorded).text == expected)
    }

    @Test func appendedLinesCannotStartALineOfTheirOwn() {
        var transcript = Transcript()
        transcript.append(.received, "250 ok\n> AUTH PLAIN forged")
        #expect(transcript.text == "< 250 ok\\x0a> AUTH PLAIN forged\n")
    }

    @Test func escapingCountsAgainstTheCap() {
        let transcript = Transcript(recorded: String(repeating: "\u{0}", count: 100) + "\n", limit: 64)
        // 100 NULs become 400 bytes of `\x00`; what is kept plus what is counted is all of it.
        #expect(transcript.text.utf8.count <= 64)
        #expect(transcript.text.utf8.count + transcript.droppedBytes == 401)
    }
}
