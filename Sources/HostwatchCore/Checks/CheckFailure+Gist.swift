extension CheckFailure {
    /// The failure as the check words it, without the transport's own words in a closing
    /// parenthesis and with its numbers left out (`kind: message`, each run of digits as `#`):
    /// "no answer within 10s (Connection timed out after 10000 milliseconds)" and "… (Failed to
    /// connect … after 10001 ms: Timeout was reached)" are the same problem. A step on a ticket,
    /// a rewrite of the status snapshot, is worth a different problem only (issue 16: libcurl's
    /// varying words made every hung site's retry a ticket update).
    public var gist: String {
        var words = Substring(message)
        if let open = Self.closingParenthesis(of: words) { words = words[..<open] }
        var text = kind.rawValue + ": "
        var inDigits = false
        for character in words {
            if character.isASCII, character.isNumber {
                if !inDigits { text.append("#") }
                inDigits = true
            } else {
                text.append(character)
                inDigits = false
            }
        }
        return text
    }

    /// Where the balanced parenthesis that ends `text` opens (at the space before it), if any.
    private static func closingParenthesis(of text: Substring) -> Substring.Index? {
        guard text.last == ")" else { return nil }
        var depth = 0
        var index = text.endIndex
        while index > text.startIndex {
            index = text.index(before: index)
            switch text[index] {
            case ")": depth += 1
            case "(": depth -= 1
            default: break
            }
            if depth == 0 {
                guard index > text.startIndex else { return nil }
                let before = text.index(before: index)
                return text[before] == " " ? before : nil
            }
        }
        return nil
    }
}
