extension CheckFailure {
    /// The failure with its numbers left out (`kind: message` with each run of digits as `#`):
    /// "timed out after 10000 ms" and "after 10001 ms" are the same problem. A step on a ticket,
    /// a rewrite of the status snapshot, is worth a different problem only (issue 16: the
    /// millisecond count in libcurl's words made every hung site's retry a ticket update).
    public var gist: String {
        var text = kind.rawValue + ": "
        var inDigits = false
        for character in message {
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
}
