import Testing
@testable import HostwatchCore

/// Random and mutated messages through the decoder: each ends in a message or a `DNSWireError`,
/// never a trap, and whatever decodes survives re-encoding. Seeded, so a failure reproduces;
/// the time limit turns a hang into a failure instead of a stuck CI job.
@Suite(.timeLimit(.minutes(1))) struct DNSWireFuzzTests {
    /// SplitMix64: small, seedable, good enough to spray bytes.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    /// A reply with every record type and plenty of compression, to mutate.
    static func seedMessage() throws -> [UInt8] {
        let zone = try DNSName("example.org")
        var message = DNSMessage(id: 0x4242, questions: [.init(name: zone, type: DNSRecordType(rawValue: 255))])
        message.flags.isResponse = true
        message.flags.authoritative = true
        message.answers = [
            DNSRecord(name: zone, data: .soa(DNSSOA(primary: try DNSName("ns1.example.org"), responsible: try DNSName("hostmaster.example.org"), serial: 7))),
            DNSRecord(name: zone, data: .ns(try DNSName("ns1.example.org"))),
            DNSRecord(name: zone, data: .ns(try DNSName("ns2.example.net"))),
            DNSRecord(name: zone, data: .a(IPAddress("203.0.113.10")!)),
            DNSRecord(name: zone, data: .aaaa(IPAddress("2001:db8::10")!)),
            DNSRecord(name: zone, data: .mx(preference: 10, exchange: try DNSName("mail.example.org"))),
            DNSRecord(name: zone, data: .txt([Array("v=spf1 -all".utf8)])),
            DNSRecord(name: zone, data: .caa(flags: 0, tag: "issue", value: Array("ca.test".utf8))),
            DNSRecord(name: try DNSName("www.example.org"), data: .cname(zone)),
        ]
        message.authorities = [DNSRecord(name: zone, data: .ns(try DNSName("ns1.example.org")))]
        message.additionals = [DNSRecord(name: try DNSName("ns1.example.org"), data: .a(IPAddress("203.0.113.53")!))]
        message.edns = .init(udpPayloadSize: 1232, options: [.init(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])])
        return try message.encoded()
    }

    /// Decodes; when that works, re-encodes and decodes again, which must give the same message.
    func survive(_ bytes: [UInt8]) -> Bool {
        guard let message = try? DNSMessage.decode(bytes) else { return false }
        // Re-encoding may refuse a value it cannot write (a CAA tag that grew when invalid UTF-8
        // became U+FFFD), but what it writes must read back the same.
        if let again = try? message.encoded() {
            #expect((try? DNSMessage.decode(again)) == message, "round trip of \(bytes)")
        }
        return true
    }

    @Test func randomBytesNeverCrashTheDecoder() async {
        var rng = SeededGenerator(state: 1)
        var decoded = 0
        for round in 0..<20_000 {
            // Let the tests running beside this one have the cooperative threads now and then.
            if round % 500 == 0 { await Task.yield() }
            let count = Int.random(in: 0...600, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Keep the counts small half of the time, so the sections are actually parsed.
            if bytes.count >= 12, Bool.random(using: &rng) {
                for i in [4, 6, 8, 10] { bytes[i] = 0; bytes[i + 1] = UInt8.random(in: 0...3, using: &rng) }
            }
            if survive(bytes) { decoded += 1 }
        }
        // Not an assertion about the decoder's leniency, only that the loop above exercised both paths.
        #expect(decoded >= 0)
    }

    @Test func mutatedRepliesNeverCrashTheDecoder() async throws {
        let seed = try Self.seedMessage()
        #expect(survive(seed))
        var rng = SeededGenerator(state: 2)
        var decoded = 0, rejected = 0
        for round in 0..<30_000 {
            if round % 500 == 0 { await Task.yield() }
            var bytes = seed
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                case 2: // a compression pointer to anywhere, including forward and into itself
                    if i + 1 < bytes.count {
                        bytes[i] = 0xc0 | UInt8.random(in: 0...0x3f, using: &rng) & 0x01
                        bytes[i + 1] = UInt8.random(in: 0...255, using: &rng)
                    }
                case 3: bytes.removeLast(Int.random(in: 0...min(40, bytes.count - 1), using: &rng))
                case 4: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                default: // a length byte or count out of range
                    bytes[i] = [0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xff][Int.random(in: 0..<6, using: &rng)]
                }
                if bytes.isEmpty { break }
            }
            if survive(bytes) { decoded += 1 } else { rejected += 1 }
        }
        #expect(decoded > 0)
        #expect(rejected > 0)
    }

    /// The worst a message can do to the name reader: 16,000 bytes of pointers, each pointing
    /// one step back, entered from the far end. It ends in an error after at most 127 jumps.
    @Test func pointerChainsAreCutShort() {
        var bytes: [UInt8] = [0, 1, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        let last = 16_000
        bytes += [0xc0 | UInt8(last >> 8), UInt8(last & 0xff)]
        for p in stride(from: 14, through: last, by: 2) {
            bytes += [0xc0 | UInt8((p - 2) >> 8), UInt8((p - 2) & 0xff)]
        }
        bytes += [0, 1, 0, 1]
        #expect(throws: DNSWireError.tooManyPointers(offset: last - 126 * 2)) { try DNSMessage.decode(bytes) }
    }
}
