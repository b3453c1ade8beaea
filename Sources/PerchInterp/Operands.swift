import PerchCore
import PerchValidate

// Stack effects of the interpreter's simple instructions, one helper per shape, so each
// opcode's handler is one line that names its operation. All are `@inline(__always)` and
// take the handler's registers `inout` (inlined, they stay in registers; a helper is never
// given a captured variable). On entry `pc` is at the opcode; each helper steps past the
// instruction.
//
// Unsafe-pointer code: relies on `Machine`'s invariants (the validator's operand counts
// guarantee the slots read below `sp` exist and `maxStackSlots` the one written above) and
// on `MemoryRecord`'s (`base ..< base + byteCount` is the memory).

/// Pushes `value`.
@inline(__always) func push(_ sp: inout UnsafeMutablePointer<UInt64>, _ value: UInt64) {
    sp[0] = value
    sp += 1
}

/// Makes `value` the pending operand of the next instruction: it travels to the next
/// handler in a register, where it becomes the top, its slot the one a push would use, not
/// yet counted by `sp` (perch_dispatch.h). On 64-bit targets the slot is written by that
/// handler's pending entry, and only if the value stays on the stack; on 32-bit ARM, where
/// the pending operand travels in memory, it is written here.
@inline(__always) func stage(_ value: UInt64, _ sp: UnsafeMutablePointer<UInt64>, _ pending: inout UInt64) {
    #if _pointerBitWidth(_32)
    sp[0] = value
    #endif
    pending = value
}

/// `op(top)` replacing the top operand.
@inline(__always) func unary(
    _ pc: inout UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>, _ tos: UInt64, _ op: (UInt64) -> UInt64
) {
    pc += 1
    sp[-1] = op(tos)
}

/// `op(a, b)` replacing the top two operands `a b` (`second` and `tos`).
@inline(__always) func binary(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ second: UInt64, _ tos: UInt64,
    _ op: (UInt64, UInt64) -> UInt64
) {
    pc += 1
    sp -= 1
    sp[-1] = op(second, tos)
}

@inline(__always) func i32Unary(
    _ pc: inout UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>, _ tos: UInt64, _ op: (UInt32) -> UInt32
) {
    unary(&pc, sp, tos) { slot(op(u32($0))) }
}

@inline(__always) func i32Binary(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ second: UInt64, _ tos: UInt64,
    _ op: (UInt32, UInt32) -> UInt32
) {
    binary(&pc, &sp, second, tos) { slot(op(u32($0), u32($1))) }
}

/// A comparison of the top two operands, pushing 1 or 0.
@inline(__always) func compare<T>(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ second: UInt64, _ tos: UInt64,
    _ operand: (UInt64) -> T, _ test: (T, T) -> Bool
) {
    binary(&pc, &sp, second, tos) { test(operand($0), operand($1)) ? 1 : 0 }
}

@inline(__always) func f32Unary(
    _ pc: inout UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>, _ tos: UInt64, _ op: (Float) -> Float
) {
    unary(&pc, sp, tos) { slot(bits(op(f32(u32($0))))) }
}

@inline(__always) func f32Binary(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ second: UInt64, _ tos: UInt64,
    _ op: (Float, Float) -> Float
) {
    binary(&pc, &sp, second, tos) { slot(bits(op(f32(u32($0)), f32(u32($1))))) }
}

@inline(__always) func f64Unary(
    _ pc: inout UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>, _ tos: UInt64, _ op: (Double) -> Double
) {
    unary(&pc, sp, tos) { bits(op(f64($0))) }
}

@inline(__always) func f64Binary(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ second: UInt64, _ tos: UInt64,
    _ op: (Double, Double) -> Double
) {
    binary(&pc, &sp, second, tos) { bits(op(f64($0), f64($1))) }
}

// Instructions that can trap return false after storing the trap (`trapped`), the
// handler's own result: a trap is only a `TrapKind` until then, so the fast path builds
// nothing and keeps no stack frame for it.

/// An i32 division or remainder. (Not generic over the width: a generic version left its
/// operation an out-of-line closure call.)
@inline(__always) func i32Checked(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ second: UInt64, _ tos: UInt64,
    _ regs: UnsafeMutablePointer<Registers>, _ op: (UInt32, UInt32) -> Result<UInt32, TrapKind>
) -> Bool {
    switch op(u32(second), u32(tos)) {
    case .success(let v):
        sp -= 1
        sp[-1] = slot(v)
        pc += 1
        return true
    case .failure(let kind):
        return trapped(regs, kind, at: pc)
    }
}

/// `op(a, b)` of two i64 operands `a b` (`second` and `tos`), its result placed by
/// `i64Result`.
@inline(__always) func i64Binary(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ fp: UnsafeMutablePointer<UInt64>,
    _ second: UInt64, _ tos: UInt64, _ op: (UInt64, UInt64) -> UInt64
) -> UInt8 {
    i64Result(op(second, tos), &pc, &sp, fp)
}

/// An i64 division or remainder; a result is placed by `i64Result`.
@inline(__always) func i64Checked(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ fp: UnsafeMutablePointer<UInt64>,
    _ second: UInt64, _ tos: UInt64, _ regs: UnsafeMutablePointer<Registers>,
    _ op: (UInt64, UInt64) -> Result<UInt64, TrapKind>
) -> UInt8 {
    switch op(second, tos) {
    case .success(let v): return i64Result(v, &pc, &sp, fp)
    case .failure(let kind):
        _ = trapped(regs, kind, at: pc)
        return Way.stop
    }
}

