/// Shell-style patterns: `*` any run of characters, `?` one character, anything else itself,
/// compared without case (domain names and plan names are case-insensitive).
public enum Glob {
    public static func matches(_ text: String, _ pattern: String) -> Bool {
        let t = Array(text.lowercased().unicodeScalars), p = Array(pattern.lowercased().unicodeScalars)
        var ti = 0, pi = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                ti += 1
                pi += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
