/// Reads typed values out of one JSON5 object, collecting every problem with its position and
/// key path instead of stopping at the first. Call `finish()` when done: every key not taken
/// is reported as unknown, so a typo never silently disables a check.
public struct ConfigReader {
    /// Where problems go; shared by all readers of one load.
    public final class Problems {
        public private(set) var errors: [ConfigError] = []
        public init() {}
        public func add(_ error: ConfigError) { errors.append(error) }
        public var hasErrors: Bool { errors.contains { !$0.isNotice } }
    }

    public let file: String
    public let path: String
    public let position: SourcePosition
    let members: [JSON5Member]
    let problems: Problems
    private var taken: Set<String> = []

    /// A reader over `node`, or nil (with a problem reported) when it is not an object.
    public init?(_ node: JSON5Node, path: String, file: String, problems: Problems) {
        guard case .object(let members) = node.value else {
            problems.add(ConfigError(file: file, position: node.position, path: path,
                                     message: "expected an object, found \(Self.describe(node))"))
            return nil
        }
        self.file = file
        self.path = path
        self.position = node.position
        self.members = members
        self.problems = problems
    }

    /// `"ok"` for strings, else the kind (`an object`, `a number` …), for messages.
    public static func describe(_ node: JSON5Node) -> String {
        switch node.value {
        case .string(let s): return "\"\(s.count > 60 ? String(s.prefix(60)) + "…" : s)\""
        case .number(let n): return n.literal
        default: return node.value.kindName
        }
    }

    /// The key path of a member of this object.
    public func path(of key: String) -> String { JSON5Path.appending(path, key: key) }

    /// Reports a problem at a node.
    public func report(_ node: JSON5Node, path: String, _ message: String) {
        problems.add(ConfigError(file: file, position: node.position, path: path, message: message))
    }

    /// Reports a problem at this object itself (a missing required key).
    public func reportHere(_ message: String) {
        problems.add(ConfigError(file: file, position: position, path: path, message: message))
    }

    /// True when the key is present.
    public func has(_ key: String) -> Bool { members.contains { $0.key == key } }

    /// Takes a member's node, marking the key as known.
    public mutating func take(_ key: String) -> JSON5Node? {
        taken.insert(key)
        return members.first { $0.key == key }?.value
    }

    private mutating func required(_ key: String, _ isRequired: Bool) -> JSON5Node? {
        let node = take(key)
        if node == nil, isRequired { reportHere("missing required key \"\(key)\"") }
        return node
    }

    public mutating func string(_ key: String, required isRequired: Bool = false) -> String? {
        guard let node = required(key, isRequired) else { return nil }
        return stringValue(node, path: path(of: key))
    }

    public func stringValue(_ node: JSON5Node, path: String) -> String? {
        guard case .string(let s) = node.value else {
            report(node, path: path, "expected a string, found \(Self.describe(node))")
            return nil
        }
        return s
    }

    public mutating func int(_ key: String, in range: ClosedRange<Int>, required isRequired: Bool = false) -> Int? {
        guard let node = required(key, isRequired) else { return nil }
        return intValue(node, path: path(of: key), in: range)
    }

    public func intValue(_ node: JSON5Node, path: String, in range: ClosedRange<Int>) -> Int? {
        guard case .number(let n) = node.value else {
            report(node, path: path, "expected a number, found \(Self.describe(node))")
            return nil
        }
        guard let value = n.integer else {
            report(node, path: path, "expected a whole number, found \(n.literal)")
            return nil
        }
        guard range.contains(value) else {
            report(node, path: path, "\(n.literal) is out of range (\(range.lowerBound)…\(range.upperBound))")
            return nil
        }
        return value
    }

    public mutating func bool(_ key: String) -> Bool? {
        guard let node = take(key) else { return nil }
        guard case .bool(let b) = node.value else {
            report(node, path: path(of: key), "expected true or false, found \(Self.describe(node))")
            return nil
        }
        return b
    }

