import CPerchDispatch
import PerchCore
import PerchDecode
import PerchValidate

// The in-place interpreter: executes validated function bodies from the module's own
// bytes, taking branches through the validator's side table.
//
// One handler per opcode byte: `perch_op_XX` below implements opcode 0xXX. CPerchDispatch
// wraps each in a C function that runs it inlined and then jumps to the next opcode's with
// a guaranteed tail call, so each handler is compiled on its own, its registers are its
// own, and the native stack never grows (perch_dispatch.h says how). Every handler takes
// the run's hot state in registers: `pc` (at the opcode; the handler steps past its
// instruction, so a branch or trap needs no copy of it), `sp`, `fp`, `stp` (the next
// side-table entry), `regs`, the arena's `Registers` with everything else, `tos` and
// `second`, the values of `sp[-1]` and `sp[-2]`, to read the top two operands from (stores
// still go to memory). It returns true to continue at `pc`, or false after storing how the
// run stops (`proceed`, `trapped`); a handler with several paths returns a `Way` instead
// (Branches.swift). local.get, local.tee and the integer constants stage a pending operand
// for the next handler instead of pushing it (`stage`; perch_dispatch.h).
//
// Every handler must be in this file: ClangImporter emits the C functions into the LLVM
// module of the file that calls `perch_enter`, and only handlers defined in that module
// can be inlined into them.
//
// Unsafe-pointer code: every access relies on the invariants of `Machine` (stacks),
// `Registers`, `Records.swift` (records, memory) and on validation (well-formed
// immediates, operand counts, in-range indices). Guest addresses are checked in
// `effectiveAddress` (Operands.swift), table indices here. Arithmetic wraps; one-byte LEB
// immediates take a fast path.

typealias Code = UnsafeRawPointer
typealias Slots = UnsafeMutablePointer<UInt64>
typealias Regs = UnsafeMutablePointer<Registers>

extension Machine {
    /// Runs the started call until it finishes, traps, runs out of `fuel` or a host
    /// function suspends it. Fuel is spent one unit per call and per loop back-edge: the
    /// points where a run can stop, and enough to bound any run.
    /// `@export(interface)`: Embedded Swift would otherwise emit this function's body in
    /// client modules too, and with it the dispatch functions, without the handlers they
    /// inline (see the top of this file).
    @export(interface)
    public func run(fuel budget: Int) throws(Trap) -> RunOutcome {
        guard status == .runnable else { return .finished }
        if let host = pendingHost {
            pendingHost = nil
            let outcome = try Machine.callHost(host, args: stackBase, memory: nil)
            switch outcome {
            case .done: status = .idle; return .finished
            case .suspend(let ns): status = .idle; return .hostSuspended(wakeAfterNanoseconds: ns)
            case .exit(let code): status = .idle; return .exited(code: code)
            case .trap(let t): status = .idle; throw Trap(TrapKind(t), function: host.pointee.index, functionName: nil, offset: 0)
            }
        }
        let regs = registers
        regs.pointee.fuel = budget
        // While suspended, code on another machine may have grown the memory.
        regs.pointee.reloadMemory()
        regs.pointee.trap = nil
        while true {
            perch_enter(
                regs.pointee.pc, regs.pointee.sp, regs.pointee.fp, UnsafeMutableRawPointer(regs), regs.pointee.stp,
                regs.pointee.instance.pointee.oneByteLocalIndices)
            // A call or return into an instance whose code takes the other set of local
            // handlers stops the chain to continue with that set (`switchInstance`).
            if regs.pointee.handlerSetChanged {
                regs.pointee.handlerSetChanged = false
                continue
            }
            // A call of a host function stops the chain (`call`); it runs here, and
            // execution continues after the call instruction.
            guard let callee = regs.pointee.hostCallee else { break }
            regs.pointee.hostCallee = nil
            guard callHostFunction(callee, regs) else { break }
        }
        if let trap = regs.pointee.trap {
            status = .idle
            throw trap
        }
        switch regs.pointee.outcome {
        case .finished, .exited: status = .idle
        case .outOfFuel, .hostSuspended: break
        }
        return regs.pointee.outcome
    }

    /// Calls a host function with its arguments at `args`; results are written over them.
    static func callHost(
        _ function: UnsafeMutablePointer<FunctionRecord>, args: UnsafeMutablePointer<UInt64>,
        memory: GuestMemory?
    ) throws(Trap) -> HostOutcome {
        let f = function.pointee
        guard let host = f.host else { return .trap(.hostFailure) }
        let binding = host.takeUnretainedValue()
        let call = HostCall(slots: args, memory: memory ?? GuestMemory(base: nil, size: 0))
        let index = Int(f.hostFunction)
        if binding.module.signature(of: index).firstBadPointer(in: call) != nil {
            return .trap(.outOfBoundsPointer)
        }
        return binding.module.call(index, call)
    }
}

// MARK: - Stopping

/// Ends the run with `outcome` when there is one (the registers a resume needs are already
/// stored, by `suspend`); true to continue.
@inline(__always) func proceed(_ outcome: RunOutcome?, _ regs: Regs) -> Bool {
    guard let outcome else { return true }
    regs.pointee.outcome = outcome
    return false
}

/// Ends the run with a trap of `kind` at the instruction at `op`.
@inline(never) func trapped(_ regs: Regs, _ kind: TrapKind, at op: Code) -> Bool {
    regs.pointee.trap = makeTrap(regs.pointee.function, kind, at: op)
    return false
}

/// Ends the run with `trap`.
@inline(never) func trapped(_ regs: Regs, _ trap: Trap) -> Bool {
    regs.pointee.trap = trap
    return false
}

// MARK: - Control instructions

@_silgen_name("perch_op_00") @inline(__always)
func opUnreachable(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    trapped(regs, .unreachable, at: pc)
}

@_silgen_name("perch_op_01") @inline(__always)
func opNop(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 1
    return true
}

/// block and loop: their branches come from the side table.
@_silgen_name("perch_op_02") @inline(__always)
func opBlock(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    pc += 1
    skipLEB(&pc)
    return Way.unmoved
}

@_silgen_name("perch_op_04") @inline(__always)
func opIf(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    sp -= 1
    return enterIf(u32(tos) != 0, &pc, &stp)
}

/// else: the end of the then-arm, a jump past `end`.
@_silgen_name("perch_op_05") @inline(__always)
func opElse(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    jumpForward(&pc, &stp)
    return Way.unmoved
}

