import FoundationEssentials

/// The bytes of `uptime.bin` in the state folder: binary because a JSON number per day would
/// cost 20 MB for a year of 10,000 checks, and run-length coded because most days of most
/// checks read 100 % (a year of such a check is a few dozen bytes). Little-endian throughout:
///
///     "HWUPTIME" version:u8(1) count:u32
///     count × { id:len u16 + UTF-8
///               day:i32 dayUp:u32 dayObserved:u32 hour:i32 hourUp:u32 hourObserved:u32
///               lastAt:i64 ms (i64.min: none) lastOK:u8
///               hours:u8 × u16   runs:u16 × { length:u16 value:u16 } }
///
/// A later version adds fields behind a new version number; this reader refuses versions it
/// does not know, so an upgrade that cannot read the file says so and starts over rather than
/// misreading it.
extension UptimeHistory {
    static let magic = Array("HWUPTIME".utf8)
    static let version: UInt8 = 1

    /// Something that is not an uptime file this version can read.
    public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { "uptime history: \(message)" }
    }

    /// The history as the bytes of `uptime.bin`.
    public func encoded() -> [UInt8] {
        var out = Self.magic
        out.append(Self.version)
        out.append(le: UInt32(records.count))
        for (check, record) in records.sorted(by: { $0.key < $1.key }) {
            let name = Array(check.utf8.prefix(Int(UInt16.max)))
            out.append(le: UInt16(name.count))
            out += name
            out.append(le: UInt32(bitPattern: record.day))
            out.append(le: record.dayUp)
            out.append(le: record.dayObserved)
            out.append(le: UInt32(bitPattern: record.hour))
            out.append(le: record.hourUp)
            out.append(le: record.hourObserved)
            let millis = record.lastAt.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? .min
            out.append(le: UInt64(bitPattern: millis))
            out.append(record.lastOK ? 1 : 0)
            let hours = record.hours.suffix(Int(UInt8.max))
            out.append(UInt8(hours.count))
            for cell in hours { out.append(le: cell) }
            let runs = Self.runs(record.days.suffix(Self.daysKept))
            out.append(le: UInt16(runs.count))
            for run in runs {
                out.append(le: run.length)
                out.append(le: run.value)
            }
        }
        return out
    }

    /// Reads what `encoded()` wrote; throws on anything else (a truncated or foreign file).
    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var reader = ByteReader(bytes: bytes)
        guard try reader.take(Self.magic.count) == Self.magic else { throw DecodingError(message: "not an uptime file") }
        let version = try reader.u8()
        guard version == Self.version else { throw DecodingError(message: "version \(version) is not known to this build") }
        let count = try reader.u32()
        var records: [String: Record] = [:]
        for _ in 0..<count {
            let length = try reader.u16()
            guard let check = String(validating: try reader.take(Int(length)), as: UTF8.self) else {
                throw DecodingError(message: "a check name is not UTF-8")
            }
            var record = Record(hour: 0)
            record.day = Int32(bitPattern: try reader.u32())
            record.dayUp = try reader.u32()
            record.dayObserved = try reader.u32()
            record.hour = Int32(bitPattern: try reader.u32())
            record.hourUp = try reader.u32()
            record.hourObserved = try reader.u32()
            let millis = Int64(bitPattern: try reader.u64())
            record.lastAt = millis == .min ? nil : Date(timeIntervalSince1970: Double(millis) / 1000)
            record.lastOK = try reader.u8() != 0
            let hours = Int(try reader.u8())
            record.hours = []
            for _ in 0..<hours { record.hours.append(try reader.u16()) }
            let runs = Int(try reader.u16())
            var days: [UInt16] = []
            for _ in 0..<runs {
                let length = Int(try reader.u16())
                let value = try reader.u16()
                guard days.count + length <= Self.daysKept else { throw DecodingError(message: "\(check) has more days than kept") }
                days += repeatElement(value, count: length)
            }
            record.days = days
            records[check] = record
        }
        guard reader.isAtEnd else { throw DecodingError(message: "trailing bytes after \(count) records") }
        self.init(records: records)
    }

    static func runs(_ cells: ArraySlice<UInt16>) -> [(length: UInt16, value: UInt16)] {
        var runs: [(length: UInt16, value: UInt16)] = []
        for cell in cells {
            if let last = runs.last, last.value == cell, last.length < .max {
                runs[runs.count - 1].length += 1
            } else {
                runs.append((1, cell))
            }
        }
        return runs
    }
}

/// Reads little-endian fields from bytes, throwing at the end instead of trapping.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    var isAtEnd: Bool { offset == bytes.count }

    mutating func take(_ count: Int) throws(UptimeHistory.DecodingError) -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw .init(message: "truncated at byte \(offset)") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func u8() throws(UptimeHistory.DecodingError) -> UInt8 { try take(1)[0] }

    mutating func u16() throws(UptimeHistory.DecodingError) -> UInt16 { UInt16(truncatingIfNeeded: try little(2)) }

    mutating func u32() throws(UptimeHistory.DecodingError) -> UInt32 { UInt32(truncatingIfNeeded: try little(4)) }

    mutating func u64() throws(UptimeHistory.DecodingError) -> UInt64 { try little(8) }

    private mutating func little(_ count: Int) throws(UptimeHistory.DecodingError) -> UInt64 {
        try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension Array where Element == UInt8 {
    mutating func append<T: FixedWidthInteger>(le value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}
