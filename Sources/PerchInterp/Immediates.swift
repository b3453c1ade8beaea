// LEB128 immediates read in place from validated code (validation guarantees every
// immediate is well formed and ends before the function's final `end`, so readers need no
// bounds checks). Single-byte values, by far the most common, take a short fast path;
// longer ones continue in code that is inlined too: a call, even on a cold path, makes a
// handler save its registers around it, and its frame set-up runs on every execution.

import PerchValidate

@inline(__always) func u32(_ v: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: v) }

// Widening into a 64-bit slot. The standard library's conversions to UInt64 and Int64
// (`UInt64(x)`, `UInt64(truncatingIfNeeded:)`) stay out-of-line calls on 32-bit ARM
// (`FixedWidthInteger._truncatingInit`, emitted in another file's object), which made
// nearly every handler there save registers around a call; these compile to one
// zero- or sign-extension on every target.

/// `v` zero-extended.
@inline(__always) func slot(_ v: UInt32) -> UInt64 { UInt64(_truncatingBits: UInt(v)) }

/// `v` sign-extended.
@inline(__always) func slot(signExtending v: Int32) -> UInt64 {
    (slot(UInt32(bitPattern: v)) ^ 0x8000_0000) &- 0x8000_0000
}

/// `v` extended to 64 bits as its signedness says.
@inline(__always) func slot<T: FixedWidthInteger>(extending v: T) -> UInt64 {
    if T.bitWidth == 64 { return unsafeBitCast(v, to: UInt64.self) }
    if T.isSigned { return slot(signExtending: Int32(truncatingIfNeeded: v)) }
    return slot(UInt32(truncatingIfNeeded: v))
}

/// The byte at `p + offset`. The handlers read code bytes through this, not through
/// `load(fromByteOffset:as:)` directly: that one is not `@inline(__always)`, and in a large
/// caller (the one-loop interpreter was one) the optimiser stops inlining such functions
/// (docs/interpreter.md, step 5). Inside a small helper like this it is inlined before the
/// helper is.
@inline(__always) func byte(_ p: UnsafeRawPointer, _ offset: Int = 0) -> UInt8 {
    p.load(fromByteOffset: offset, as: UInt8.self)
}

/// An unaligned little-endian `T` at `p` (f32/f64.const immediates), as `byte`.
@inline(__always) func unaligned<T: BitwiseCopyable>(_ p: UnsafeRawPointer, as: T.Type) -> T {
    p.loadUnaligned(as: T.self)
}

/// The value of a one-byte signed LEB128 `b` (below 0x80): bit 6 is the sign. Flipping it
/// and subtracting it back sign-extends in two instructions; shifts took three and a move
/// (i32.const: 11 -> 9 instructions).
@inline(__always) func signedByte(_ b: UInt8) -> Int32 { Int32(b ^ 0x40) &- 0x40 }

/// `signedByte(b)` sign-extended to a 64-bit slot, the same way.
@inline(__always) func signedByteSlot(_ b: UInt8) -> UInt64 { slot(UInt32(b ^ 0x40)) &- 0x40 }

@inline(__always) func readU32(_ pc: inout UnsafeRawPointer) -> UInt32 {
    let b = pc.load(as: UInt8.self)
    pc += 1
    if _fastPath(b < 0x80) { return UInt32(b) }
    let (value, next) = readU32Slow(UInt32(b & 0x7F), pc)
    pc = next
    return value
}

/// Runs `body` with the u32 immediate at `pc + offset` (as an `Int`: indices are u32, the
/// conversion never traps) after stepping `pc` past it. A one-byte value takes a path of
/// its own that does not join the multi-byte one: with a join, the handler's code after
/// the read was placed out of line, two jumps per instruction (docs/interpreter.md).
@inline(__always) func withIndex(_ pc: inout UnsafeRawPointer, after offset: Int, _ body: (Int) -> Void) {
    let b = (pc + offset).load(as: UInt8.self)
    if _fastPath(b < 0x80) {
        pc += offset &+ 1
        body(Int(b))
    } else {
        var at = pc + offset
        let value = readIndex(&at)
        pc = at
        body(value)
    }
}

/// The 32-bit value of the immediate entry of the instruction at `pc` (its multi-byte
/// immediate, decoded by validation; see `SideTable`), stepping `pc` past the instruction
/// and `stp` past the entry.
@inline(__always) func takeImmediate32(_ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer) -> UInt32 {
    let (value, length) = SideTable.immediate32(at: stp)
    pc += length
    stp += SideTable.immediate32Size
    return value
}

/// An index immediate as an `Int` (indices are u32; the conversion never traps).
@inline(__always) func readIndex(_ pc: inout UnsafeRawPointer) -> Int {
    Int(truncatingIfNeeded: readU32(&pc))
}

/// Multi-byte LEB128 continuation after the first byte's `low` 7 bits. Validation
/// guarantees at most five bytes, the last one without a continuation bit, so it is
/// unrolled: every shift is a constant and no count lives in a register. (Written when
/// x86-64's shift-count register, rcx, carried a handler argument and a loop here moved
/// it out and back in every handler; with `preserve_none` it carries none.)
@inline(__always) func readU32Slow(_ low: UInt32, _ start: UnsafeRawPointer) -> (UInt32, UnsafeRawPointer) {
    var result = low
    var b = UInt32(byte(start))
    result |= (b & 0x7F) &<< 7
    if b < 0x80 { return (result, start + 1) }
    b = UInt32(byte(start, 1))
    result |= (b & 0x7F) &<< 14
    if b < 0x80 { return (result, start + 2) }
    b = UInt32(byte(start, 2))
    result |= (b & 0x7F) &<< 21
    if b < 0x80 { return (result, start + 3) }
    result |= UInt32(byte(start, 3)) &<< 28
    return (result, start + 4)
}

@inline(__always) func skipLEB(_ pc: inout UnsafeRawPointer) {
    if _slowPath(pc.load(as: UInt8.self) >= 0x80) {
        while pc.load(as: UInt8.self) >= 0x80 { pc += 1 }
    }
    pc += 1
}

/// A signed i32 LEB128 (constant expressions; validated code keeps multi-byte constants in
/// the side table).
@inline(__always) func readS32(_ pc: inout UnsafeRawPointer) -> UInt32 {
    u32(readS64(&pc))
}

@inline(__always) func readS64(_ pc: inout UnsafeRawPointer) -> UInt64 {
    let b = pc.load(as: UInt8.self)
    pc += 1
    if _fastPath(b < 0x80) { return signedByteSlot(b) }
    let (value, next) = readSignedSlow(slot(UInt32(b & 0x7F)), pc)
    pc = next
    return value
}

/// Signed LEB128 continuation, sign-extended to 64 bits (a loop: only constant
/// expressions read these; an i32 takes the low half).
@inline(__always) func readSignedSlow(_ low: UInt64, _ start: UnsafeRawPointer) -> (UInt64, UnsafeRawPointer) {
    var pc = start
    var result = low
    var shift: UInt64 = 7
    while true {
        let b = pc.load(as: UInt8.self)
        pc += 1
        result |= slot(UInt32(b & 0x7F)) &<< shift
        shift &+= 7
        if b < 0x80 {
            if shift < 64 && (b & 0x40) != 0 { result |= ~0 &<< shift }
            return (result, pc)
        }
    }
}
