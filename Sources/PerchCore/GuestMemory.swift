/// A bounds-checked view of one instance's linear memory, the only way host code
/// (WASI, devices) touches guest memory. Host modules depend on this, never on the
/// interpreter (as WasmKit's WASI depends only on its GuestMemory).
///
/// # Invariants
/// - `base ..< base + size` is the instance's linear memory at the moment the view was
///   made; a view must not outlive the host call it was made for (`memory.grow` may
///   change `size` afterwards, never `base`: memory grows in place in the arena).
/// - Every access goes through `range(_:_:)`, the one bounds check for guest pointers.
public struct GuestMemory {
    public let base: UnsafeMutableRawPointer?
    public let size: Int

    public init(base: UnsafeMutableRawPointer?, size: Int) {
        self.base = base
        self.size = size
    }

    /// The bytes `address ..< address + count`, or nil if any lies outside memory.
    @inline(__always)
    public func range(_ address: UInt32, _ count: UInt32) -> UnsafeMutableRawBufferPointer? {
        let end = UInt64(address) &+ UInt64(count)
        guard let base, end <= UInt64(size) else {
            return count == 0 && UInt64(address) <= UInt64(size)
                ? UnsafeMutableRawBufferPointer(start: nil, count: 0) : nil
        }
        return UnsafeMutableRawBufferPointer(start: base + Int(address), count: Int(count))
    }

    @inline(__always)
    public func load<T: FixedWidthInteger>(_ type: T.Type, at address: UInt32) -> T? {
        guard let bytes = range(address, UInt32(MemoryLayout<T>.size)) else { return nil }
        return T(littleEndian: bytes.loadUnaligned(as: T.self))
    }

    /// Stores `value` little-endian; false if it does not fit in memory.
    @inline(__always)
    @discardableResult
    public func store<T: FixedWidthInteger>(_ value: T, at address: UInt32) -> Bool {
        guard let bytes = range(address, UInt32(MemoryLayout<T>.size)) else { return false }
        bytes.storeBytes(of: value.littleEndian, as: T.self)
        return true
    }
}
