// Bounds checks for indices and lengths taken from untrusted input (wasm bytes, guest memory,
// files, the network). `Int(x)` of a UInt32 traps on 32-bit targets (armv7, Cortex-M) when
// x >= 2^31, and an Embedded build dies silently on a trap, so the comparison is made in
// UInt space, where every UInt32 fits. After a `true` answer `Int(index)` cannot trap:
// index < count <= Int.max.

extension UInt32 {
    /// Whether this index selects one of `count` entries (`count` is a size, never negative).
    @inline(__always)
    public func isIndex(below count: Int) -> Bool { UInt(self) < UInt(bitPattern: count) }
}

extension UInt64 {
    /// Whether this index selects one of `count` entries (`count` is a size, never negative).
    @inline(__always)
    public func isIndex(below count: Int) -> Bool { self < UInt64(UInt(bitPattern: count)) }
}
