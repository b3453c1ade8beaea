import PerchCore
import PerchDecode
import Testing
@testable import PerchValidate

/// The per-function map from local index to frame slot that v128 locals (two slots each)
/// need, stored after the side table.
@Suite struct LocalSlotMapTests {
    let f64: UInt8 = 0x7C

    func slots(_ f: Fixture, locals: UInt32) -> [(UInt32, Bool)] {
        (0..<locals).map { LocalSlotMap.slot(of: $0, in: f.code) }
    }

    @Test func v128ParametersAndLocalsTakeTwoSlots() throws {
        // params (i32, v128); locals 2 i32, 3 v128, 1 f64; body `end`.
        let f = try Fixture(params: [i32, v128], body: [0x03, 0x02, i32, 0x03, v128, 0x01, f64, 0x0B])
        try f.validate()
        #expect(f.code.v128LocalRuns == 2)
        #expect(f.code.sideTableBytes == 0)
        let got = slots(f, locals: 8)
        let want: [(UInt32, Bool)] = [(0, false), (1, true), (3, false), (4, false), (5, true), (7, true), (9, true), (11, false)]
        #expect(got.map(\.0) == want.map(\.0))
        #expect(got.map(\.1) == want.map(\.1))
        // Slots of the declared locals: 2 + 6 + 1 after the 3 parameter slots.
        #expect(f.code.localSlots == 9)
    }

    @Test func adjacentV128GroupsAreOneRun() throws {
        // param v128; locals 1 v128, 2 v128, then 1 i32.
        let f = try Fixture(params: [v128], body: [0x03, 0x01, v128, 0x02, v128, 0x01, i32, 0x0B])
        try f.validate()
        #expect(f.code.v128LocalRuns == 1)
        #expect(slots(f, locals: 5).map(\.0) == [0, 2, 4, 6, 8])
        #expect(slots(f, locals: 5).map(\.1) == [true, true, true, true, false])
    }

    @Test func theMapFollowsTheSideTableEntries() throws {
        // local v128 after an i64 param; body: block br 0 end end.
        let f = try Fixture(params: [i64], body: [0x01, 0x01, v128, 0x02, 0x40, 0x0C, 0x00, 0x0B, 0x0B])
        try f.validate()
        #expect(f.entries == [entry(3, 4)])
        #expect(f.code.sideTableBytes == 4)
        #expect(f.code.v128LocalRuns == 1)
        #expect(LocalSlotMap.slot(of: 0, in: f.code) == (0, false))
        #expect(LocalSlotMap.slot(of: 1, in: f.code) == (1, true))
    }

    @Test func withoutV128LocalsThereIsNoMap() throws {
        let f = try Fixture(params: [i32, i64], body: [0x01, 0x04, f64, 0x02, 0x40, 0x0C, 0x00, 0x0B, 0x0B])
        try f.validate()
        #expect(f.code.v128LocalRuns == 0)
        #expect(f.code.sideTableBytes == 4)
        #expect(slots(f, locals: 6).map(\.0) == [0, 1, 2, 3, 4, 5])
    }
}
