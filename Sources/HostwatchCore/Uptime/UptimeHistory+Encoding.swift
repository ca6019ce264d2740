import FoundationEssentials

/// The bytes of `uptime.bin` in the state folder: binary because a JSON number per day would
/// cost 20 MB for a year of 10,000 checks. A cell is written as its *downtime* in basis points
/// (`10_000 - cell`; 10,001 for no data) in a LEB128 varint, so a day above 99.36 % takes one
/// byte, and runs of equal cells are joined (a year at 100 % is three bytes). Little-endian:
///
///     "HWUPTIME" version:u8(1) count:u32
///     count × { id:len u16 + UTF-8
///               day:i32 dayUp:u32 dayObserved:u32 hour:i32 hourUp:u32 hourObserved:u32
///               lastAt:i64 ms (i64.min: none) lastOK:u8
///               hours:cells  days:cells }
///     cells = tokens:u16 × { varint(down << 1 | joined) [varint(length) when joined] }
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
        // In the order of the checks' descriptions (`CheckID`'s order), as when they were the keys.
        for (check, record) in records.sorted(by: { $0.key < $1.key }) {
            let name = Array(check.description.utf8.prefix(Int(UInt16.max)))
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
            Self.appendRuns(of: record.closedHours, last: Self.hoursKept, to: &out)
            Self.appendRuns(of: record.closedDays, last: Self.daysKept, to: &out)
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
        var records: [CheckID: Record] = [:]
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
            record.closedHours = try Self.readRuns(&reader, limit: Self.hoursKept, check: check)
            record.closedDays = try Self.readRuns(&reader, limit: Self.daysKept, check: check)
            // Every name was a check's description; one that names no check is left out.
            if let id = CheckID(description: check) { records[id] = record }
        }
        guard reader.isAtEnd else { throw DecodingError(message: "trailing bytes after \(count) records") }
        self.init(records: records)
    }

    /// The last `count` of `cells` as runs of equal ones (neighbours with one value, which
    /// `FoldedCells` keeps apart only past 32,766 repeats, are written as one run).
    static func appendRuns(of cells: FoldedCells, last count: Int, to out: inout [UInt8]) {
        var runs: [(length: Int, value: UInt16)] = []
        cells.forEachRun(ofLast: count) { value, length in
            if let last = runs.last, last.value == value {
                runs[runs.count - 1].length += length
            } else {
                runs.append((length, value))
            }
        }
        out.append(le: UInt16(runs.count))
        for run in runs {
            let down = UInt64(run.value == noData ? 10_001 : 10_000 - Int(min(run.value, 10_000)))
            out.appendVarint(down << 1 | (run.length > 1 ? 1 : 0))
            if run.length > 1 { out.appendVarint(UInt64(run.length)) }
        }
    }

    static func readRuns(_ reader: inout ByteReader, limit: Int, check: String) throws(DecodingError) -> FoldedCells {
        let tokens = Int(try reader.u16())
        var runs = FoldedCells()
        for _ in 0..<tokens {
            let token = try reader.varint()
            let down = token >> 1
            let length = token & 1 == 1 ? try reader.varint() : 1
            guard down <= 10_001 else { throw DecodingError(message: "\(check) has a cell out of range") }
            guard length <= UInt64(limit - runs.count) else { throw DecodingError(message: "\(check) has more cells than kept") }
            runs.append(down == 10_001 ? noData : UInt16(10_000 - down), times: Int(length))
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

    /// An unsigned LEB128 number of at most 9 bytes.
    mutating func varint() throws(UptimeHistory.DecodingError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 63, by: 7) {
            let byte = try u8()
            value |= UInt64(byte & 0x7f) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw .init(message: "a number runs on at byte \(offset)")
    }

    private mutating func little(_ count: Int) throws(UptimeHistory.DecodingError) -> UInt64 {
        try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension Array where Element == UInt8 {
    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        append(UInt8(v))
    }

    mutating func append<T: FixedWidthInteger>(le value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }
}