/// end: a no-op except the function's final one, which returns.
@_silgen_name("perch_op_0B") @inline(__always)
func opEnd(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    if pc != regs.pointee.functionEnd {
        pc += 1
        return Way.unmoved
    }
    return returnFromCall(&pc, &sp, &fp, &stp, regs, tos) ? Way.branch : Way.stop
}

@_silgen_name("perch_op_0F") @inline(__always)
func opReturn(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    returnFromCall(&pc, &sp, &fp, &stp, regs, tos)
}

/// Returns from the current function: its results move down to the frame base and the
/// caller continues; returning from the first function finishes the run. False when the
/// chain stops (finished, or `switchInstance`). `tos` is the top, a single result.
@inline(__always) func returnFromCall(
    _ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64
) -> Bool {
    let results = Int(regs.pointee.function.pointee.resultSlots)
    if _fastPath(results == 1) {
        fp[0] = tos
    } else {
        copySlots(from: sp - results, to: fp, count: results)
    }
    sp = fp + results
    let top = regs.pointee.frameTop
    if top == regs.pointee.frames {
        regs.pointee.outcome = .finished
        return false
    }
    let frame = top - 1
    regs.pointee.frameTop = frame
    pc = frame.pointee.returnPC
    stp = frame.pointee.returnSTP
    fp = frame.pointee.fp
    let caller = frame.pointee.function
    regs.pointee.function = caller
    regs.pointee.functionEnd = caller.pointee.end.unsafelyUnwrapped
    if _slowPath(caller.pointee.instance != regs.pointee.instance) {
        return switchInstance(to: caller, pc, stp, sp, fp, regs)
    }
    return true
}

/// Makes the instance of `function`, which the run has just entered (at `pc`), the
/// current one. When its code takes the other set of local handlers (see "Variable
/// instructions"), stops the chain for `run` to continue with that set.
@inline(__always) func switchInstance(
    to function: UnsafeMutablePointer<FunctionRecord>, _ pc: Code, _ stp: Code, _ sp: Slots, _ fp: Slots, _ regs: Regs
) -> Bool {
    let handlerSet = regs.pointee.instance.pointee.oneByteLocalIndices
    regs.pointee.loadInstance(of: function)
    if regs.pointee.instance.pointee.oneByteLocalIndices == handlerSet { return true }
    _ = suspend(regs, pc, stp, sp, fp)
    regs.pointee.handlerSetChanged = true
    return false
}

@_silgen_name("perch_op_0C") @inline(__always)
func opBr(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    // Out of fuel, the run stops at the branch itself and takes it when resumed.
    guard takeBranch(&pc, &stp, &sp, regs) else { return proceed(suspend(regs, pc, stp, sp, fp), regs) }
    return true
}

@_silgen_name("perch_op_0D") @inline(__always)
func opBrIf(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    sp -= 1
    return branchIf(u32(tos) != 0, &pc, &stp, &sp, fp, regs)
}

@_silgen_name("perch_op_0E") @inline(__always)
func opBrTable(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    var at = pc + 1
    let count = readU32(&at)
    let index = min(u32(tos), count)
    let entryAt = SideTable.brTableEntry(Int(truncatingIfNeeded: index), first: stp)
    let e = SideTable.entry(at: entryAt)
    if e.pcDelta <= 0 && !spendFuel(regs) { return proceed(suspend(regs, pc, stp, sp, fp), regs) }
    sp = shift(sp - 1, e)
    pc += e.pcDelta
    stp = entryAt + e.stpDelta
    return true
}

@_silgen_name("perch_op_10") @inline(__always)
func opCall(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    let op = pc
    let site = stp
    let callee: UnsafeMutablePointer<FunctionRecord>
    // Linkers pad relocated function indices to five bytes: the entry is the usual case.
    if _fastPath(SideTable.hasEntry(lebAt: pc + 1)) {
        callee = regs.pointee.functions[Int(takeImmediate32(&pc, &stp))]
    } else {
        callee = regs.pointee.functions[Int(byte(pc, 1))]
        pc += 2
    }
    return call(callee, at: op, site, &pc, &stp, &sp, &fp, regs)
}

@_silgen_name("perch_op_11") @inline(__always)
func opCallIndirect(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    let op = pc
    pc += 1
    let callee: UnsafeMutablePointer<FunctionRecord>
    switch indirectCallee(&pc, elementIndex: u32(tos), regs) {
    case .function(let function): callee = function
    case .trap(let kind): return trapped(regs, kind, at: op)
    }
    sp -= 1
    return call(callee, at: op, stp, &pc, &stp, &sp, &fp, regs, operandPopped: true)
}

/// Calls `callee` from the call instruction at `op`, whose side-table entries begin at
/// `site` (`pc` and `stp` after it, arguments on top of the stack): enters a wasm
/// function, or stops the run for `run` to call a host function and continue after the
/// call. A call costs one unit of fuel; out of fuel, the run stops at the call (with
/// call_indirect's popped operand, `operandPopped`, back in its slot) and re-executes it
/// when resumed.
@inline(__always) func call(
    _ callee: UnsafeMutablePointer<FunctionRecord>, at op: Code, _ site: Code, _ pc: inout Code,
    _ stp: inout Code, _ sp: inout Slots, _ fp: inout Slots,
    _ regs: Regs, operandPopped: Bool = false
) -> Bool {
    if !spendFuel(regs) { return proceed(suspend(regs, op, site, operandPopped ? sp + 1 : sp, fp), regs) }
    let args = sp - Int(callee.pointee.paramSlots)
    guard let entry = callee.pointee.entry else {
        // `run` makes host calls, outside the handlers' chain: a native call here would
        // give the handler a stack frame that every wasm call paid for.
        regs.pointee.hostCallee = callee
        regs.pointee.hostCallSite = op
        _ = suspend(regs, pc, stp, sp, fp)
        return false
    }
    let top = regs.pointee.frameTop
    // Byte distance, not `stackEnd - args` (a pointer difference divides); compared in
    // slots, since `frameSlots * 8` wraps a 32-bit UInt for frames past 2^29 slots.
    let room = UInt(bitPattern: regs.pointee.stackEnd) &- UInt(bitPattern: args)
    guard _fastPath(top != regs.pointee.framesEnd && room &>> 3 >= UInt(callee.pointee.frameSlots)) else {
        return trapped(regs, .callStackExhausted, at: op)
    }
    top.pointee = Frame(returnPC: pc, returnSTP: stp, fp: fp, function: regs.pointee.function)
    regs.pointee.frameTop = top + 1
    fp = args
    sp = args + Int(callee.pointee.paramSlots)
    // The end of the locals goes through `Registers`: a bound re-read after every
    // store keeps the optimiser from turning this short loop into a memset call or
    // an unrolled, vectorised one (measured: docs/interpreter.md).
    regs.pointee.localsEnd = sp + Int(callee.pointee.localSlots)
    while sp != regs.pointee.localsEnd {
        sp[0] = 0
        sp += 1
    }
    pc = entry
    stp = callee.pointee.sideTable.unsafelyUnwrapped
    regs.pointee.function = callee
    regs.pointee.functionEnd = callee.pointee.end.unsafelyUnwrapped
    if _slowPath(callee.pointee.instance != regs.pointee.instance) {
        return switchInstance(to: callee, pc, stp, sp, fp, regs)
    }
    return true
}

