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
