import PerchValidate

// Branches of the interpreter through the side table (see `SideTable` for the format),
// and conditions fused with the `br_if` or `if` that consumes them.
//
// Helpers of the handlers take their registers as arguments, never as captured variables:
// captured variables are heap-boxed in unoptimised builds and pinned to memory otherwise.
// Unsafe-pointer code: relies on `Machine`'s and `Registers`' invariants and on the side
// table's (entries exist where validation emitted them).

/// Spends one unit of fuel; false when none was left (the unit is not taken).
@inline(__always) func spendFuel(_ regs: UnsafeMutablePointer<Registers>) -> Bool {
    regs.pointee.fuel &-= 1
    return _fastPath(regs.pointee.fuel >= 0)
}

/// Stores the handlers' registers so `run` resumes at `pc`; returns `outcome`.
@inline(__always) func suspend(
    _ regs: UnsafeMutablePointer<Registers>, _ pc: UnsafeRawPointer, _ stp: UnsafeRawPointer,
    _ sp: UnsafeMutablePointer<UInt64>, _ fp: UnsafeMutablePointer<UInt64>, _ outcome: RunOutcome = .outOfFuel
) -> RunOutcome {
    regs.pointee.pc = pc
    regs.pointee.stp = stp
    regs.pointee.sp = sp
    regs.pointee.fp = fp
    return outcome
}

/// A taken branch's stack effect: its `keep` top slots move down over the `drop` beneath.
@inline(__always) func shift(_ sp: UnsafeMutablePointer<UInt64>, _ e: SideTable.Entry) -> UnsafeMutablePointer<UInt64> {
    if e.drop == 0 { return sp }
    let from = sp - e.keep
    copySlots(from: from, to: from - e.drop, count: e.keep)
    return sp - e.drop
}

/// How a handler with several paths goes on: `stop` (the outcome stored), or one of three
/// ways of continuing at `pc`, each with a dispatch jump of its own in perch_dispatch.h,
/// so that the CPU predicts where a taken branch leads apart from where falling through
/// does (and a fused pair's next opcode apart from a single instruction's). A handler that
/// stages a pending operand (`stage`) continues with one of the three ways, `fourth` or
/// `fifth`, or `plain` when it staged none.
enum Way {
    static let stop: UInt8 = 0
    static let next: UInt8 = 1
    static let branch: UInt8 = 2
    static let other: UInt8 = 3
    static let plain: UInt8 = 4
    /// Continue at pc with the stack untouched: the wrapper keeps `tos` as it is instead
    /// of reading it back (block, loop, else, an `end` that does not return).
    static let unmoved: UInt8 = 5
    /// A producer's fourth and fifth ways of continuing with a staged operand.
    static let fourth: UInt8 = 6
    static let fifth: UInt8 = 7
}

/// `br_if` at `pc`, its condition `taken` already popped. Out of fuel on a back-edge, the
/// condition goes back in its slot and the run stops at the `br_if`, to re-execute it.
@inline(__always) func branchIf(
    _ taken: Bool, _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer,
    _ sp: inout UnsafeMutablePointer<UInt64>, _ fp: UnsafeMutablePointer<UInt64>,
    _ regs: UnsafeMutablePointer<Registers>
) -> UInt8 {
    guard taken else {
        fallThrough(&pc, &stp)
        return Way.next
    }
    guard takeBranch(&pc, &stp, &sp, regs) else { return stopAtBrIf(pc, stp, sp, fp, regs) }
    return Way.branch
}

/// Takes the branch at `pc` whose entry is at `stp`: its kept values move down, pc and stp
/// step to the target. A back-edge costs one unit of fuel, paid before it is taken; out
/// of fuel, nothing moves and the result is false.
@inline(__always) func takeBranch(
    _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>,
    _ regs: UnsafeMutablePointer<Registers>
) -> Bool {
    if let jump = SideTable.plainJump(at: stp) {
        if jump.pcDelta <= 0 && !spendFuel(regs) { return false }
        pc += jump.pcDelta
        stp += jump.stpDelta
        return true
    }
    let e = SideTable.entry(at: stp)
    if e.pcDelta <= 0 && !spendFuel(regs) { return false }
    sp = shift(sp, e)
    pc += e.pcDelta
    stp += e.stpDelta
    return true
}