/// The host function a `call` stopped the run for (`Registers.hostCallee`), its arguments
/// straight off the value stack, the run's registers stored after the call instruction at
/// `hostCallSite`: true when the run continues there, its results on the stack; false when
/// it stops (trapped, exited, or suspended to continue there).
func callHostFunction(_ callee: UnsafeMutablePointer<FunctionRecord>, _ regs: Regs) -> Bool {
    let c = callee.pointee
    let args = regs.pointee.sp - Int(c.paramSlots)
    let site = regs.pointee.hostCallSite
    guard max(Int(c.paramSlots), Int(c.resultSlots)) <= regs.pointee.stackEnd - args else {
        return trapped(regs, .callStackExhausted, at: site)
    }
    let memory = GuestMemory(base: regs.pointee.memBase, size: Int(truncatingIfNeeded: regs.pointee.memSize))
    let outcome: HostOutcome
    do {
        outcome = try Machine.callHost(callee, args: args, memory: memory)
    } catch {
        return trapped(regs, error)
    }
    regs.pointee.sp = args + Int(c.resultSlots)
    switch outcome {
    case .done:
        // A host function may have grown memory through another instance.
        regs.pointee.reloadMemory()
        return true
    case .suspend(let ns):
        regs.pointee.outcome = .hostSuspended(wakeAfterNanoseconds: ns)
        return false
    case .exit(let code):
        regs.pointee.outcome = .exited(code: code)
        return false
    case .trap(let t):
        return trapped(regs, TrapKind(t), at: site)
    }
}

/// What `call_indirect` calls, or why it traps.
enum IndirectCallee {
    case function(UnsafeMutablePointer<FunctionRecord>)
    case trap(TrapKind)
}

/// The function `call_indirect` (`pc` after its opcode) calls through its table: element
/// `elementIndex`, type-checked; steps `pc` past the immediates. Inline, so the call makes
/// no native call (a handler that makes one saves every live register around it).
@inline(__always) func indirectCallee(
    _ pc: inout Code, elementIndex: UInt32, _ regs: Regs
) -> IndirectCallee {
    let instance = regs.pointee.instance
    let typeIndex = readIndex(&pc)
    let table = instance.pointee.tables[readIndex(&pc)]
    guard _fastPath(elementIndex < table.pointee.count) else { return .trap(.undefinedElement) }
    guard let target = UnsafeMutablePointer<FunctionRecord>(
        bitPattern: UInt(truncatingIfNeeded: table.pointee.elements[Int(truncatingIfNeeded: elementIndex)]))
    else { return .trap(.uninitializedElement) }
    let expected = instance.pointee.types + typeIndex
    guard _fastPath(target.pointee.type == expected) || sameStructure(target.pointee.type, expected) else {
        return .trap(.indirectCallTypeMismatch)
    }
    return .function(target)
}

/// Whether two function types of different modules are the same (spec 4.5: types compare by
/// structure). Out of line: rare, and its code would crowd the handler.
@inline(never) func sameStructure(_ a: UnsafePointer<FuncType>, _ b: UnsafePointer<FuncType>) -> Bool {
    a.pointee.matches(b.pointee)
}

// MARK: - Parametric instructions

@_silgen_name("perch_op_1A") @inline(__always)
func opDrop(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 1
    sp -= 1
    return true
}

@_silgen_name("perch_op_1B") @inline(__always)
func opSelect(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 1
    sp -= 2
    if u32(tos) == 0 { sp[-1] = second }
    return true
}

/// select t: one value type in 2.0.
@_silgen_name("perch_op_1C") @inline(__always)
func opSelectTyped(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 1
    skipLEB(&pc)
    pc += 1
    sp -= 2
    if u32(tos) == 0 { sp[-1] = second }
    return true
}

// MARK: - Variable instructions

// The commonest pairs of instructions (the share of all dispatches across the
// benchmarks in parentheses) run as one dispatch when both immediates are one byte: a
// handler peeks at the next opcode, reading an immediate only once the opcode says
// there is one, so nothing past the function's final `end` is ever read.
//
// Each local handler comes twice: `perch_op_2X` takes a multi-byte index too, and
// `perch_op_2X_short` assumes a one-byte index everywhere, which validation showed of
// every function of the instance it runs (`InstanceRecord.oneByteLocalIndices`; `run`
// picks the handler set). The test skipped is two instructions beside the four or so of
// a local instruction's own work, and locals are four in ten instructions run.

/// The index of the `local.get` at `p`, if that is what is there and its index one byte.
@inline(__always) func localGet(at p: Code, oneByteIndices: Bool) -> Int? {
    guard byte(p) == 0x20 else { return nil }
    return localIndex(at: p, oneByteIndices: oneByteIndices)
}

/// The index of the local instruction at `p`, if it is one byte.
@inline(__always) func localIndex(at p: Code, oneByteIndices: Bool) -> Int? {
    let index = byte(p, 1)
    return oneByteIndices || index < 0x80 ? Int(index) : nil
}

/// The one-byte immediate of the `i32.const` at `p`, sign-extended to 64 bits (its value
/// is the low half). local.get and local.tee take such a constant along when it follows
/// them, but not an `i64.const`: telling the two apart and widening each its own way cost
/// more instructions than the `i64.const`'s own dispatch (docs/interpreter.md, "Session 9").
@inline(__always) func smallConstantBits(at p: Code) -> UInt64 {
    signedByteSlot(byte(p, 1))
}

