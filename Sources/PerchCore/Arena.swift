/// The one fixed-size block of memory everything a module needs is carved from.
///
/// Perch never grows the heap after start-up (DEVELOPERS.md): module bytes, decoded
/// metadata, side tables, globals, tables, stacks and linear memory all live here.
///
/// ```
///  base                                                            base+capacity
///  |  low region (grows up) ->  |        free        |  <- high region (grows down) |
///  | module bytes | ... | linear memory  ->         |   <- metadata, stacks, ...   |
///                                ^lowTop             ^highBottom
/// ```
/// Two ends let data of unknown final size (module bytes arriving in chunks, then linear
/// memory, which `memory.grow` extends in place) grow at the low end while fixed-size
/// records are taken from the high end. `memory.grow` succeeds only while the gap has room.
///
/// # Invariants
/// - `base ..< base + capacity` is owned by this arena for its whole life and is never
///   freed or moved while the arena lives.
/// - `0 <= lowTop <= highBottom <= capacity` at all times; every pointer handed out lies
///   in `base ..< base + lowTop` or `base + highBottom ..< base + capacity`.
/// - A pointer handed out stays valid until a `reset(low:)`/`reset(high:)` to a mark taken
///   before it was handed out; callers that keep pointers never reset below them.
/// - Bytes in `neverUsedLow ..< neverUsedHigh` have never been handed out; when the memory
///   came zero-filled (fresh pages from the system) they are still zero, so zeroed
///   allocations clear only bytes outside that range. Untouched pages of an mmap'd arena
///   cost no resident memory: a 64 MB arena running a small module keeps a few pages.
public final class Arena {
    public let base: UnsafeMutableRawPointer
    public let capacity: Int
    /// Bytes used at the low end (offset of the first free byte).
    public private(set) var lowTop: Int = 0
    /// Offset of the first byte used at the high end.
    public private(set) var highBottom: Int
    /// Highest number of bytes ever in use at once: the figure to size a board's arena by.
    public private(set) var highWaterMark: Int = 0
    /// Highest `lowTop` and lowest `highBottom` ever reached: the bytes between them are
    /// still as the arena received them; empty when that content was not known to be zero.
    private var neverUsedLow: Int = 0
    private var neverUsedHigh: Int
    private let ownsMemory: Bool

    /// Takes `capacity` bytes from the system once; this is the only allocation Perch makes
    /// proportional to what it runs.
    public init(capacity: Int) throws(ArenaError) {
        guard capacity > 0, let memory = arenaSystemAllocate(capacity) else {
            throw ArenaError(use: .arena, requested: capacity, available: 0)
        }
        self.base = memory.pointer
        self.capacity = capacity
        self.highBottom = capacity
        // Memory of unknown content counts as used everywhere, so zeroing clears all of it.
        self.neverUsedHigh = memory.isZeroFilled ? capacity : 0
        self.ownsMemory = true
    }

    /// Wraps memory the caller owns (bare metal: a static buffer from the linker script).
    /// The caller keeps `memory` alive and untouched for the arena's life; `isZeroFilled`
    /// when it is known to hold only zero bytes (a `.bss` buffer before first use).
    public init(memory: UnsafeMutableRawPointer, capacity: Int, isZeroFilled: Bool = false) {
        self.base = memory
        self.capacity = capacity
        self.highBottom = capacity
        self.neverUsedHigh = isZeroFilled ? capacity : 0
        self.ownsMemory = false
    }

    deinit {
        if ownsMemory { arenaSystemFree(base, byteCount: capacity) }
    }

    public var free: Int { highBottom - lowTop }
    public var used: Int { lowTop + (capacity - highBottom) }

    /// Takes `byteCount` bytes at the low end, aligned to `alignment` (a power of two);
    /// all zero when `zeroed` (linear memory), otherwise of unspecified content.
    public func allocateLow(
        _ byteCount: Int, alignment: Int = 8, zeroed: Bool = false, for use: ArenaUse
    ) throws(ArenaError) -> UnsafeMutableRawPointer {
        let start = (lowTop &+ alignment &- 1) & ~(alignment &- 1)
        guard byteCount >= 0, start <= highBottom, byteCount <= highBottom &- start else {
            throw ArenaError(use: use, requested: byteCount, available: max(0, highBottom - start))
        }
        if zeroed { zeroUsedBytes(start, start &+ byteCount) }
        lowTop = start &+ byteCount
        noteUsage()
        return base + start
    }

    /// Takes `byteCount` bytes at the high end, aligned to `alignment` (a power of two);
    /// all zero when `zeroed`, otherwise of unspecified content.
    public func allocateHigh(
        _ byteCount: Int, alignment: Int = 8, zeroed: Bool = false, for use: ArenaUse
    ) throws(ArenaError) -> UnsafeMutableRawPointer {
        guard byteCount >= 0, byteCount <= highBottom else {
            throw ArenaError(use: use, requested: byteCount, available: free)
        }
        let start = (highBottom &- byteCount) & ~(alignment &- 1)
        guard start >= lowTop else {
            throw ArenaError(use: use, requested: byteCount, available: free)
        }
        if zeroed { zeroUsedBytes(start, start &+ byteCount) }
        highBottom = start
        noteUsage()
        return base + start
    }

