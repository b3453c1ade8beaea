import PerchCore
import PerchDecode

/// A stack in validation scratch: arena memory from the high end, given back by the
/// caller's `arena.reset(to:)` after each function. Growing doubles the capacity: in place
/// (extended downwards, elements moved down) when the stack is the newest high allocation,
/// else into a new block, the old one staying taken until the reset. A stack larger than
/// the arena ends in an arena-full error, never a crash.
///
/// # Invariants
/// - `base ..< base + capacity` is arena memory bound to `Element`, taken after the
///   validator's mark and valid until the caller resets to that mark. Extending in place
///   relies on `Arena.allocateHigh` returning the bytes right below `highBottom` when the
///   size is a multiple of the alignment (element strides are).
/// - The arena is passed unretained (no reference counting in the validator's hot loop):
///   the `ModuleValidator`'s caller keeps it alive, as it must for the module's records.
/// - `0 <= count <= capacity`; elements `0 ..< count` are initialized (`Element` is
///   trivial, so overwriting and abandoning them needs no deinitialization).
struct ScratchStack<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    var count: Int = 0
    private(set) var capacity: Int

    /// Starts in `block`, scratch the caller took for several stacks at once (one arena
    /// call instead of one a stack), and advances `block` past this stack's part.
    init(carving block: inout UnsafeMutableRawPointer, capacity: Int) {
        let alignment = MemoryLayout<Element>.alignment
        let start = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: block) &+ UInt(alignment &- 1)) & ~UInt(alignment &- 1))!
        self.base = start.bindMemory(to: Element.self, capacity: capacity)
        self.capacity = capacity
        block = start + capacity &* MemoryLayout<Element>.stride
    }

    /// Bytes `init(carving:capacity:)` may take from a block, alignment padding included.
    static func carvedBytes(capacity: Int) -> Int {
        capacity &* MemoryLayout<Element>.stride &+ MemoryLayout<Element>.alignment
    }

    @inline(__always)
    mutating func push(_ element: Element, arena: Unmanaged<Arena>, at reader: ByteReader) throws(ModuleError) {
        if count == capacity { try grow(arena: arena, atLeast: count &+ 1, errorOffset: reader.offset) }
        base[count] = element
        count &+= 1
    }

    /// Makes room for `extra` more elements.
    @inline(__always)
    mutating func reserve(_ extra: Int, arena: Unmanaged<Arena>, at reader: ByteReader) throws(ModuleError) {
        if capacity &- count < extra { try grow(arena: arena, atLeast: count &+ extra, errorOffset: reader.offset) }
    }

    @inline(__always)
    var top: Element {
        get { base[count &- 1] }
        set { base[count &- 1] = newValue }
    }

    @inline(never)
    private mutating func grow(arena unmanaged: Unmanaged<Arena>, atLeast needed: Int, errorOffset: Int) throws(ModuleError) {
        let arena = unmanaged.takeUnretainedValue()
        let doubled = capacity &* 2
        let newCapacity = needed > doubled ? needed : doubled
        if UnsafeMutableRawPointer(base) == arena.base + arena.highBottom {
            // The newest high allocation: extend it downwards and slide the elements down,
            // so growing leaves no abandoned block behind.
            let newBase = try Self.take(arena: unmanaged, capacity: newCapacity &- capacity, errorOffset: errorOffset)
            UnsafeMutableRawPointer(newBase).copyMemory(from: base, byteCount: count &* MemoryLayout<Element>.stride)
            base = newBase
        } else {
            let newBase = try Self.take(arena: unmanaged, capacity: newCapacity, errorOffset: errorOffset)
            newBase.update(from: base, count: count)
            base = newBase
        }
        capacity = newCapacity
    }

    private static func take(
        arena unmanaged: Unmanaged<Arena>, capacity: Int, errorOffset: Int
    ) throws(ModuleError) -> UnsafeMutablePointer<Element> {
        let arena = unmanaged.takeUnretainedValue()
        let stride = MemoryLayout<Element>.stride
        // Counts are kept in UInt32 fields elsewhere; a stack this large is an arena matter.
        guard capacity >= 0, capacity < Int(Int32.max) / max(stride, 1) else {
            throw ModuleError(.arenaFull(use: .validationScratch, requested: Int.max, available: arena.free), at: errorOffset)
        }
        do {
            let raw = try arena.allocateHigh(
                capacity &* stride, alignment: MemoryLayout<Element>.alignment, for: .validationScratch)
            return raw.bindMemory(to: Element.self, capacity: capacity)
        } catch {
            throw ModuleError(error, at: errorOffset)
        }
    }
}
