import Testing
import PerchCore

@Suite struct IndexBoundsTests {
    /// Indices at and above 2^31 are where `Int(index) < count` traps on 32-bit targets;
    /// here they must simply be out of range.
    @Test func largeIndicesAreOutOfRangeNotTraps() {
        #expect(UInt32(0).isIndex(below: 1))
        #expect(UInt32(4).isIndex(below: 5))
        #expect(!UInt32(5).isIndex(below: 5))
        #expect(!UInt32(0).isIndex(below: 0))
        #expect(!UInt32(0x8000_0000).isIndex(below: 10))
        #expect(!UInt32.max.isIndex(below: 10))
        #expect(!UInt64.max.isIndex(below: Int.max))
        #expect(UInt64(Int.max - 1).isIndex(below: Int.max))
    }
}
