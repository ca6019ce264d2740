/// Config text for durations and sizes, parsed once at the edge (DESIGN.md §8).
///
/// Durations are `500ms`, `15s`, `5m`, `6h`, `2d` or combinations such as `1h30m`; sizes are a
/// number of bytes or a number with a unit (`64KiB`, `1MiB`, `1GB`).
public enum DurationText {
    /// Parses a duration such as `"1h30m"`; nil when the text is not one.
    public static func parse(_ text: String) -> Duration? {
        var total = Duration.zero
        var digits = ""
        var unit = ""
        var sawPart = false
        func flush() -> Bool {
            guard !digits.isEmpty, let value = Int64(digits), !unit.isEmpty else { return false }
            let part: Duration
            switch unit {
            case "ms": part = .milliseconds(value)
            case "s": part = .seconds(value)
            case "m": part = .seconds(value * 60)
            case "h": part = .seconds(value * 3600)
            case "d": part = .seconds(value * 86_400)
            default: return false
            }
            total += part
            digits = ""
            unit = ""
            sawPart = true
            return true
        }
        for ch in text {
            if ch.isASCII, ch.isNumber {
                if !unit.isEmpty { guard flush() else { return nil } }
                digits.append(ch)
                guard digits.count <= 9 else { return nil }
            } else if ch.isASCII, ch.isLetter {
                guard !digits.isEmpty else { return nil }
                unit.append(ch)
            } else {
                return nil
            }
        }
        guard flush(), sawPart else { return nil }
        return total
    }

    /// The compact text of a duration, the inverse of `parse` for whole units: `90s` → `1m30s`.
    public static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        if ms < 1000 { return "\(ms)ms" }
        var seconds = ms / 1000
        var text = ""
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds >= size {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        if seconds > 0 || text.isEmpty { text += "\(seconds)s" }
        return text
    }

    /// Parses a size: a plain number of bytes, or a number with B, KB, MB, GB, KiB, MiB, GiB.
    public static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let value = Int(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingSpaces
        let factors: [String: Int] = ["": 1, "B": 1, "KB": 1000, "MB": 1_000_000, "GB": 1_000_000_000,
                                      "KiB": 1024, "MiB": 1 << 20, "GiB": 1 << 30]
        guard let factor = factors[unit] else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole nanoseconds, rounded down (the grid arithmetic of `CheckSchedule`, the compact
    /// `CheckTiming`), held at Int64's bounds (about 292 years) instead of trapping.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow || overflowAgain ? (seconds < 0 ? .min : .max) : sum
    }

    /// Whole seconds, rounded down.
    public var wholeSeconds: Int64 { components.seconds }

    /// Seconds as a floating-point number, for arithmetic with `Date`.
    public var timeInterval: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    public var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}

/// A `Duration` kept as its whole nanoseconds (`Duration.nanoseconds`): 8 bytes instead of 16,
/// for the values held once per check by the ten thousand (`CheckTiming`, `CheckSchedule`).
@propertyWrapper
public struct Nanoseconds: Sendable, Hashable {
    private var nanoseconds: Int64

    public init(wrappedValue: Duration) {
        nanoseconds = wrappedValue.nanoseconds
    }

    public var wrappedValue: Duration {
        get { .nanoseconds(nanoseconds) }
        set { nanoseconds = newValue.nanoseconds }
    }
}
