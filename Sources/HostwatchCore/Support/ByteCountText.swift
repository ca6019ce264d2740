/// Sizes, rates and percentages for messages, without `String(format:)` or number formatters
/// (they would pull ICU into the binary).
public enum ByteCountText {
    /// `512 B`, `16.0 MiB`, `1.2 GiB`: binary units with one decimal, as `df -h` shows them.
    public static func format(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : "\(oneDecimal(value)) \(units[unit])"
    }

    /// `96.2%`.
    public static func percent(_ value: Double) -> String {
        "\(oneDecimal(value))%"
    }

    /// `12.5`, `0.0`; rounded half up, for non-negative values.
    public static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((max(0, value) * 10 + 0.5).rounded(.down))
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// A threshold as written: `95` rather than `95.0`, `99.5` as is.
    public static func threshold(_ value: Double) -> String {
        value == value.rounded(.down) && value < 1e15 ? String(Int(value)) : oneDecimal(value)
    }

    /// A rate per minute or per hour, whichever reads better: `50.0 MiB/min`, `1.2 GiB/h`.
    public static func rate(bytesPerSecond: Double) -> String {
        let perMinute = bytesPerSecond * 60
        if abs(perMinute) >= 1024 * 1024 { return "\(perMinute < 0 ? "-" : "")\(format(UInt64(abs(perMinute))))/min" }
        let perHour = bytesPerSecond * 3600
        return "\(perHour < 0 ? "-" : "")\(format(UInt64(abs(perHour))))/h"
    }
}