@_silgen_name("perch_op_20") @inline(__always)
func opLocalGet(
    _ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: inout UInt64,
    _ second: UInt64, _ pending: inout UInt64
) -> UInt8 {
    getLocal(&pc, sp: &sp, fp: fp, stp: &stp, tos: &tos, pending: &pending, oneByteIndices: false)
}

@_silgen_name("perch_op_20_short") @inline(__always)
func opLocalGetShort(
    _ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: inout UInt64,
    _ second: UInt64, _ pending: inout UInt64
) -> UInt8 {
    getLocal(&pc, sp: &sp, fp: fp, stp: &stp, tos: &tos, pending: &pending, oneByteIndices: true)
}

/// local.get: its value is the next instruction's pending operand. A following i32.const
/// (10%; with its add or sub when one follows), an i32.const of the side table, or a
/// local.get (5%) is taken along, the first value pushed and the second pending.
@inline(__always) func getLocal(
    _ pc: inout Code, sp: inout Slots, fp: Slots, stp: inout Code, tos: inout UInt64, pending: inout UInt64,
    oneByteIndices: Bool
) -> UInt8 {
    let index = byte(pc, 1)
    guard oneByteIndices || _fastPath(index < 0x80) else {
        withIndex(&pc, after: 1) { stage(fp[$0], sp, &pending) }
        return Way.next
    }
    let value = fp[Int(index)]
    // The hints lay the handler out for the CPU's front end: a plain local.get (a third of
    // them) runs straight through to its dispatch, and each fused path is one taken
    // branch away, with a dispatch of its own (docs/interpreter.md, "Session 11").
    let following = byte(pc, 2)
    if _slowPath(following == 0x41) {
        // An i32.add or i32.sub after a one-byte constant takes it as its second operand.
        if _fastPath(!SideTable.hasEntry(lebAt: pc + 3)) {
            let k = smallConstantBits(at: pc + 2)
            let consumer = byte(pc, 4)
            if _fastPath(consumer == 0x6A) {
                stage(slot(u32(value) &+ u32(k)), sp, &pending)
                pc += 5
                return Way.branch
            }
            if _slowPath(consumer == 0x6B) {
                stage(slot(u32(value) &- u32(k)), sp, &pending)
                pc += 5
                return Way.branch
            }
            push(&sp, value)
            tos = value
            stage(slot(u32(k)), sp, &pending)
            pc += 4
            return Way.fourth
        }
        // An i32.const with an immediate entry (a bound or an offset of two bytes or more).
        pc += 2
        push(&sp, value)
        tos = value
        stage(slot(takeImmediate32(&pc, &stp)), sp, &pending)
        return Way.fifth
    }
    if _slowPath(following == 0x20), let next = localIndex(at: pc + 2, oneByteIndices: oneByteIndices) {
        push(&sp, value)
        tos = value
        stage(fp[next], sp, &pending)
        pc += 4
        return Way.other
    }
    pc += 2
    stage(value, sp, &pending)
    return Way.next
}

@_silgen_name("perch_op_21") @inline(__always)
func opLocalSet(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    setLocal(&pc, sp: &sp, fp: fp, tos: tos, oneByteIndices: false)
}

@_silgen_name("perch_op_21_short") @inline(__always)
func opLocalSetShort(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    setLocal(&pc, sp: &sp, fp: fp, tos: tos, oneByteIndices: true)
}

/// local.set, with a following local.get (4.6%).
@inline(__always) func setLocal(_ pc: inout Code, sp: inout Slots, fp: Slots, tos: UInt64, oneByteIndices: Bool) -> UInt8 {
    let index = byte(pc, 1)
    guard oneByteIndices || _fastPath(index < 0x80) else {
        withIndex(&pc, after: 1) {
            sp -= 1
            fp[$0] = tos
        }
        return Way.next
    }
    fp[Int(index)] = tos
    if let next = localGet(at: pc + 2, oneByteIndices: oneByteIndices) {
        sp[-1] = fp[next]
        pc += 4
        return Way.branch
    }
    sp -= 1
    pc += 2
    return Way.next
}

@_silgen_name("perch_op_22") @inline(__always)
func opLocalTee(
    _ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: inout UInt64,
    _ second: UInt64, _ pending: inout UInt64
) -> UInt8 {
    teeLocal(&pc, sp: sp, fp: fp, stp: &stp, tos: tos, pending: &pending, oneByteIndices: false)
}

@_silgen_name("perch_op_22_short") @inline(__always)
func opLocalTeeShort(
    _ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: inout UInt64,
    _ second: UInt64, _ pending: inout UInt64
) -> UInt8 {
    teeLocal(&pc, sp: sp, fp: fp, stp: &stp, tos: tos, pending: &pending, oneByteIndices: true)
}

/// local.tee; a following local.get (2.5%) or i32.const (2.4%, the side table's too) is
/// taken along, its value the next instruction's pending operand.
@inline(__always) func teeLocal(
    _ pc: inout Code, sp: Slots, fp: Slots, stp: inout Code, tos: UInt64, pending: inout UInt64,
    oneByteIndices: Bool
) -> UInt8 {
    let index = byte(pc, 1)
    guard oneByteIndices || _fastPath(index < 0x80) else {
        withIndex(&pc, after: 1) { fp[$0] = tos }
        return Way.plain
    }
    fp[Int(index)] = tos
    if let next = localGet(at: pc + 2, oneByteIndices: oneByteIndices) {
        stage(fp[next], sp, &pending)
        pc += 4
        return Way.branch
    }
    if byte(pc, 2) == 0x41 && !SideTable.hasEntry(lebAt: pc + 3) {
        stage(slot(u32(smallConstantBits(at: pc + 2))), sp, &pending)
        pc += 4
        return Way.other
    }
    pc += 2
    // An i32.const with an immediate entry (a bound or an offset of two bytes or more).
    if byte(pc) == 0x41 {
        stage(slot(takeImmediate32(&pc, &stp)), sp, &pending)
        return Way.fourth
    }
    return Way.plain
}

@_silgen_name("perch_op_23") @inline(__always)
func opGlobalGet(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    withIndex(&pc, after: 1) { push(&sp, regs.pointee.globals[$0].pointee.value) }
    return true
}

@_silgen_name("perch_op_24") @inline(__always)
func opGlobalSet(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    withIndex(&pc, after: 1) {
        sp -= 1
        regs.pointee.globals[$0].pointee.value = sp[0]
    }
    return true
}

