import PerchCore
import PerchDecode

/// The side table: what the in-place interpreter needs to take a branch without scanning.
///
/// One table per function (`CodeInfo.sideTable`, `sideTableBytes`), entries in the order of
/// the instructions that use them: `br`/`br_if` one, `br_table` one per label with the
/// default last, `if` one (the false edge), `else` one (the end of the then-arm);
/// `block`, `loop`, `end` and `return` none. The interpreter keeps `stp`, a pointer to the next entry,
/// beside `pc`. Taking a branch at entry `e`:
///
///     pc  += e.pcDelta         (from the branching opcode to the target)
///     stp += e.stpDelta        (from this entry to the target's next entry)
///     copy the top e.keep slots down over the e.drop slots beneath them
///
/// An untaken `br_if`/`if` steps past its entry: `stp += SideTable.branchSize`.
/// Targets: a block/if label is the byte after its `end`; a loop label is its first body
/// instruction; the function label is the function's final `end`. `keep`/`drop` count
/// 8-byte value-stack slots (v128 takes two).
///
/// Every branch entry is one 32-bit little-endian word, so stepping past one is a constant
/// add and a `br_table`'s entry k is at `first + 4k`. Bit 0 tells the two kinds apart:
///
///     compact (bit 0 = 0)
///      31            16 15          8 7     5 4         1   0
///     +----------------+--------------+-------+-----------+---+
///     | pcDelta (s16)  | stpDelta/4   | keep  |   drop    | 0 |
///     |                |   (s8)       | (u3)  |   (u4)    |   |
///     +----------------+--------------+-------+-----------+---+
///
///     Each delta has whole bytes of its own, so a taken branch loads each with one
///     sign-extending load instead of shifting it out of the word.
///
///     wide (bit 0 = 1): the word minus 1 is the distance in bytes from the entry to its
///     16-byte payload, which lies after the table's last entry (no `stp` reaches it);
///     stpDelta still counts from the entry's word, not from the payload:
///     +------------+------------+---------------+---------------+
///     | keep (u32) | drop (u32) | pcDelta (s32) | stpDelta (s32)|
///     +------------+------------+---------------+---------------+
///
/// Entries are 4-byte aligned and `stpDelta` is a multiple of 4 bytes.
///
/// Immediate entries spare the interpreter decoding a multi-byte LEB128 on every execution:
/// an `i32.const` or `i64.const` whose immediate takes more than one byte, a `call` whose
/// function index does (linkers pad relocated indices to five bytes), and a load or store
/// whose memarg takes more than two, has one, holding the decoded value (the constant; the
/// function index; the memarg's offset) and `length`, the instruction's bytes from its
/// opcode:
///
///     immediate32, 8 bytes:  | value (u32)            | length (u32) |
///     immediate64, 12 bytes: | value (u64)            | length (u32) |
///
/// They carry no tag: the instruction that reads one knows it is there, asking of its
/// immediate's bytes what validation asked (`hasEntry`). A branch over them steps past them
/// with its `stpDelta` like past any entry.
///
/// # Invariants
/// - A table is written once by `SideTableLayout.write` into arena memory of exactly
///   `Layout.totalBytes` bytes, 4-byte aligned, and never changes afterwards.
/// - The reader trusts the table: it is only ever given pointers to entries that
///   validation emitted, so it performs no bounds checks.
public enum SideTable {
    /// Bytes of a branch entry in the stream, compact or wide.
    public static let branchSize = 4
    /// Bytes of a wide entry's payload, after the stream.
    public static let widePayloadSize = 16

    /// One decoded entry. `stpDelta` is in bytes.
    public struct Entry: Equatable, Sendable {
        public var pcDelta: Int
        public var stpDelta: Int
        public var keep: Int
        public var drop: Int

        public init(pcDelta: Int, stpDelta: Int, keep: Int, drop: Int) {
            self.pcDelta = pcDelta
            self.stpDelta = stpDelta
            self.keep = keep
            self.drop = drop
        }
    }

    /// The entry at `stp`. `@inlinable` so the interpreter loop (another module) inlines it.
    @inlinable @inline(__always)
    public static func entry(at stp: UnsafeRawPointer) -> Entry {
        let word = stp.load(as: UInt32.self).littleEndian
        if word & 1 == 0 {
            let (pcDelta, stpDelta) = compactDeltas(at: stp)
            return Entry(
                pcDelta: pcDelta,
                stpDelta: stpDelta,
                keep: Int((word >> 5) & 0x7),
                drop: Int((word >> 1) & 0xF))
        }
        // The distance, keep and drop are bounded by the arena and the value stack, far
        // below 2^31: no conversion here can overflow a 32-bit Int, so none is checked.
        let payload = stp + Int(truncatingIfNeeded: word &- 1)
        return Entry(
            pcDelta: Int(Int32(bitPattern: (payload + 8).load(as: UInt32.self).littleEndian)),
            stpDelta: Int(Int32(bitPattern: (payload + 12).load(as: UInt32.self).littleEndian)),
            keep: Int(truncatingIfNeeded: payload.load(as: UInt32.self).littleEndian),
            drop: Int(truncatingIfNeeded: (payload + 4).load(as: UInt32.self).littleEndian))
    }