/// The result `v` of the i64 operation on two operands at `pc`, the operands still on the
/// stack. In wasm32 code a 64-bit result is a value, not an address, and compilers keep it
/// in a local: a following `local.set` with a one-byte index (48% of mulmod64's 115 M i64
/// operations) takes it straight into its local, with the `local.get` after it when there
/// is one, one dispatch fewer. The i32 operations do not look: there the compare cost the
/// programs whose results rarely go to a local more than it saved the others
/// (docs/interpreter.md, sessions 16 and 17).
@inline(__always) func i64Result(
    _ v: UInt64, _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>,
    _ fp: UnsafeMutablePointer<UInt64>
) -> UInt8 {
    if _slowPath(byte(pc, 1) == 0x21), let index = localIndex(at: pc + 1, oneByteIndices: false) {
        fp[index] = v
        if let next = localGet(at: pc + 3, oneByteIndices: false) {
            sp -= 1
            sp[-1] = fp[next]
            pc += 5
            return Way.other
        }
        sp -= 2
        pc += 3
        return Way.branch
    }
    sp -= 1
    sp[-1] = v
    pc += 1
    return Way.next
}

/// A conversion that can trap (float to integer truncation).
@inline(__always) func checkedUnary<T>(
    _ pc: inout UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>, _ tos: UInt64,
    _ regs: UnsafeMutablePointer<Registers>, _ op: (UInt64) -> Result<T, TrapKind>, _ result: (T) -> UInt64
) -> Bool {
    switch op(tos) {
    case .success(let v):
        sp[-1] = result(v)
        pc += 1
        return true
    case .failure(let kind):
        return trapped(regs, kind, at: pc)
    }
}

// MARK: - Memory

/// The effective address of an access of `size` bytes at the memarg after the opcode at
/// `pc` and the address operand `base`, stepping `pc` past the memarg (and `stp` past its
/// immediate entry, when it has one: a memarg of more than two bytes, see `SideTable`); nil,
/// `pc` and `stp` unchanged, when the access is out of bounds. The interpreter's one bounds
/// check of guest addresses.
@inline(__always) func effectiveAddress(
    _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer, _ base: UInt64, size: UInt64,
    _ regs: UnsafeMutablePointer<Registers>
) -> Int? {
    let inPlace = _fastPath(!SideTable.hasEntry(memargAt: pc + 1))  // both one-byte LEBs: the usual case
    let (offset, length) = inPlace ? (UInt32(byte(pc, 2)), 3) : SideTable.immediate32(at: stp)
    let ea = slot(u32(base)) &+ slot(offset)
    guard _fastPath(ea &+ size <= regs.pointee.memSize) else { return nil }
    pc += length
    if !inPlace { stp += SideTable.immediate32Size }
    return Int(truncatingIfNeeded: ea)
}

/// Loads a `T` at the address on top of the stack and stores `extend(value)` in its slot.
@inline(__always) func load<T: FixedWidthInteger & BitwiseCopyable>(
    _: T.Type, _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>,
    _ tos: UInt64, _ regs: UnsafeMutablePointer<Registers>, _ extend: (T) -> UInt64
) -> Bool {
    guard let a = effectiveAddress(&pc, &stp, tos, size: UInt64(MemoryLayout<T>.size), regs) else {
        return trapped(regs, .outOfBoundsMemoryAccess, at: pc)
    }
    sp[-1] = extend(regs.pointee.memBase.loadUnaligned(fromByteOffset: a, as: T.self))
    return true
}

/// An i32/f32 load of a `T`, sign- or zero-extended as `T` is signed or not.
@inline(__always) func load32<T: FixedWidthInteger & BitwiseCopyable>(
    _: T.Type, _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>,
    _ tos: UInt64, _ regs: UnsafeMutablePointer<Registers>
) -> Bool {
    load(T.self, &pc, &stp, sp, tos, regs) { slot(UInt32(truncatingIfNeeded: $0)) }
}

/// An i64/f64 load of a `T`, sign- or zero-extended as `T` is signed or not.
@inline(__always) func load64<T: FixedWidthInteger & BitwiseCopyable>(
    _: T.Type, _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>,
    _ tos: UInt64, _ regs: UnsafeMutablePointer<Registers>
) -> Bool {
    load(T.self, &pc, &stp, sp, tos, regs) { slot(extending: $0) }
}

/// Stores the low `T` of the top operand at the address beneath it (`second`).
@inline(__always) func store<T: FixedWidthInteger & BitwiseCopyable>(
    _: T.Type, _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>,
    _ second: UInt64, _ tos: UInt64, _ regs: UnsafeMutablePointer<Registers>
) -> Bool {
    guard let a = effectiveAddress(&pc, &stp, second, size: UInt64(MemoryLayout<T>.size), regs) else {
        return trapped(regs, .outOfBoundsMemoryAccess, at: pc)
    }
    regs.pointee.memBase.storeBytes(of: T(truncatingIfNeeded: tos), toByteOffset: a, as: T.self)
    sp -= 2
    return true
}

/// Moves `count` slots down the stack (`to` <= `from`); counts are small (a label's arity),
/// so a loop beats a call to memmove.
@inline(__always) func copySlots(from: UnsafeMutablePointer<UInt64>, to: UnsafeMutablePointer<UInt64>, count: Int) {
    var i = 0
    while i < count {
        to[i] = from[i]
        i &+= 1
    }
}
