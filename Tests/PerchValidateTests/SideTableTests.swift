import PerchCore
import PerchDecode
import Testing
@testable import PerchValidate

let i32: UInt8 = 0x7F
let i64: UInt8 = 0x7E
let v128: UInt8 = 0x7B

@Suite struct SideTableTests {
    @Test func brOutOfBlockTargetsTheByteAfterItsEnd() throws {
        // 0:locals 1:block 3:br 0 5:end 6:end
        let f = try Fixture(body: [0x00, 0x02, 0x40, 0x0C, 0x00, 0x0B, 0x0B])
        try f.validate()
        #expect(f.entries == [entry(3, 4)])
        #expect(f.bodyOffset(f.code.entry) == 1)
        #expect(f.bodyOffset(f.code.end) == 6)
        #expect(f.code.sideTableBytes == 4)
    }

    @Test func loopBranchGoesBackToTheFirstBodyInstruction() throws {
        // 0:locals 1:loop 3:i32.const 0 5:br_if 0 7:end 8:end
        let f = try Fixture(body: [0x00, 0x03, 0x40, 0x41, 0x00, 0x0D, 0x00, 0x0B, 0x0B])
        try f.validate()
        #expect(f.entries == [entry(-2, 0)])
        #expect(f.code.maxStackSlots == 1)
    }

    @Test func ifElseEntries() throws {
        // 0:locals 1:local.get 0 3:if i32 5:i32.const 1 7:else 8:i32.const 2 10:end 11:end
        let f = try Fixture(
            params: [i32], results: [i32],
            body: [0x00, 0x20, 0x00, 0x04, 0x7F, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0B, 0x0B])
        try f.validate()
        // if: false edge to after `else` (past the else entry); else: to after `end`.
        #expect(f.entries == [entry(5, 8), entry(4, 4, keep: 1)])
    }

    @Test func ifWithoutElseJumpsPastEnd() throws {
        // 0:locals 1:local.get 0 3:if 5:nop 6:end 7:end
        let f = try Fixture(params: [i32], body: [0x00, 0x20, 0x00, 0x04, 0x40, 0x01, 0x0B, 0x0B])
        try f.validate()
        #expect(f.entries == [entry(4, 4)])
    }

    @Test func brTableEntriesDropWhatIsBeneath() throws {
        // 0:locals 1:block i32 3:block i32 5:i32.const 1 7:i32.const 7 9:local.get 0
        // 11:br_table [0 1] 0  16:end 17:end 18:end
        let f = try Fixture(
            params: [i32], results: [i32],
            body: [
                0x00, 0x02, 0x7F, 0x02, 0x7F, 0x41, 0x01, 0x41, 0x07, 0x20, 0x00,
                0x0E, 0x02, 0x00, 0x01, 0x00, 0x0B, 0x0B, 0x0B,
            ])
        try f.validate()
        #expect(f.entries == [entry(6, 12, keep: 1, drop: 1), entry(7, 8, keep: 1, drop: 1), entry(6, 4, keep: 1, drop: 1)])
        let first = f.code.sideTable!
        #expect(SideTable.entry(at: SideTable.brTableEntry(2, first: first)) == entry(6, 4, keep: 1, drop: 1))
    }

    @Test func nestedLoopsAndFunctionLabel() throws {
        // 0:locals 1:loop 3:loop 5:i32.const 0 7:br_if 1 9:i32.const 0 11:br_if 0
        // 13:br 2 15:end 16:end 17:end
        let f = try Fixture(body: [
            0x00, 0x03, 0x40, 0x03, 0x40, 0x41, 0x00, 0x0D, 0x01, 0x41, 0x00, 0x0D, 0x00,
            0x0C, 0x02, 0x0B, 0x0B, 0x0B,
        ])
        try f.validate()
        // br_if 1 -> the outer loop's body, past the inner loop's header that opens it (5),
        // entry 0; br_if 0 -> inner body (5), entry 0; br 2 (function label) -> the final
        // end at 17, past the last entry.
        #expect(f.entries == [entry(-2, 0), entry(-6, -4), entry(4, 4)])
    }

