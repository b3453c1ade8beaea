import PerchCore
import PerchDecode

/// A stack in validation scratch: arena memory from the high end, given back by the
/// caller's `arena.reset(to:)` after each function. Growing takes a block twice the size
/// and copies; the old block stays taken until the reset, so at most twice the final size
/// is used. A stack larger than the arena ends in an arena-full error, never a crash.
///
/// # Invariants
/// - `base ..< base + capacity` is arena memory bound to `Element`, taken after the
///   validator's mark and valid until the caller resets to that mark.
/// - `0 <= count <= capacity`; elements `0 ..< count` are initialized (`Element` is
///   trivial, so overwriting and abandoning them needs no deinitialization).
struct ScratchStack<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    var count: Int = 0
    private(set) var capacity: Int

    init(arena: Arena, capacity: Int) throws(ModuleErrorKind) {
        self.base = try Self.take(arena: arena, capacity: capacity)
        self.capacity = capacity
    }

    @inline(__always)
    mutating func push(_ element: Element, arena: Arena) throws(ModuleErrorKind) {
        if count == capacity { try grow(arena: arena, atLeast: count &+ 1) }
        base[count] = element
        count &+= 1
    }

    /// Makes room for `extra` more elements.
    @inline(__always)
    mutating func reserve(_ extra: Int, arena: Arena) throws(ModuleErrorKind) {
        if capacity &- count < extra { try grow(arena: arena, atLeast: count &+ extra) }
    }

    @inline(__always)
    var top: Element {
        get { base[count &- 1] }
        set { base[count &- 1] = newValue }
    }

    @inline(never)
    private mutating func grow(arena: Arena, atLeast needed: Int) throws(ModuleErrorKind) {
        let doubled = capacity &* 2
        let newCapacity = needed > doubled ? needed : doubled
        let newBase = try Self.take(arena: arena, capacity: newCapacity)
        newBase.update(from: base, count: count)
        base = newBase
        capacity = newCapacity
    }

    private static func take(arena: Arena, capacity: Int) throws(ModuleErrorKind) -> UnsafeMutablePointer<Element> {
        let stride = MemoryLayout<Element>.stride
        // Counts are kept in UInt32 fields elsewhere; a stack this large is an arena matter.
        guard capacity >= 0, capacity < Int(Int32.max) / max(stride, 1) else {
            throw .arenaFull(use: .validationScratch, requested: Int.max, available: arena.free)
        }
        do {
            let raw = try arena.allocateHigh(
                capacity &* stride, alignment: MemoryLayout<Element>.alignment, for: .validationScratch)
            return raw.bindMemory(to: Element.self, capacity: capacity)
        } catch {
            throw .arenaFull(use: error.use, requested: error.requested, available: error.available)
        }
    }
}