// MARK: - Table instructions

@_silgen_name("perch_op_25") @inline(__always)
func opTableGet(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    var at = pc + 1
    let table = regs.pointee.instance.pointee.tables[readIndex(&at)]
    let i = u32(tos)
    guard i < table.pointee.count else { return trapped(regs, .outOfBoundsTableAccess, at: pc) }
    sp[-1] = table.pointee.elements[Int(truncatingIfNeeded: i)]
    pc = at
    return true
}

@_silgen_name("perch_op_26") @inline(__always)
func opTableSet(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    var at = pc + 1
    let table = regs.pointee.instance.pointee.tables[readIndex(&at)]
    let i = u32(second)
    guard i < table.pointee.count else { return trapped(regs, .outOfBoundsTableAccess, at: pc) }
    table.pointee.elements[Int(truncatingIfNeeded: i)] = tos
    sp -= 2
    pc = at
    return true
}

// MARK: - Memory instructions

/// i32.load (and f32.load and i64.load32_u, which share this handler).
@_silgen_name("perch_op_28") @inline(__always)
func opI32Load(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load32(UInt32.self, &pc, &stp, sp, tos, regs)
}

/// i64.load (and f64.load, which shares this handler).
@_silgen_name("perch_op_29") @inline(__always)
func opI64Load(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load64(UInt64.self, &pc, &stp, sp, tos, regs)
}

@_silgen_name("perch_op_2C") @inline(__always)
func opI32Load8S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load32(Int8.self, &pc, &stp, sp, tos, regs)
}

/// i32.load8_u (and i64.load8_u).
@_silgen_name("perch_op_2D") @inline(__always)
func opI32Load8U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load32(UInt8.self, &pc, &stp, sp, tos, regs)
}

@_silgen_name("perch_op_2E") @inline(__always)
func opI32Load16S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load32(Int16.self, &pc, &stp, sp, tos, regs)
}

/// i32.load16_u (and i64.load16_u).
@_silgen_name("perch_op_2F") @inline(__always)
func opI32Load16U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load32(UInt16.self, &pc, &stp, sp, tos, regs)
}

@_silgen_name("perch_op_30") @inline(__always)
func opI64Load8S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load64(Int8.self, &pc, &stp, sp, tos, regs)
}

@_silgen_name("perch_op_32") @inline(__always)
func opI64Load16S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load64(Int16.self, &pc, &stp, sp, tos, regs)
}

@_silgen_name("perch_op_34") @inline(__always)
func opI64Load32S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    load64(Int32.self, &pc, &stp, sp, tos, regs)
}

/// i32.store (and f32.store, i64.store32, which share this handler).
@_silgen_name("perch_op_36") @inline(__always)
func opI32Store(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    store(UInt32.self, &pc, &stp, &sp, second, tos, regs)
}

/// i64.store (and f64.store).
@_silgen_name("perch_op_37") @inline(__always)
func opI64Store(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    store(UInt64.self, &pc, &stp, &sp, second, tos, regs)
}

/// i32.store8 (and i64.store8).
@_silgen_name("perch_op_3A") @inline(__always)
func opStore8(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    store(UInt8.self, &pc, &stp, &sp, second, tos, regs)
}

/// i32.store16 (and i64.store16).
@_silgen_name("perch_op_3B") @inline(__always)
func opStore16(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    store(UInt16.self, &pc, &stp, &sp, second, tos, regs)
}

@_silgen_name("perch_op_3F") @inline(__always)
func opMemorySize(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 2
    push(&sp, UInt64(regs.pointee.instance.pointee.memory?.pointee.pages ?? 0))
    return true
}

@_silgen_name("perch_op_40") @inline(__always)
func opMemoryGrow(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 2
    if let memory = regs.pointee.instance.pointee.memory {
        sp[-1] = UInt64(growMemory(memory, by: u32(sp[-1])))
        regs.pointee.reloadMemory()
    } else {
        sp[-1] = 0xFFFF_FFFF
    }
    return true
}

// MARK: - Constants

/// i32.const: the next instruction's pending operand (one from the side table continues
/// from a dispatch jump of its own).
@_silgen_name("perch_op_41") @inline(__always)
func opI32Const(
    _ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: inout UInt64,
    _ second: UInt64, _ pending: inout UInt64
) -> UInt8 {
    if _fastPath(!SideTable.hasEntry(lebAt: pc + 1)) {
        stage(slot(UInt32(bitPattern: signedByte(byte(pc, 1)))), sp, &pending)
        pc += 2
        return Way.next
    }
    stage(slot(takeImmediate32(&pc, &stp)), sp, &pending)
    return Way.other
}

/// i64.const: as i32.const.
@_silgen_name("perch_op_42") @inline(__always)
func opI64Const(
    _ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: inout UInt64,
    _ second: UInt64, _ pending: inout UInt64
) -> UInt8 {
    if _fastPath(!SideTable.hasEntry(lebAt: pc + 1)) {
        stage(signedByteSlot(byte(pc, 1)), sp, &pending)
        pc += 2
        return Way.next
    }
    let (value, length) = SideTable.immediate64(at: stp)
    stage(value, sp, &pending)
    pc += length
    stp += SideTable.immediate64Size
    return Way.other
}

@_silgen_name("perch_op_43") @inline(__always)
func opF32Const(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    push(&sp, slot(unaligned(pc + 1, as: UInt32.self)))
    pc += 5
    return true
}

@_silgen_name("perch_op_44") @inline(__always)
func opF64Const(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    push(&sp, unaligned(pc + 1, as: UInt64.self))
    pc += 9
    return true
}

// MARK: - Comparisons
// Integer tests are fused with a following br_if or if (see `consume`).

@_silgen_name("perch_op_45") @inline(__always)
func opI32Eqz(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    zeroCondition(&pc, &sp, tos, &stp, fp, regs, u32)
}

@_silgen_name("perch_op_46") @inline(__always)
func opI32Eq(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u32, ==)
}

@_silgen_name("perch_op_47") @inline(__always)
func opI32Ne(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u32, !=)
}

@_silgen_name("perch_op_48") @inline(__always)
func opI32LtS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, i32, <)
}

@_silgen_name("perch_op_49") @inline(__always)
func opI32LtU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u32, <)
}

@_silgen_name("perch_op_4A") @inline(__always)
func opI32GtS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, i32, >)
}

