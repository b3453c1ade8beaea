import Testing
@testable import PerchLink
@testable import PerchSupervisor

/// A state file written by a perch from before refusals were kept (PST1) is still read
/// after an upgrade: the app keeps its slots, versions and replay floor.
@Suite struct StoreUpgradeTests {
    /// PST1: magic, committed slot, version, previous slot, version, floor, enabled, CRC32.
    static func stateV1(committed: UInt8, _ version: UInt64, previous: UInt8, _ previousVersion: UInt64,
                        floor: UInt64, enabled: Bool) -> [UInt8] {
        var w = ByteWriter(capacity: AppState.sizeV1)
        w.raw(AppState.magicV1)
        w.u8(committed)
        w.u64(version)
        w.u8(previous)
        w.u64(previousVersion)
        w.u64(floor)
        w.u8(enabled ? 1 : 0)
        w.u32(CRC32.checksum(w.bytes))
        return w.bytes
    }

    @Test func aPST1StateIsReadWithItsReplayFloor() throws {
        let bytes = Self.stateV1(committed: 2, 7, previous: 1, 6, floor: 9, enabled: false)
        #expect(bytes.count == AppState.sizeV1)
        let state = try #require(AppState.decode(bytes))
        #expect(state.committed == .b && state.committedVersion == 7)
        #expect(state.previous == .a && state.previousVersion == 6)
        #expect(state.floor == 9 && !state.enabled)
        #expect(state.refusedVersion == 0 && state.refusal.isEmpty)
        // Written back as PST2, which reads the same.
        let rewritten = try #require(AppState.decode(state.encoded()))
        #expect(rewritten.encoded() == state.encoded() && Array(state.encoded().prefix(4)) == AppState.magic)
    }

    @Test func aDamagedPST1StateIsRefused() {
        var bytes = Self.stateV1(committed: 1, 3, previous: 0, 0, floor: 3, enabled: true)
        bytes[5] ^= 0x01
        #expect(AppState.decode(bytes) == nil)
        var wrongMagic = Self.stateV1(committed: 1, 3, previous: 0, 0, floor: 3, enabled: true)
        wrongMagic[3] = 0x39
        #expect(AppState.decode(wrongMagic) == nil)
    }
}
