import PerchCore
import PerchDecode

/// Where a function's locals live in its frame when some are v128 (two 8-byte slots each).
///
/// A frame is `[params][declared locals][operands]`. Without v128 locals local n is slot n
/// and there is no map (`CodeInfo.v128LocalRuns == 0`). Otherwise each run of consecutive
/// v128 locals (parameters and declared locals numbered together, adjacent groups merged)
/// is one `Run`, in local order, stored right after the function's side-table entries:
///
///     sideTable                        sideTable + sideTableBytes
///     | entries (sideTableBytes bytes) | Run 0 | Run 1 | ... | Run v128LocalRuns-1 |
///                                        12 bytes each: firstLocal, count, firstSlot
///
/// Local n is in the last run with `firstLocal <= n` (or before every run: slot n):
/// inside it, slot `firstSlot + 2 * (n - firstLocal)`, a v128; after it, slot
/// `firstSlot + 2 * count + (n - firstLocal - count)`. The map costs 12 bytes a run (a run
/// comes from at least one local declaration, so it is bounded by the body's size) and
/// nothing for functions without v128 locals.
///
/// # Invariants
/// - Written once by validation into the same arena block as the side table, 4-byte
///   aligned, and never changed; the reader trusts it and checks no bounds beyond the
///   run count. Slot numbers wrap past 2^32 only for frames no instance can hold
///   (instantiation sums frame sizes in 64 bits and caps them; calls refuse capped frames).
public enum LocalSlotMap {
    public struct Run: Equatable, Sendable {
        public var firstLocal: UInt32
        public var count: UInt32
        public var firstSlot: UInt32

        public init(firstLocal: UInt32, count: UInt32, firstSlot: UInt32) {
            self.firstLocal = firstLocal
            self.count = count
            self.firstSlot = firstSlot
        }
    }

    /// The frame slot of local `index` of a validated function, and whether it is a v128.
    public static func slot(of index: UInt32, in code: CodeInfo) -> (slot: UInt32, isV128: Bool) {
        guard code.v128LocalRuns > 0, let table = code.sideTable else { return (index, false) }
        let runs = (table + Int(code.sideTableBytes)).assumingMemoryBound(to: Run.self)
        // The last run starting at or before `index`, found in halves.
        var low = 0
        var high = Int(code.v128LocalRuns)
        while low < high {
            let mid = (low &+ high) >> 1
            if runs[mid].firstLocal <= index { low = mid &+ 1 } else { high = mid }
        }
        guard low > 0 else { return (index, false) }
        let run = runs[low &- 1]
        let offset = index &- run.firstLocal
        if offset < run.count { return (run.firstSlot &+ 2 &* offset, true) }
        return (run.firstSlot &+ 2 &* run.count &+ (offset &- run.count), false)
    }
}

extension FunctionValidator {
    /// The runs of v128 locals, parameters first, as `LocalSlotMap` stores them; written to
    /// `out` if given. Returns how many there are.
    func v128LocalRuns(writingTo out: UnsafeMutablePointer<LocalSlotMap.Run>?) -> Int {
        var runs = 0
        var open: LocalSlotMap.Run?
        var slot: UInt32 = 0
        var local: UInt32 = 0
        /// Adds `count` locals of `type` starting at `local`.
        func add(_ count: UInt32, _ type: UInt8) {
            if type == T.v128 {
                if var run = open, run.firstLocal &+ run.count == local {
                    run.count &+= count
                    open = run
                } else {
                    if let run = open { out?[runs &- 1] = run }
                    runs &+= 1
                    open = LocalSlotMap.Run(firstLocal: local, count: count, firstSlot: slot)
                }
            }
            local &+= count
            slot &+= count &* UInt32(T.slots(type))
        }
        for type in params { add(1, type) }
        var previousEnd = UInt64(params.count)
        for i in 0..<locals.count {
            let run = locals.base[i]
            add(UInt32(truncatingIfNeeded: run.end &- previousEnd), run.type)
            previousEnd = run.end
        }
        if let run = open { out?[runs &- 1] = run }
        return runs
    }
}