@_silgen_name("perch_op_4B") @inline(__always)
func opI32GtU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u32, >)
}

@_silgen_name("perch_op_4C") @inline(__always)
func opI32LeS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, i32, <=)
}

@_silgen_name("perch_op_4D") @inline(__always)
func opI32LeU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u32, <=)
}

@_silgen_name("perch_op_4E") @inline(__always)
func opI32GeS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, i32, >=)
}

@_silgen_name("perch_op_4F") @inline(__always)
func opI32GeU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u32, >=)
}

@_silgen_name("perch_op_50") @inline(__always)
func opI64Eqz(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    zeroCondition(&pc, &sp, tos, &stp, fp, regs, u64)
}

@_silgen_name("perch_op_51") @inline(__always)
func opI64Eq(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u64, ==)
}

@_silgen_name("perch_op_52") @inline(__always)
func opI64Ne(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u64, !=)
}

@_silgen_name("perch_op_53") @inline(__always)
func opI64LtS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, i64, <)
}

@_silgen_name("perch_op_54") @inline(__always)
func opI64LtU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u64, <)
}

@_silgen_name("perch_op_55") @inline(__always)
func opI64GtS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, i64, >)
}

@_silgen_name("perch_op_56") @inline(__always)
func opI64GtU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u64, >)
}

@_silgen_name("perch_op_57") @inline(__always)
func opI64LeS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, i64, <=)
}

@_silgen_name("perch_op_58") @inline(__always)
func opI64LeU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u64, <=)
}

@_silgen_name("perch_op_59") @inline(__always)
func opI64GeS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, i64, >=)
}

@_silgen_name("perch_op_5A") @inline(__always)
func opI64GeU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    condition(&pc, &sp, second, tos, &stp, fp, regs, u64, >=)
}

// Float comparisons: rarely a loop condition, not fused.
@_silgen_name("perch_op_5B") @inline(__always)
func opF32Eq(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, float32, ==)
    return true
}

@_silgen_name("perch_op_5C") @inline(__always)
func opF32Ne(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, float32, !=)
    return true
}

@_silgen_name("perch_op_5D") @inline(__always)
func opF32Lt(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, float32, <)
    return true
}

@_silgen_name("perch_op_5E") @inline(__always)
func opF32Gt(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, float32, >)
    return true
}

@_silgen_name("perch_op_5F") @inline(__always)
func opF32Le(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, float32, <=)
    return true
}

@_silgen_name("perch_op_60") @inline(__always)
func opF32Ge(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, float32, >=)
    return true
}

@_silgen_name("perch_op_61") @inline(__always)
func opF64Eq(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, f64, ==)
    return true
}

@_silgen_name("perch_op_62") @inline(__always)
func opF64Ne(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, f64, !=)
    return true
}

@_silgen_name("perch_op_63") @inline(__always)
func opF64Lt(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, f64, <)
    return true
}

@_silgen_name("perch_op_64") @inline(__always)
func opF64Gt(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, f64, >)
    return true
}

@_silgen_name("perch_op_65") @inline(__always)
func opF64Le(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, f64, <=)
    return true
}

@_silgen_name("perch_op_66") @inline(__always)
func opF64Ge(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    compare(&pc, &sp, second, tos, f64, >=)
    return true
}

// MARK: - i32 arithmetic

@_silgen_name("perch_op_67") @inline(__always)
func opI32Clz(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos) { UInt32($0.leadingZeroBitCount) }
    return true
}

@_silgen_name("perch_op_68") @inline(__always)
func opI32Ctz(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos) { UInt32($0.trailingZeroBitCount) }
    return true
}

@_silgen_name("perch_op_69") @inline(__always)
func opI32Popcnt(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos) { UInt32($0.nonzeroBitCount) }
    return true
}

@_silgen_name("perch_op_6A") @inline(__always)
func opI32Add(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, &+)
    return true
}

@_silgen_name("perch_op_6B") @inline(__always)
func opI32Sub(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, &-)
    return true
}

@_silgen_name("perch_op_6C") @inline(__always)
func opI32Mul(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, &*)
    return true
}

@_silgen_name("perch_op_6D") @inline(__always)
func opI32DivS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Checked(&pc, &sp, second, tos, regs, i32DivS)
}

@_silgen_name("perch_op_6E") @inline(__always)
func opI32DivU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Checked(&pc, &sp, second, tos, regs, i32DivU)
}

@_silgen_name("perch_op_6F") @inline(__always)
func opI32RemS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Checked(&pc, &sp, second, tos, regs, i32RemS)
}

@_silgen_name("perch_op_70") @inline(__always)
func opI32RemU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Checked(&pc, &sp, second, tos, regs, i32RemU)
}

@_silgen_name("perch_op_71") @inline(__always)
func opI32And(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, &)
    return true
}

@_silgen_name("perch_op_72") @inline(__always)
func opI32Or(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, |)
    return true
}

@_silgen_name("perch_op_73") @inline(__always)
func opI32Xor(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, ^)
    return true
}

@_silgen_name("perch_op_74") @inline(__always)
func opI32Shl(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, i32Shl)
    return true
}

@_silgen_name("perch_op_75") @inline(__always)
func opI32ShrS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, i32ShrS)
    return true
}

@_silgen_name("perch_op_76") @inline(__always)
func opI32ShrU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, i32ShrU)
    return true
}

@_silgen_name("perch_op_77") @inline(__always)
func opI32Rotl(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, i32Rotl)
    return true
}

@_silgen_name("perch_op_78") @inline(__always)
func opI32Rotr(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, i32Rotr)
    return true
}

// MARK: - i64 arithmetic

@_silgen_name("perch_op_79") @inline(__always)
func opI64Clz(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { UInt64($0.leadingZeroBitCount) }
    return true
}

@_silgen_name("perch_op_7A") @inline(__always)
func opI64Ctz(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { UInt64($0.trailingZeroBitCount) }
    return true
}

@_silgen_name("perch_op_7B") @inline(__always)
func opI64Popcnt(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { UInt64($0.nonzeroBitCount) }
    return true
}

@_silgen_name("perch_op_7C") @inline(__always)
func opI64Add(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, &+)
}

@_silgen_name("perch_op_7D") @inline(__always)
func opI64Sub(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, &-)
}

@_silgen_name("perch_op_7E") @inline(__always)
func opI64Mul(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, &*)
}