    @Test func loopBranchLandsPastTheHeadersOpeningItsBody() throws {
        // 0:locals 1:loop 3:block 5:nop 6:block 8:i32.const 0 10:br_if 2 12:end 13:end
        // 14:end 15:end
        let f = try Fixture(body: [
            0x00, 0x03, 0x40, 0x02, 0x40, 0x01, 0x02, 0x40, 0x41, 0x00, 0x0D, 0x02,
            0x0B, 0x0B, 0x0B, 0x0B,
        ])
        try f.validate()
        // The block at 3 opens the loop's body and is passed; the nop at 5 is not, so the
        // second block stays.
        #expect(f.entries == [entry(-5, 0)])
    }

    @Test func returnNeedsNoEntryButBrToTheFunctionLabelDoes() throws {
        // 0:locals 1:i32.const 5 3:return 4:end
        let f = try Fixture(results: [i32], body: [0x00, 0x41, 0x05, 0x0F, 0x0B])
        try f.validate()
        #expect(f.entries == [])
        // 0:locals 1:block 3:i32.const 5 5:br 1 7:end 8:i32.const 6 10:end — br 1 targets
        // the final end.
        let g = try Fixture(
            results: [i32], body: [0x00, 0x02, 0x40, 0x41, 0x05, 0x0C, 0x01, 0x0B, 0x41, 0x06, 0x0B])
        try g.validate()
        #expect(g.entries == [entry(5, 4, keep: 1)])
    }

    @Test func multiValueAndV128KeepCountsSlots() throws {
        // type 1: [] -> [i32 i64 v128]; block (type 1) ... br 0 end, then drop all three.
        var body: [UInt8] = [0x00, 0x02, 0x01, 0x41, 0x01, 0x42, 0x02, 0xFD, 0x0C] + [UInt8](repeating: 0, count: 16)
        body += [0x0C, 0x00, 0x0B, 0x1A, 0x1A, 0x1A, 0x0B]
        let f = try Fixture(
            types: [.init(params: [], results: []), .init(params: [], results: [i32, i64, v128])],
            functions: [(0, body)])
        try f.validate()
        #expect(f.entries == [entry(3, 4, keep: 4)])
        #expect(f.code.maxStackSlots == 4)
    }

    @Test func unreachableCodeStillGetsEntries() throws {
        // block i32: unreachable; br 0 (nothing really on the stack); end; drop
        let f = try Fixture(body: [0x00, 0x02, 0x7F, 0x00, 0x0C, 0x00, 0x0B, 0x1A, 0x0B])
        try f.validate()
        #expect(f.entries == [entry(3, 4, keep: 1, drop: 0)])
    }

    @Test func farBranchIsWide() throws {
        // block; br 0; 40000 nops; end: past the compact pcDelta's 32767.
        let body: [UInt8] = [0x00, 0x02, 0x40, 0x0C, 0x00] + [UInt8](repeating: 0x01, count: 40000) + [0x0B, 0x0B]
        let f = try Fixture(body: body)
        try f.validate()
        #expect(f.entries == [entry(40003, 4)])
        #expect(f.isWide(f.code.sideTable!))
        #expect(f.code.sideTableBytes == 20)
    }

    @Test func deepDropIsWide() throws {
        // block; 70 x i32.const 0; br 0; end
        let body: [UInt8] = [0x00, 0x02, 0x40] + [UInt8](repeating: 0, count: 70).flatMap { _ in [0x41, 0x00] }
            + [0x0C, 0x00, 0x0B, 0x0B]
        let f = try Fixture(body: body)
        try f.validate()
        #expect(f.entries == [entry(3, 4, keep: 0, drop: 70)])
        #expect(f.isWide(f.code.sideTable!))
        #expect(f.code.maxStackSlots == 70)
    }

    @Test func compactDropEndsAtFifteen() throws {
        // block; n x i32.const 0; br 0; end: drop n, a compact entry up to 15.
        for (n, wide) in [(15, false), (16, true)] {
            let body: [UInt8] = [0x00, 0x02, 0x40] + [UInt8](repeating: 0, count: n).flatMap { _ in [0x41, 0x00] }
                + [0x0C, 0x00, 0x0B, 0x0B]
            let f = try Fixture(body: body)
            try f.validate()
            #expect(f.entries == [entry(3, 4, keep: 0, drop: n)])
            #expect(f.isWide(f.code.sideTable!) == wide)
            #expect(f.code.sideTableBytes == (wide ? 20 : 4))
        }
    }

