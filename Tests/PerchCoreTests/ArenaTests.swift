import Glibc
import Testing
@testable import PerchCore

@Suite struct ArenaTests {
    @Test func bothEndsMeetAndReportWhatDidNotFit() throws {
        let arena = try Arena(capacity: 1024)
        let low = try arena.allocateLow(100, for: .moduleBytes)
        let high = try arena.allocateHigh(200, for: .moduleMetadata)
        #expect(high - low >= 100)
        #expect(arena.free == 1024 - 104 - 200 || arena.free == 1024 - 100 - 200)
        #expect(throws: ArenaError.self) { try arena.allocateHigh(1000, for: .linearMemory) }
        do {
            _ = try arena.allocateLow(2000, for: .linearMemory)
            Issue.record("expected arena full")
        } catch {
            #expect(error.use == .linearMemory)
            #expect(error.requested == 2000)
            #expect(error.message.contains("linear memory"))
        }
    }

    @Test func resetGivesBackEverythingAfterTheMark() throws {
        let arena = try Arena(capacity: 4096)
        _ = try arena.allocateLow(64, for: .moduleBytes)
        let mark = arena.mark
        _ = try arena.allocateLow(1000, for: .validationScratch)
        _ = try arena.allocateHigh(1000, for: .validationScratch)
        arena.reset(to: mark)
        #expect(arena.mark == mark)
        #expect(arena.highWaterMark >= 2064)
    }

    /// Zeroed allocations are zero even where earlier allocations wrote and were given
    /// back, at either end and across the ends.
    @Test func zeroedAllocationsClearReusedBytes() throws {
        let arena = try Arena(capacity: 8192)
        let start = arena.mark
        let low = try arena.allocateLow(3000, for: .validationScratch)
        low.initializeMemory(as: UInt8.self, repeating: 0xAB, count: 3000)
        let high = try arena.allocateHigh(3000, for: .validationScratch)
        high.initializeMemory(as: UInt8.self, repeating: 0xCD, count: 3000)
        arena.reset(to: start)

        let memory = try arena.allocateLow(8192 - 64, alignment: 16, zeroed: true, for: .linearMemory)
        #expect(UnsafeRawBufferPointer(start: memory, count: 8192 - 64).allSatisfy { $0 == 0 })
        arena.reset(to: start)
        let words = try arena.allocateHigh(UInt64.self, count: 1000, for: .globals)
        #expect(words.allSatisfy { $0 == 0 })
        arena.reset(to: start)
        _ = try arena.allocateLow(16, for: .linearMemory)
        try arena.extendLow(by: 2984, zeroed: true, for: .linearMemory)
        #expect(UnsafeRawBufferPointer(start: arena.base + 16, count: 2984).allSatisfy { $0 == 0 })
    }

    /// Memory the caller hands over is not assumed zero unless it says so.
    @Test func callerMemoryOfUnknownContentIsCleared() throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 4096)
        let arena = Arena(memory: buffer, capacity: 4096)
        let low = try arena.allocateLow(1000, zeroed: true, for: .linearMemory)
        let high = try arena.allocateHigh(UInt32.self, count: 100, for: .table)
        #expect(UnsafeRawBufferPointer(start: low, count: 1000).allSatisfy { $0 == 0 })
        #expect(high.allSatisfy { $0 == 0 })
    }

    /// A zeroed allocation in fresh arena memory writes nothing, so its pages stay out of
    /// resident memory until used (the reason a 64 MB arena costs a small module little).
    @Test func freshZeroedMemoryIsNotTouched() throws {
        let arena = try Arena(capacity: 64 << 20)
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let bytes = 16 << 20
        let memory = try arena.allocateLow(bytes, alignment: pageSize, zeroed: true, for: .linearMemory)
        let globals = try arena.allocateHigh(UInt64.self, count: 1 << 20, for: .globals)
        func residentPages(_ start: UnsafeMutableRawPointer, _ count: Int) -> Int {
            var vector = [UInt8](repeating: 0, count: count / pageSize)
            #expect(mincore(start, count, &vector) == 0)
            return vector.filter { $0 & 1 != 0 }.count
        }
        #expect(residentPages(memory, bytes) == 0)
        #expect(residentPages(UnsafeMutableRawPointer(globals.baseAddress!), 8 << 20) == 0)
        memory.storeBytes(of: 1, as: UInt8.self)
        #expect(residentPages(memory, bytes) == 1)
    }

    @Test func guestMemoryChecksEveryRange() throws {
        let arena = try Arena(capacity: 4096)
        let base = try arena.allocateLow(100, for: .linearMemory)
        let memory = GuestMemory(base: base, size: 100)
        #expect(memory.range(96, 4) != nil)
        #expect(memory.range(97, 4) == nil)
        #expect(memory.range(100, 0) != nil)
        #expect(memory.range(UInt32.max, 2) == nil)
        #expect(memory.store(UInt32(0xdeadbeef), at: 8))
        #expect(memory.load(UInt32.self, at: 8) == 0xdeadbeef)
        #expect(memory.load(UInt64.self, at: 96) == nil)
    }
}