@_silgen_name("perch_op_7F") @inline(__always)
func opI64DivS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Checked(&pc, &sp, fp, second, tos, regs, i64DivS)
}

@_silgen_name("perch_op_80") @inline(__always)
func opI64DivU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Checked(&pc, &sp, fp, second, tos, regs, i64DivU)
}

@_silgen_name("perch_op_81") @inline(__always)
func opI64RemS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Checked(&pc, &sp, fp, second, tos, regs, i64RemS)
}

@_silgen_name("perch_op_82") @inline(__always)
func opI64RemU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Checked(&pc, &sp, fp, second, tos, regs, i64RemU)
}

@_silgen_name("perch_op_83") @inline(__always)
func opI64And(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, &)
}

@_silgen_name("perch_op_84") @inline(__always)
func opI64Or(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, |)
}

@_silgen_name("perch_op_85") @inline(__always)
func opI64Xor(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, ^)
}

@_silgen_name("perch_op_86") @inline(__always)
func opI64Shl(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, i64Shl)
}

@_silgen_name("perch_op_87") @inline(__always)
func opI64ShrS(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, i64ShrS)
}

@_silgen_name("perch_op_88") @inline(__always)
func opI64ShrU(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, i64ShrU)
}

@_silgen_name("perch_op_89") @inline(__always)
func opI64Rotl(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, i64Rotl)
}

@_silgen_name("perch_op_8A") @inline(__always)
func opI64Rotr(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> UInt8 {
    i64Binary(&pc, &sp, fp, second, tos, i64Rotr)
}

// MARK: - f32 arithmetic

@_silgen_name("perch_op_8B") @inline(__always)
func opF32Abs(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos, f32Abs)
    return true
}

@_silgen_name("perch_op_8C") @inline(__always)
func opF32Neg(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos, f32Neg)
    return true
}

@_silgen_name("perch_op_8D") @inline(__always)
func opF32Ceil(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Unary(&pc, sp, tos, wasmCeil)
    return true
}

@_silgen_name("perch_op_8E") @inline(__always)
func opF32Floor(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Unary(&pc, sp, tos, wasmFloor)
    return true
}

@_silgen_name("perch_op_8F") @inline(__always)
func opF32Trunc(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Unary(&pc, sp, tos, wasmTrunc)
    return true
}

@_silgen_name("perch_op_90") @inline(__always)
func opF32Nearest(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Unary(&pc, sp, tos, wasmNearest)
    return true
}

@_silgen_name("perch_op_91") @inline(__always)
func opF32Sqrt(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Unary(&pc, sp, tos) { $0.squareRoot() }
    return true
}

@_silgen_name("perch_op_92") @inline(__always)
func opF32Add(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Binary(&pc, &sp, second, tos, +)
    return true
}

@_silgen_name("perch_op_93") @inline(__always)
func opF32Sub(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Binary(&pc, &sp, second, tos, -)
    return true
}

@_silgen_name("perch_op_94") @inline(__always)
func opF32Mul(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Binary(&pc, &sp, second, tos, *)
    return true
}

@_silgen_name("perch_op_95") @inline(__always)
func opF32Div(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Binary(&pc, &sp, second, tos, /)
    return true
}

@_silgen_name("perch_op_96") @inline(__always)
func opF32Min(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Binary(&pc, &sp, second, tos, wasmMin)
    return true
}

@_silgen_name("perch_op_97") @inline(__always)
func opF32Max(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f32Binary(&pc, &sp, second, tos, wasmMax)
    return true
}

@_silgen_name("perch_op_98") @inline(__always)
func opF32Copysign(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Binary(&pc, &sp, second, tos, f32Copysign)
    return true
}

// MARK: - f64 arithmetic

@_silgen_name("perch_op_99") @inline(__always)
func opF64Abs(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos, f64Abs)
    return true
}

@_silgen_name("perch_op_9A") @inline(__always)
func opF64Neg(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos, f64Neg)
    return true
}

@_silgen_name("perch_op_9B") @inline(__always)
func opF64Ceil(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Unary(&pc, sp, tos, wasmCeil)
    return true
}

@_silgen_name("perch_op_9C") @inline(__always)
func opF64Floor(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Unary(&pc, sp, tos, wasmFloor)
    return true
}

@_silgen_name("perch_op_9D") @inline(__always)
func opF64Trunc(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Unary(&pc, sp, tos, wasmTrunc)
    return true
}

@_silgen_name("perch_op_9E") @inline(__always)
func opF64Nearest(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Unary(&pc, sp, tos, wasmNearest)
    return true
}

@_silgen_name("perch_op_9F") @inline(__always)
func opF64Sqrt(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Unary(&pc, sp, tos) { $0.squareRoot() }
    return true
}

@_silgen_name("perch_op_A0") @inline(__always)
func opF64Add(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Binary(&pc, &sp, second, tos, +)
    return true
}

@_silgen_name("perch_op_A1") @inline(__always)
func opF64Sub(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Binary(&pc, &sp, second, tos, -)
    return true
}

@_silgen_name("perch_op_A2") @inline(__always)
func opF64Mul(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Binary(&pc, &sp, second, tos, *)
    return true
}

@_silgen_name("perch_op_A3") @inline(__always)
func opF64Div(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Binary(&pc, &sp, second, tos, /)
    return true
}

@_silgen_name("perch_op_A4") @inline(__always)
func opF64Min(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Binary(&pc, &sp, second, tos, wasmMin)
    return true
}

@_silgen_name("perch_op_A5") @inline(__always)
func opF64Max(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    f64Binary(&pc, &sp, second, tos, wasmMax)
    return true
}

@_silgen_name("perch_op_A6") @inline(__always)
func opF64Copysign(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    binary(&pc, &sp, second, tos, f64Copysign)
    return true
}

// MARK: - Conversions

/// i32.wrap_i64 (and i64.extend_i32_u).
@_silgen_name("perch_op_A7") @inline(__always)
func opI32WrapI64(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { slot(u32($0)) }
    return true
}

@_silgen_name("perch_op_A8") @inline(__always)
func opI32TruncF32S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    checkedUnary(&pc, sp, tos, regs, { truncToI32S(Double(float32($0))) }, { slot($0) })
}

@_silgen_name("perch_op_A9") @inline(__always)
func opI32TruncF32U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    checkedUnary(&pc, sp, tos, regs, { truncToI32U(Double(float32($0))) }, { slot($0) })
}