    /// The entry at `stp` as `(pcDelta, stpDelta)` when it is compact and drops nothing,
    /// so no values move: most branches, decoded in fewer steps than `entry(at:)`; nil
    /// for any other entry.
    @inlinable @inline(__always)
    public static func plainJump(at stp: UnsafeRawPointer) -> (pcDelta: Int, stpDelta: Int)? {
        guard _fastPath(stp.load(as: UInt8.self) & 0x1F == 0) else { return nil }  // wide (bit 0) or drop (bits 1-4) set
        return compactDeltas(at: stp)
    }

    /// The pcDelta and stpDelta (in bytes) of the compact entry at `stp`: two
    /// sign-extending loads, and a shift for stpDelta, stored divided by 4.
    @usableFromInline @inline(__always)
    static func compactDeltas(at stp: UnsafeRawPointer) -> (pcDelta: Int, stpDelta: Int) {
        let pcDelta = Int16(littleEndian: stp.load(fromByteOffset: 2, as: Int16.self))
        let stpQuarter = stp.load(fromByteOffset: 1, as: Int8.self)
        return (Int(pcDelta), Int(stpQuarter) &* 4)
    }

    /// The 32-bit value and instruction length of the immediate entry at `stp`.
    @inlinable @inline(__always)
    public static func immediate32(at stp: UnsafeRawPointer) -> (value: UInt32, length: Int) {
        (stp.load(as: UInt32.self).littleEndian, Int((stp + 4).load(as: UInt32.self).littleEndian))
    }

    /// The 64-bit value and instruction length of the immediate entry at `stp`.
    @inlinable @inline(__always)
    public static func immediate64(at stp: UnsafeRawPointer) -> (value: UInt64, length: Int) {
        let low = UInt64(stp.load(as: UInt32.self).littleEndian)
        let high = UInt64((stp + 4).load(as: UInt32.self).littleEndian)
        return (high << 32 | low, Int((stp + 8).load(as: UInt32.self).littleEndian))
    }

    public static let immediate32Size = 8
    public static let immediate64Size = 12

    /// Whether the LEB128 immediate at `p`, an `i32.const`/`i64.const` value or a `call`'s
    /// function index, has an immediate entry: it takes more than one byte.
    @inlinable @inline(__always)
    public static func hasEntry(lebAt p: UnsafeRawPointer) -> Bool {
        p.load(as: UInt8.self) >= 0x80
    }

    /// Whether the memarg at `p` (alignment, then offset) has an immediate entry: it takes
    /// more than two bytes.
    @inlinable @inline(__always)
    public static func hasEntry(memargAt p: UnsafeRawPointer) -> Bool {
        p.load(as: UInt8.self) | (p + 1).load(as: UInt8.self) >= 0x80
    }

    /// Entry `k` of a `br_table` whose first entry is at `first` (k = label count: default).
    @inlinable @inline(__always)
    public static func brTableEntry(_ k: Int, first: UnsafeRawPointer) -> UnsafeRawPointer {
        first + k &* branchSize
    }

    /// Whether `entry` fits the compact encoding.
    static func fitsCompact(pcDelta: Int, stpDelta: Int, keep: Int, drop: Int) -> Bool {
        pcDelta >= -32768 && pcDelta < 32768
            && stpDelta >= -512 && stpDelta < 512 && stpDelta & 3 == 0
            && keep >= 0 && keep < 8 && drop >= 0 && drop < 16
    }
}

/// A side-table entry during validation, before its target and width are known (24 bytes
/// of scratch an entry).
/// An immediate entry is final when emitted: `immediateSize` bytes, its value in
/// `target` (low half) and `targetEntry` (high half), its length in `keep`.
struct PendingBranch {
    /// Offset in the body of the branching opcode.
    var branchPC: UInt32
    /// Offset in the body of the target. While a forward branch waits for its label's
    /// `end`, this holds instead the index of the next entry waiting for the same label
    /// (as an Int32 bit pattern, -1 ending the list).
    var target: UInt32
    /// Index of the first entry at or after the target.
    var targetEntry: UInt32
    var keep: UInt32
    var drop: UInt32
    /// 0 for a branch; `SideTable.immediate32Size` or `immediate64Size` for an immediate.
    var immediateSize: UInt32 = 0

