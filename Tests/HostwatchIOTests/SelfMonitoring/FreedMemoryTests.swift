import Glibc
import Testing
@testable import HostwatchIO

@Suite struct FreedMemoryTests {
    /// glibc marks a block it mapped on its own in the size word just before the block (bit 1,
    /// IS_MMAPPED): such a block goes back to the system when freed.
    static func isMappedApart(_ pointer: UnsafeMutableRawPointer) -> Bool {
        pointer.load(fromByteOffset: -MemoryLayout<Int>.size, as: Int.self) & 2 != 0
    }

    /// glibc's default would take a block of 24 MiB from the heap once a 30 MiB block had been
    /// freed (its threshold follows the largest freed block, up to 32 MiB); the agent keeps it
    /// apart. Larger than any block the other tests in this process may have had from a heap
    /// under the default threshold: freed, such a block's space served a 6 MiB one here.
    @Test func aLargeBlockIsMappedApartEvenAfterABiggerOneWasFreed() throws {
        #expect(FreedMemory.mapLargeBlocksApart(environment: [:]))
        let big = try #require(malloc(30 << 20))
        #expect(Self.isMappedApart(big))
        free(big)
        let large = try #require(malloc(24 << 20))
        defer { free(large) }
        #expect(Self.isMappedApart(large))
        let small = try #require(malloc(4096))
        defer { free(small) }
        #expect(!Self.isMappedApart(small))
    }

    @Test func anOperatorsOwnThresholdIsLeftAsItIs() {
        #expect(!FreedMemory.mapLargeBlocksApart(environment: ["MALLOC_MMAP_THRESHOLD_": "65536"]))
        #expect(!FreedMemory.mapLargeBlocksApart(environment: ["GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536:glibc.malloc.arena_max=2"]))
    }
}