    @Test func manyEntriesBetweenWidenOnlyTheFarOnes() throws {
        // block; 300 x (i32.const 0; br_if 0); end
        let body: [UInt8] = [0x00, 0x02, 0x40] + [UInt8](repeating: 0, count: 300).flatMap { _ in [0x41, 0x00, 0x0D, 0x00] }
            + [0x0B, 0x0B]
        let f = try Fixture(body: body)
        try f.validate()
        let entries = f.entries
        #expect(entries.count == 300)
        // Every entry is 4 bytes and lands just past the last one: those more than 508 bytes
        // before the end (the compact stpDelta's reach) are wide, the rest compact.
        let table = f.code.sideTable!
        for (k, e) in entries.enumerated() {
            #expect(4 * k + e.stpDelta == 1200)
            #expect(e.pcDelta == 1204 - (5 + 4 * k))
            #expect(f.isWide(table + 4 * k) == (e.stpDelta > 508))
        }
        let wide = entries.filter { $0.stpDelta > 508 }.count
        #expect(wide == 173)
        #expect(Int(f.code.sideTableBytes) == 1200 + 16 * wide)
    }

    @Test func sideTableFitsWhereScratchWas() throws {
        // Two functions: the second's table sits directly below the first's.
        let body: [UInt8] = [0x00, 0x02, 0x40, 0x0C, 0x00, 0x0B, 0x0B]
        let f = try Fixture(types: [.init(params: [], results: [])], functions: [(0, body), (0, body)])
        let before = f.arena.mark
        try f.validate()
        let first = f.module.functions[0].code!.sideTable!
        let second = f.module.functions[1].code!.sideTable!
        #expect(first - second == 4)
        // The declared-references bitset (1 byte) and two 4-byte tables are all that stay.
        #expect(before.high - f.arena.mark.high <= 16)
    }

    @Test func multiByteImmediatesGetDecodedEntries() throws {
        // 0:locals 1:i32.const 1000 4:drop 5:i64.const 2^40 12:drop 13:i32.const 0
        // 15:i32.load8_u offset=300 19:drop 20:i32.const -1 22:drop 23:i32.const 0
        // 25:i32.load offset=4 28:drop 29:end
        let f = try Fixture(
            body: [
                0x00, 0x41, 0xE8, 0x07, 0x1A, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x1A,
                0x41, 0x00, 0x2D, 0x00, 0xAC, 0x02, 0x1A, 0x41, 0x7F, 0x1A, 0x41, 0x00, 0x28, 0x02,
                0x04, 0x1A, 0x0B,
            ], memories: 1)
        try f.validate()
        // Only the three multi-byte ones have an entry: 8 + 12 + 8 bytes.
        #expect(f.code.sideTableBytes == 28)
        let table = f.code.sideTable!
        #expect(SideTable.immediate32(at: table) == (1000, 3))
        #expect(SideTable.immediate64(at: table + 8) == (1 << 40, 7))
        #expect(SideTable.immediate32(at: table + 20) == (300, 4))
    }

    @Test func branchesStepOverImmediateEntries() throws {
        // 0:locals 1:loop 3:i32.const 1000 6:drop 7:i32.const 0 9:br_if 0 11:end 12:end
        let f = try Fixture(body: [0x00, 0x03, 0x40, 0x41, 0xE8, 0x07, 0x1A, 0x41, 0x00, 0x0D, 0x00, 0x0B, 0x0B])
        try f.validate()
        let table = f.code.sideTable!
        #expect(f.code.sideTableBytes == 12)
        // The back-edge returns to the loop's first entry, the constant's, 8 bytes before it.
        #expect(SideTable.entry(at: table + 8) == entry(-6, -8))
    }

    @Test func simdShapeTableCoversEveryOpcode() {
        #expect(simdShapesCount == 256)
    }
}