@_silgen_name("perch_op_AA") @inline(__always)
func opI32TruncF64S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    checkedUnary(&pc, sp, tos, regs, { truncToI32S(f64($0)) }, { slot($0) })
}

@_silgen_name("perch_op_AB") @inline(__always)
func opI32TruncF64U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    checkedUnary(&pc, sp, tos, regs, { truncToI32U(f64($0)) }, { slot($0) })
}

/// i64.extend_i32_s (and i64.extend32_s).
@_silgen_name("perch_op_AC") @inline(__always)
func opI64ExtendI32S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { i64ExtendI32S(u32($0)) }
    return true
}

@_silgen_name("perch_op_AE") @inline(__always)
func opI64TruncF32S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    checkedUnary(&pc, sp, tos, regs, { truncToI64S(Double(float32($0))) }, u64)
}

@_silgen_name("perch_op_AF") @inline(__always)
func opI64TruncF32U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    checkedUnary(&pc, sp, tos, regs, { truncToI64U(Double(float32($0))) }, u64)
}

@_silgen_name("perch_op_B0") @inline(__always)
func opI64TruncF64S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    checkedUnary(&pc, sp, tos, regs, { truncToI64S(f64($0)) }, u64)
}

@_silgen_name("perch_op_B1") @inline(__always)
func opI64TruncF64U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    checkedUnary(&pc, sp, tos, regs, { truncToI64U(f64($0)) }, u64)
}

@_silgen_name("perch_op_B2") @inline(__always)
func opF32ConvertI32S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos, f32FromI32S)
    return true
}

@_silgen_name("perch_op_B3") @inline(__always)
func opF32ConvertI32U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos, f32FromI32U)
    return true
}

@_silgen_name("perch_op_B4") @inline(__always)
func opF32ConvertI64S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { slot(f32FromI64S($0)) }
    return true
}

@_silgen_name("perch_op_B5") @inline(__always)
func opF32ConvertI64U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { slot(f32FromI64U($0)) }
    return true
}

@_silgen_name("perch_op_B6") @inline(__always)
func opF32DemoteF64(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { slot(f32Demote($0)) }
    return true
}

@_silgen_name("perch_op_B7") @inline(__always)
func opF64ConvertI32S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { f64FromI32S(u32($0)) }
    return true
}

@_silgen_name("perch_op_B8") @inline(__always)
func opF64ConvertI32U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { f64FromI32U(u32($0)) }
    return true
}

@_silgen_name("perch_op_B9") @inline(__always)
func opF64ConvertI64S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos, f64FromI64S)
    return true
}

@_silgen_name("perch_op_BA") @inline(__always)
func opF64ConvertI64U(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos, f64FromI64U)
    return true
}

@_silgen_name("perch_op_BB") @inline(__always)
func opF64PromoteF32(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { f64Promote(u32($0)) }
    return true
}

/// The four reinterpretations: slots already hold the bits.
@_silgen_name("perch_op_BC") @inline(__always)
func opReinterpret(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 1
    return true
}

@_silgen_name("perch_op_C0") @inline(__always)
func opI32Extend8S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos, i32Extend8S)
    return true
}

@_silgen_name("perch_op_C1") @inline(__always)
func opI32Extend16S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    i32Unary(&pc, sp, tos, i32Extend16S)
    return true
}

@_silgen_name("perch_op_C2") @inline(__always)
func opI64Extend8S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos, i64Extend8S)
    return true
}

@_silgen_name("perch_op_C3") @inline(__always)
func opI64Extend16S(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos, i64Extend16S)
    return true
}

// MARK: - Reference instructions

@_silgen_name("perch_op_D0") @inline(__always)
func opRefNull(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 2
    push(&sp, 0)
    return true
}

@_silgen_name("perch_op_D1") @inline(__always)
func opRefIsNull(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    unary(&pc, sp, tos) { $0 == 0 ? 1 : 0 }
    return true
}

@_silgen_name("perch_op_D2") @inline(__always)
func opRefFunc(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    pc += 1
    push(&sp, UInt64(UInt(bitPattern: regs.pointee.functions[readIndex(&pc)])))
    return true
}

// MARK: - Prefixed instructions

/// 0xFC: saturating truncations and the bulk memory and table operations.
@_silgen_name("perch_op_FC") @inline(__always)
func opPrefixFC(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    let op = pc
    pc += 1
    let sub = readU32(&pc)
    switch sub {
    case 0: sp[-1] = slot(truncSatToI32S(Double(float32(sp[-1]))))
    case 1: sp[-1] = slot(truncSatToI32U(Double(float32(sp[-1]))))
    case 2: sp[-1] = slot(truncSatToI32S(f64(sp[-1])))
    case 3: sp[-1] = slot(truncSatToI32U(f64(sp[-1])))
    case 4: sp[-1] = truncSatToI64S(Double(float32(sp[-1])))
    case 5: sp[-1] = truncSatToI64U(Double(float32(sp[-1])))
    case 6: sp[-1] = truncSatToI64S(f64(sp[-1]))
    case 7: sp[-1] = truncSatToI64U(f64(sp[-1]))
    default:
        do {
            sp = try bulkOperation(
                sub, &pc, sp: sp, instance: regs.pointee.instance, function: regs.pointee.function, op: op)
        } catch {
            return trapped(regs, error)
        }
        regs.pointee.reloadMemory()
    }
    return true
}

@_silgen_name("perch_op_FD") @inline(__always)
func opPrefixFD(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    trapped(regs, .simdNotSupported, at: pc)
}

/// Every byte validation admits as no opcode: never reached in validated code.
@_silgen_name("perch_op_invalid") @inline(__always)
func opInvalid(_ pc: inout Code, _ sp: inout Slots, _ fp: inout Slots, _ stp: inout Code, _ regs: Regs, _ tos: UInt64, _ second: UInt64) -> Bool {
    trapped(regs, .unreachable, at: pc)
}

// Operand readers for `compare`.
@inline(__always) func u64(_ v: UInt64) -> UInt64 { v }
@inline(__always) func i32(_ v: UInt64) -> Int32 { Int32(truncatingIfNeeded: v) }
@inline(__always) func i64(_ v: UInt64) -> Int64 { Int64(bitPattern: v) }
@inline(__always) func float32(_ v: UInt64) -> Float { Float(bitPattern: u32(v)) }