/// Steps past an untaken `br_if` or into an `if`'s then-arm at `pc`, and past its entry.
@inline(__always) func fallThrough(_ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer) {
    pc += 1
    skipLEB(&pc)
    stp += SideTable.branchSize
}

/// Out of fuel at a taken `br_if`: its condition goes back on the stack and the run stops
/// there.
@inline(__always) func stopAtBrIf(
    _ pc: UnsafeRawPointer, _ stp: UnsafeRawPointer, _ sp: UnsafeMutablePointer<UInt64>,
    _ fp: UnsafeMutablePointer<UInt64>, _ regs: UnsafeMutablePointer<Registers>
) -> UInt8 {
    sp[0] = 1
    regs.pointee.outcome = suspend(regs, pc, stp, sp + 1, fp)
    return Way.stop
}

/// `if` at `pc`, its condition already popped: into the then-arm, or to the else-arm or
/// past `end`.
@inline(__always) func enterIf(_ condition: Bool, _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer) -> UInt8 {
    if condition {
        fallThrough(&pc, &stp)
        return Way.next
    }
    jumpForward(&pc, &stp)
    return Way.branch
}

/// Takes the forward branch of an `if` or `else` at `pc`: nothing to pay, no values move.
@inline(__always) func jumpForward(_ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer) {
    if let jump = SideTable.plainJump(at: stp) {
        pc += jump.pcDelta
        stp += jump.stpDelta
    } else {
        let e = SideTable.entry(at: stp)
        pc += e.pcDelta
        stp += e.stpDelta
    }
}

/// The result of a test whose operands are popped, `pc` stepped past it: when a `br_if` or
/// `if` follows, as it usually does, that instruction consumes it at once (one dispatch
/// for the pair, the value never stored); otherwise it is pushed as 1 or 0. An `i32.eqz`
/// between them (compilers write `x; i64.eqz; i32.eqz; if` for `x != 0`) inverts it.
/// `test` is evaluated where it is used, so a branch is taken on the comparison's flags.
@inline(__always) func consume(
    _ test: () -> Bool, _ pc: inout UnsafeRawPointer, _ stp: inout UnsafeRawPointer,
    _ sp: inout UnsafeMutablePointer<UInt64>, _ fp: UnsafeMutablePointer<UInt64>,
    _ regs: UnsafeMutablePointer<Registers>
) -> UInt8 {
    // br_if first: the commonest consumer pays for one comparison.
    let next = pc.load(as: UInt8.self)
    if _fastPath(next == 0x0D) { return branchIf(test(), &pc, &stp, &sp, fp, regs) }
    if next == 0x04 { return enterIf(test(), &pc, &stp) }
    guard next == 0x45 else {
        push(&sp, test() ? 1 : 0)
        return Way.other
    }
    pc += 1
    switch pc.load(as: UInt8.self) {
    case 0x0D:
        return branchIf(!test(), &pc, &stp, &sp, fp, regs)
    case 0x04:
        return enterIf(!test(), &pc, &stp)
    default:
        push(&sp, test() ? 0 : 1)
        return Way.other
    }
}

/// An integer comparison of the top two operands (`second` and `tos`), consumed by a
/// following branch (see `consume`).
@inline(__always) func condition<T>(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ second: UInt64, _ tos: UInt64,
    _ stp: inout UnsafeRawPointer, _ fp: UnsafeMutablePointer<UInt64>, _ regs: UnsafeMutablePointer<Registers>,
    _ operand: (UInt64) -> T, _ test: (T, T) -> Bool
) -> UInt8 {
    sp -= 2
    pc += 1
    return consume({ test(operand(second), operand(tos)) }, &pc, &stp, &sp, fp, regs)
}

/// `eqz` of the top operand, consumed by a following branch (see `consume`).
@inline(__always) func zeroCondition<T: FixedWidthInteger>(
    _ pc: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ tos: UInt64,
    _ stp: inout UnsafeRawPointer, _ fp: UnsafeMutablePointer<UInt64>, _ regs: UnsafeMutablePointer<Registers>,
    _ operand: (UInt64) -> T
) -> UInt8 {
    sp -= 1
    pc += 1
    return consume({ operand(tos) == 0 }, &pc, &stp, &sp, fp, regs)
}