    /// A duration such as `"15s"`; a bare number is an error (is 15 seconds or minutes?).
    public mutating func duration(_ key: String, minimum: Duration = .milliseconds(1)) -> Duration? {
        guard let node = take(key) else { return nil }
        let keyPath = path(of: key)
        guard case .string(let text) = node.value else {
            report(node, path: keyPath, "expected a duration such as \"15s\", found \(Self.describe(node))")
            return nil
        }
        guard let value = DurationText.parse(text) else {
            report(node, path: keyPath, "\"\(text)\" is not a duration (use ms, s, m, h, d: \"500ms\", \"15s\", \"1h30m\")")
            return nil
        }
        guard value >= minimum else {
            report(node, path: keyPath, "\"\(text)\" is shorter than the minimum \(DurationText.format(minimum))")
            return nil
        }
        return value
    }

    /// A size: a number of bytes or a string with a unit (`"64KiB"`).
    public mutating func size(_ key: String) -> Int? {
        guard let node = take(key) else { return nil }
        switch node.value {
        case .number(let n) where n.integer.map { $0 >= 0 } ?? false:
            return n.integer
        case .string(let text):
            if let size = DurationText.parseSize(text) { return size }
            report(node, path: path(of: key), "\"\(text)\" is not a size (a number of bytes, or with KB, MB, GB, KiB, MiB, GiB)")
        default:
            report(node, path: path(of: key), "expected a size such as \"64KiB\", found \(Self.describe(node))")
        }
        return nil
    }

    /// A percentage: a plain number from 0 to 100, decimals allowed (`99.5`).
    public mutating func percent(_ key: String) -> Double? {
        guard let node = take(key) else { return nil }
        guard case .number(let n) = node.value, n.double.isFinite else {
            report(node, path: path(of: key), "expected a percentage such as 90, found \(Self.describe(node))")
            return nil
        }
        guard n.double >= 0, n.double <= 100 else {
            report(node, path: path(of: key), "\(n.literal) is out of range (0…100)")
            return nil
        }
        return n.double
    }

    /// A list of strings.
    public mutating func strings(_ key: String) -> [String]? {
        guard let node = take(key) else { return nil }
        return list(node, path: path(of: key)) { stringValue($0, path: $1) }
    }

    /// A list of whole numbers in `range`.
    public mutating func ints(_ key: String, in range: ClosedRange<Int>) -> [Int]? {
        guard let node = take(key) else { return nil }
        return list(node, path: path(of: key)) { intValue($0, path: $1, in: range) }
    }

    /// Each element of a list through `read`; nil (reported) when the node is not a list.
    public func list<T>(_ node: JSON5Node, path: String, _ read: (JSON5Node, String) -> T?) -> [T]? {
        guard case .array(let items) = node.value else {
            report(node, path: path, "expected a list, found \(Self.describe(node))")
            return nil
        }
        var values: [T] = []
        var failed = false
        for (i, item) in items.enumerated() {
            if let value = read(item, JSON5Path.appending(path, index: i)) { values.append(value) } else { failed = true }
        }
        return failed ? nil : values
    }

    /// A nested object.
    public mutating func object(_ key: String, required isRequired: Bool = false) -> ConfigReader? {
        guard let node = required(key, isRequired) else { return nil }
        return ConfigReader(node, path: path(of: key), file: file, problems: problems)
    }

    /// One object or a list of objects; the index is nil for a single object.
    public mutating func objects(_ key: String) -> [(reader: ConfigReader, index: Int?)] {
        guard let node = take(key) else { return [] }
        let keyPath = path(of: key)
        if case .array(let items) = node.value {
            return items.enumerated().compactMap { i, item in
                ConfigReader(item, path: JSON5Path.appending(keyPath, index: i), file: file, problems: problems).map { ($0, i) }
            }
        }
        return ConfigReader(node, path: keyPath, file: file, problems: problems).map { [($0, nil)] } ?? []
    }

    /// Reports every key that was not taken, suggesting the closest known one.
    public func finish(known: [String] = []) {
        let allKnown = Array(taken) + known
        for member in members where !taken.contains(member.key) {
            var message = "unknown key \"\(member.key)\""
            if let guess = Self.closest(to: member.key, in: allKnown) { message += "; did you mean \"\(guess)\"?" }
            problems.add(ConfigError(file: file, position: member.keyPosition, path: path(of: member.key), message: message))
        }
    }

    static func closest(to key: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= max(2, key.count / 3) }
        return scored.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : (b.isEmpty ? a.count : previous[b.count])
    }
}