    /// Typed allocation at the high end; memory is zero-filled.
    public func allocateHigh<T>(
        _ type: T.Type, count: Int, for use: ArenaUse
    ) throws(ArenaError) -> UnsafeMutableBufferPointer<T> {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard count >= 0, !overflow else {
            throw ArenaError(use: use, requested: Int.max, available: free)
        }
        let raw = try allocateHigh(bytes, alignment: max(MemoryLayout<T>.alignment, 1), zeroed: true, for: use)
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count)
    }

    /// Typed allocation at the low end; memory is zero-filled.
    public func allocateLow<T>(
        _ type: T.Type, count: Int, for use: ArenaUse
    ) throws(ArenaError) -> UnsafeMutableBufferPointer<T> {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard count >= 0, !overflow else {
            throw ArenaError(use: use, requested: Int.max, available: free)
        }
        let raw = try allocateLow(bytes, alignment: max(MemoryLayout<T>.alignment, 1), zeroed: true, for: use)
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count)
    }

    /// Extends the most recent low allocation, which must end at `lowTop`, by `byteCount`
    /// bytes in place. This is how module bytes arriving in chunks and `memory.grow` work;
    /// the new bytes are zero when `zeroed`.
    public func extendLow(by byteCount: Int, zeroed: Bool = false, for use: ArenaUse) throws(ArenaError) {
        guard byteCount >= 0, byteCount <= highBottom &- lowTop else {
            throw ArenaError(use: use, requested: byteCount, available: free)
        }
        if zeroed { zeroUsedBytes(lowTop, lowTop &+ byteCount) }
        lowTop &+= byteCount
        noteUsage()
    }

    /// Gives back the end of the low region (shrinks a low allocation that ends at `lowTop`).
    public func shrinkLow(by byteCount: Int) {
        lowTop = max(0, lowTop - max(0, byteCount))
    }

    /// A position to return to with `reset`: everything taken after it is given back.
    public struct Mark: Sendable, Equatable {
        public let low: Int
        public let high: Int
    }

    public var mark: Mark { Mark(low: lowTop, high: highBottom) }

    /// Gives back everything taken since `mark` at both ends.
    public func reset(to mark: Mark) {
        lowTop = min(lowTop, mark.low)
        highBottom = max(highBottom, mark.high)
    }

    private func noteUsage() {
        let inUse = lowTop &+ (capacity &- highBottom)
        if inUse > highWaterMark { highWaterMark = inUse }
        if lowTop > neverUsedLow { neverUsedLow = lowTop }
        if highBottom < neverUsedHigh { neverUsedHigh = highBottom }
    }

    /// Zero-fills the offsets `start ..< end` (free space about to be handed out) except
    /// where they lie in the never-used range, which is zero already; called before
    /// `noteUsage` moves that range.
    private func zeroUsedBytes(_ start: Int, _ end: Int) {
        let lowEnd = min(end, neverUsedLow)
        if start < lowEnd { (base + start).initializeMemory(as: UInt8.self, repeating: 0, count: lowEnd &- start) }
        let highStart = max(start, neverUsedHigh)
        if highStart < end { (base + highStart).initializeMemory(as: UInt8.self, repeating: 0, count: end &- highStart) }
    }
}

/// What a piece of arena memory is for, so a full arena names what did not fit.
public enum ArenaUse: UInt8, Sendable {
    case arena
    case moduleBytes
    case moduleMetadata
    case validationScratch
    case sideTable
    case linearMemory
    case table
    case globals
    case elementSegments
    case dataSegments
    case valueStack
    case callStack
    case instance
    case host

    public var name: StaticString {
        switch self {
        case .arena: return "arena"
        case .moduleBytes: return "module bytes"
        case .moduleMetadata: return "module metadata"
        case .validationScratch: return "validation scratch"
        case .sideTable: return "side table"
        case .linearMemory: return "linear memory"
        case .table: return "table"
        case .globals: return "globals"
        case .elementSegments: return "element segments"
        case .dataSegments: return "data segments"
        case .valueStack: return "value stack"
        case .callStack: return "call stack"
        case .instance: return "instance"
        case .host: return "host module state"
        }
    }
}

/// The arena had no room for a request.
public struct ArenaError: Error, Sendable, Equatable {
    public let use: ArenaUse
    public let requested: Int
    public let available: Int

    public init(use: ArenaUse, requested: Int, available: Int) {
        self.use = use
        self.requested = requested
        self.available = available
    }

    public var message: String {
        "arena full: \(use.name) needs \(requested) bytes, \(available) free"
    }
}
