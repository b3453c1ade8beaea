import PerchCore
import PerchDecode

/// Reads immediates out of a function body or constant expression, in place.
///
/// # Invariants
/// - `pc <= end`, and both lie in the same buffer of module bytes; every load first
///   checks `pc < end` (or `end - pc >= n`), so no read leaves the body.
struct CodeReader {
    var pc: UnsafeRawPointer
    let end: UnsafeRawPointer

    init(start: UnsafeRawPointer, end: UnsafeRawPointer) {
        self.pc = start
        self.end = end
    }

    var atEnd: Bool { pc >= end }

    @inline(__always)
    mutating func byte() throws(ModuleErrorKind) -> UInt8 {
        guard pc < end else { throw .invalid(.unexpectedEndOfFunction) }
        let b = pc.load(as: UInt8.self)
        pc += 1
        return b
    }

    @inline(__always)
    func peek() -> UInt8? {
        pc < end ? pc.load(as: UInt8.self) : nil
    }

    @inline(__always)
    mutating func skip(_ count: Int) throws(ModuleErrorKind) {
        guard end - pc >= count else { throw .invalid(.unexpectedEndOfFunction) }
        pc += count
    }

    /// A reserved byte that must be exactly 0x00 (a one-byte zero, not a longer LEB128 zero).
    @inline(__always)
    mutating func zeroByte() throws(ModuleErrorKind) {
        guard try byte() == 0 else { throw .invalid(.zeroByteExpected) }
    }

    /// Unsigned LEB128, at most 5 bytes, unused bits of the last byte zero (spec 5.2.2).
    @inline(__always)
    mutating func u32() throws(ModuleErrorKind) -> UInt32 {
        if pc < end {
            let b = pc.load(as: UInt8.self)
            if b < 0x80 {
                pc += 1
                return UInt32(b)
            }
        }
        return try u32Long()
    }

    @inline(never)
    mutating func u32Long() throws(ModuleErrorKind) -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            let b = try byte()
            if shift == 28 {
                if b & 0x80 != 0 { throw .invalid(.integerRepresentationTooLong) }
                if b & 0x70 != 0 { throw .invalid(.integerTooLarge) }
            }
            result |= UInt32(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift &+= 7
        }
    }

    /// Signed LEB128 of `bits` (32, 33 or 64) significant bits; the unused bits of the
    /// last byte must repeat the sign (spec 5.2.2).
    @inline(__always)
    mutating func signed(bits: Int) throws(ModuleErrorKind) -> Int64 {
        if pc < end {
            let b = pc.load(as: UInt8.self)
            if b < 0x80 {
                pc += 1
                return Int64(Int8(bitPattern: b << 1) >> 1)
            }
        }
        return try signedLong(bits: bits)
    }

    @inline(never)
    mutating func signedLong(bits: Int) throws(ModuleErrorKind) -> Int64 {
        var result: UInt64 = 0
        var shift = 0
        let lastShift = ((bits &- 1) / 7) &* 7
        while true {
            let b = try byte()
            if shift == lastShift {
                if b & 0x80 != 0 { throw .invalid(.integerRepresentationTooLong) }
                // Bits at and above `bits - shift` must all equal the sign bit.
                let usedBits = bits &- shift
                let signAndUnused = Int8(bitPattern: b << 1) >> Int8(usedBits)
                if signAndUnused != 0 && signAndUnused != -1 { throw .invalid(.integerTooLarge) }
            }
            result |= UInt64(b & 0x7F) << UInt64(shift)
            shift &+= 7
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 { result |= ~0 << UInt64(shift) }
                return Int64(bitPattern: result)
            }
        }
    }
}