    init(branchPC: UInt32, target: UInt32, targetEntry: UInt32, keep: UInt32, drop: UInt32) {
        self.branchPC = branchPC
        self.target = target
        self.targetEntry = targetEntry
        self.keep = keep
        self.drop = drop
    }

    /// The immediate entry of the instruction at `pc`, `length` bytes long.
    init(immediate value: UInt64, wide: Bool, pc: UInt32, length: UInt32) {
        self.init(
            branchPC: pc, target: UInt32(truncatingIfNeeded: value), targetEntry: UInt32(truncatingIfNeeded: value >> 32),
            keep: length, drop: 0)
        immediateSize = UInt32(wide ? SideTable.immediate64Size : SideTable.immediate32Size)
    }

    var isBranch: Bool { immediateSize == 0 }
}

/// Places the entries and writes the final table.
///
/// Every entry's size is known when it is emitted (a branch's is 4 bytes whatever its
/// kind), so positions are running sums, and each branch's deltas, and with them its kind,
/// follow at once. `placement[i]` is entry i's byte position in the stream, with bit 0 set
/// if it is wide (positions are multiples of 4).
enum SideTableLayout {
    struct Layout {
        /// Bytes of the entries, where the wide entries' payloads begin.
        var streamBytes: Int
        /// Bytes of the whole table, payloads included.
        var totalBytes: Int
    }

    static func layout(
        _ entries: UnsafeMutablePointer<PendingBranch>, placement: UnsafeMutablePointer<UInt32>, count: Int
    ) -> Layout {
        var position = 0
        for i in 0..<count {
            placement[i] = UInt32(truncatingIfNeeded: position)
            position &+= entries[i].isBranch ? SideTable.branchSize : Int(entries[i].immediateSize)
        }
        var total = position
        for i in 0..<count where entries[i].isBranch {
            let e = entries[i]
            let fits = SideTable.fitsCompact(
                pcDelta: Int(e.target) &- Int(e.branchPC),
                stpDelta: stpDelta(entries, placement: placement, count: count, from: i, streamBytes: position),
                keep: Int(e.keep), drop: Int(e.drop))
            if !fits {
                placement[i] |= 1
                total &+= SideTable.widePayloadSize
            }
        }
        return Layout(streamBytes: position, totalBytes: total)
    }

    private static func stpDelta(
        _ entries: UnsafeMutablePointer<PendingBranch>, placement: UnsafeMutablePointer<UInt32>, count: Int,
        from i: Int, streamBytes: Int
    ) -> Int {
        let target = Int(entries[i].targetEntry)
        let targetPosition = target < count ? Int(placement[target] & ~1) : streamBytes
        return targetPosition &- Int(placement[i] & ~1)
    }

    /// Writes the entries placed by `layout` to `table` (`layout.totalBytes`, 4-byte aligned).
    static func write(
        _ entries: UnsafeMutablePointer<PendingBranch>, placement: UnsafeMutablePointer<UInt32>, count: Int,
        layout: Layout, to table: UnsafeMutableRawPointer
    ) {
        var payload = layout.streamBytes
        for i in 0..<count {
            let e = entries[i]
            let position = Int(placement[i] & ~1)
            let at = table + position
            if !e.isBranch {
                at.storeBytes(of: e.target.littleEndian, as: UInt32.self)
                if e.immediateSize == UInt32(SideTable.immediate64Size) {
                    (at + 4).storeBytes(of: e.targetEntry.littleEndian, as: UInt32.self)
                }
                (at + Int(e.immediateSize) - 4).storeBytes(of: e.keep.littleEndian, as: UInt32.self)
                continue
            }
            let pcDelta = Int(e.target) &- Int(e.branchPC)
            let stp = stpDelta(entries, placement: placement, count: count, from: i, streamBytes: layout.streamBytes)
            if placement[i] & 1 != 0 {
                at.storeBytes(of: UInt32(truncatingIfNeeded: payload &- position &+ 1).littleEndian, as: UInt32.self)
                let p = table + payload
                p.storeBytes(of: e.keep.littleEndian, as: UInt32.self)
                (p + 4).storeBytes(of: e.drop.littleEndian, as: UInt32.self)
                (p + 8).storeBytes(of: UInt32(truncatingIfNeeded: pcDelta).littleEndian, as: UInt32.self)
                (p + 12).storeBytes(of: UInt32(truncatingIfNeeded: stp).littleEndian, as: UInt32.self)
                payload &+= SideTable.widePayloadSize
            } else {
                var word = UInt32(truncatingIfNeeded: pcDelta) << 16
                word |= (UInt32(truncatingIfNeeded: stp >> 2) & 0xFF) << 8
                word |= (e.keep & 0x7) << 5
                word |= (e.drop & 0xF) << 1
                at.storeBytes(of: word.littleEndian, as: UInt32.self)
            }
        }
    }
}
