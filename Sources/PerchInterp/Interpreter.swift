import PerchCore
import PerchDecode
import PerchValidate

// The in-place interpreter loop: executes validated function bodies from the module's
// own bytes, taking branches through the validator's side table.
//
// Unsafe-pointer code: every access relies on the invariants of `Machine` (stacks),
// `Registers`, `Records.swift` (records, memory) and on validation (well-formed
// immediates, operand counts, in-range indices). Guest addresses are checked in
// `effectiveAddress` (Operands.swift), table indices here.
//
// Speed (shared/notes/embedded-swift.md, docs/interpreter.md): `pc`, `stp`, `sp` and `fp`
// live in locals of this one function; everything else (the memory base too: measured)
// sits in the arena's `Registers`, behind one pointer, to leave CPU registers to the hot
// values.
// The switch is on the opcode byte cast to `OpcodeByte` (one jump table; see that type).
// `pc` stays at the opcode until its case steps past the instruction, so a branch or trap
// needs no copy of it. Arithmetic wraps; one-byte LEB immediates take a fast path.

extension Machine {
    /// Runs the started call until it finishes, traps, runs out of `fuel` or a host
    /// function suspends it. Fuel is spent one unit per call and per loop back-edge: the
    /// points where a run can stop, and enough to bound any run.
    public func run(fuel budget: Int) throws(Trap) -> RunOutcome {
        guard status == .runnable else { return .finished }
        if let host = pendingHost {
            pendingHost = nil
            let outcome = try callHost(host, args: stackBase, memory: nil)
            switch outcome {
            case .done: status = .idle; return .finished
            case .suspend(let ns): status = .idle; return .hostSuspended(wakeAfterNanoseconds: ns)
            case .exit(let code): status = .idle; return .exited(code: code)
            case .trap(let t): status = .idle; throw Trap(TrapKind(t), function: host.pointee.index, functionName: nil, offset: 0)
            }
        }
        registers.pointee.fuel = budget
        // While suspended, code on another machine may have grown the memory.
        registers.pointee.reloadMemory()
        do {
            return try loop()
        } catch {
            status = .idle
            throw error
        }
    }

    /// Calls a host function with its arguments at `args`; results are written over them.
    func callHost(
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

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private func loop() throws(Trap) -> RunOutcome {
        let regs = registers
        var pc = regs.pointee.pc
        var stp = regs.pointee.stp
        var sp = regs.pointee.sp
        var fp = regs.pointee.fp

        while true {
            let opcode = byte(pc)
            switch OpcodeByte(byte: opcode) {
            // Control instructions
            case .x00:  // unreachable
                throw makeTrap(regs.pointee.function, .unreachable, at: pc)
            case .x01:  // nop
                pc += 1
            case .x02, .x03:  // block, loop: branches come from the side table
                pc += 1
                skipLEB(&pc)
            case .x04:  // if
                sp -= 1
                enterIf(u32(sp[0]) != 0, &pc, &stp)
            case .x05:  // else: end of the then-arm, jump past `end`
                let e = SideTable.entry(at: stp)
                pc += e.pcDelta
                stp += e.stpDelta
            case .x0B:  // end: a no-op except the function's final one, which returns
                if pc != regs.pointee.functionEnd {
                    pc += 1
                    break
                }
                fallthrough
            case .x0F:  // return: results move down to the frame base
                let results = Int(regs.pointee.function.pointee.resultSlots)
                if results == 1 {
                    fp[0] = sp[-1]
                } else {
                    copySlots(from: sp - results, to: fp, count: results)
                }
                sp = fp + results
                let top = regs.pointee.frameTop
                if top == regs.pointee.frames {
                    status = .idle
                    return .finished
                }
                let frame = top - 1
                regs.pointee.frameTop = frame
                pc = frame.pointee.returnPC
                stp = frame.pointee.returnSTP
                fp = frame.pointee.fp
                let caller = frame.pointee.function
                regs.pointee.function = caller
                regs.pointee.functionEnd = caller.pointee.end.unsafelyUnwrapped
                if caller.pointee.instance != regs.pointee.instance {
                    regs.pointee.loadInstance(of: caller)
                }
            case .x0C:  // br
                let e = SideTable.entry(at: stp)
                // A back-edge costs one unit of fuel, paid before it is taken: out of fuel,
                // the run stops at the branch itself and takes it when resumed.
                if e.pcDelta <= 0 && !spendFuel(regs) { return suspend(regs, pc, stp, sp, fp) }
                sp = shift(sp, e)
                pc += e.pcDelta
                stp += e.stpDelta
            case .x0D:  // br_if
                sp -= 1
                if let stop = branchIf(u32(sp[0]) != 0, &pc, &stp, &sp, fp, regs) { return stop }
            case .x0E:  // br_table
                var at = pc + 1
                let count = readU32(&at)
                let index = min(u32(sp[-1]), count)
                let entryAt = stp + Int(truncatingIfNeeded: index) &* SideTable.size(at: stp)
                let e = SideTable.entry(at: entryAt)
                if e.pcDelta <= 0 && !spendFuel(regs) { return suspend(regs, pc, stp, sp, fp) }
                sp = shift(sp - 1, e)
                pc += e.pcDelta
                stp = entryAt + e.stpDelta
            case .x10:  // call
                let op = pc
                let callee: UnsafeMutablePointer<FunctionRecord>
                let b = byte(pc, 1)
                if b < 0x80 {
                    callee = regs.pointee.functions[Int(b)]
                    pc += 2
                } else {
                    // Linkers pad call indices to 5-byte LEBs: decode them inline.
                    pc += 1
                    callee = regs.pointee.functions[Int(truncatingIfNeeded: readU32Inline(&pc))]
                }
                if let outcome = try call(callee, at: op, &pc, &stp, &sp, &fp, regs) { return outcome }
            case .x11:  // call_indirect
                let op = pc
                // A copy of pc goes inout, so pc itself never has its address taken.
                var at = pc + 1
                let callee = try indirectCallee(&at, sp: sp, regs, op: op)
                pc = at
                sp -= 1
                if let outcome = try call(callee, at: op, &pc, &stp, &sp, &fp, regs, operandPopped: true) {
                    return outcome
                }

            // Parametric instructions
            case .x1A:  // drop
                pc += 1
                sp -= 1
            case .x1B:  // select
                pc += 1
                sp -= 2
                if u32(sp[1]) == 0 { sp[-1] = sp[0] }
            case .x1C:  // select t: one value type in 2.0
                pc += 1
                skipLEB(&pc)
                pc += 1
                sp -= 2
                if u32(sp[1]) == 0 { sp[-1] = sp[0] }

            // Variable instructions
            case .x20:  // local.get
                withIndex(&pc, after: 1) { push(&sp, fp[$0]) }
            case .x21:  // local.set
                withIndex(&pc, after: 1) {
                    sp -= 1
                    fp[$0] = sp[0]
                }
            case .x22:  // local.tee
                withIndex(&pc, after: 1) { fp[$0] = sp[-1] }
            case .x23:  // global.get
                withIndex(&pc, after: 1) { push(&sp, regs.pointee.globals[$0].pointee.value) }
            case .x24:  // global.set
                withIndex(&pc, after: 1) {
                    sp -= 1
                    regs.pointee.globals[$0].pointee.value = sp[0]
                }

            // Table instructions
            case .x25:  // table.get
                var at = pc + 1
                let table = regs.pointee.instance.pointee.tables[readIndex(&at)]
                let i = u32(sp[-1])
                guard i < table.pointee.count else { throw makeTrap(regs.pointee.function, .outOfBoundsTableAccess, at: pc) }
                sp[-1] = table.pointee.elements[Int(truncatingIfNeeded: i)]
                pc = at
            case .x26:  // table.set
                var at = pc + 1
                let table = regs.pointee.instance.pointee.tables[readIndex(&at)]
                let i = u32(sp[-2])
                guard i < table.pointee.count else { throw makeTrap(regs.pointee.function, .outOfBoundsTableAccess, at: pc) }
                table.pointee.elements[Int(truncatingIfNeeded: i)] = sp[-1]
                sp -= 2
                pc = at

            // Memory instructions
            case .x28: try load32(UInt32.self, &pc, sp, regs)  // i32.load
            case .x29: try load64(UInt64.self, &pc, sp, regs)  // i64.load
            case .x2A: try load32(UInt32.self, &pc, sp, regs)  // f32.load
            case .x2B: try load64(UInt64.self, &pc, sp, regs)  // f64.load
            case .x2C: try load32(Int8.self, &pc, sp, regs)  // i32.load8_s
            case .x2D: try load32(UInt8.self, &pc, sp, regs)  // i32.load8_u
            case .x2E: try load32(Int16.self, &pc, sp, regs)  // i32.load16_s
            case .x2F: try load32(UInt16.self, &pc, sp, regs)  // i32.load16_u
            case .x30: try load64(Int8.self, &pc, sp, regs)  // i64.load8_s
            case .x31: try load64(UInt8.self, &pc, sp, regs)  // i64.load8_u
            case .x32: try load64(Int16.self, &pc, sp, regs)  // i64.load16_s
            case .x33: try load64(UInt16.self, &pc, sp, regs)  // i64.load16_u
            case .x34: try load64(Int32.self, &pc, sp, regs)  // i64.load32_s
            case .x35: try load64(UInt32.self, &pc, sp, regs)  // i64.load32_u
            case .x36, .x38, .x3E: try store(UInt32.self, &pc, &sp, regs)  // i32/f32.store, i64.store32
            case .x37, .x39: try store(UInt64.self, &pc, &sp, regs)  // i64/f64.store
            case .x3A, .x3C: try store(UInt8.self, &pc, &sp, regs)  // store8
            case .x3B, .x3D: try store(UInt16.self, &pc, &sp, regs)  // store16
            case .x3F:  // memory.size
                pc += 2
                push(&sp, UInt64(regs.pointee.instance.pointee.memory?.pointee.pages ?? 0))
            case .x40:  // memory.grow
                pc += 2
                if let memory = regs.pointee.instance.pointee.memory {
                    sp[-1] = UInt64(growMemory(memory, by: u32(sp[-1])))
                    regs.pointee.reloadMemory()
                } else {
                    sp[-1] = 0xFFFF_FFFF
                }

            // Numeric instructions: constants
            case .x41:  // i32.const, often fused with the instruction that uses it
                let k: UInt32
                let b = byte(pc, 1)
                if b < 0x80 {
                    k = UInt32(bitPattern: Int32(Int8(bitPattern: b &<< 1) &>> 1))
                    pc += 2
                } else {
                    var at = pc + 1
                    k = readS32(&at)
                    pc = at
                }
                constantOperand(k, &pc, &sp)
            case .x42:
                withSigned(&pc, after: 1) { push(&sp, $0) }
            case .x43:
                push(&sp, UInt64(unaligned(pc + 1, as: UInt32.self)))
                pc += 5
            case .x44:
                push(&sp, unaligned(pc + 1, as: UInt64.self))
                pc += 9

            // i32 comparisons (fused with a following br_if or if: see `consume`)
            case .x45: if let stop = zeroCondition(&pc, &sp, &stp, fp, regs, u32) { return stop }  // i32.eqz
            case .x46: if let stop = condition(&pc, &sp, &stp, fp, regs, u32, ==) { return stop }
            case .x47: if let stop = condition(&pc, &sp, &stp, fp, regs, u32, !=) { return stop }
            case .x48: if let stop = condition(&pc, &sp, &stp, fp, regs, i32, <) { return stop }
            case .x49: if let stop = condition(&pc, &sp, &stp, fp, regs, u32, <) { return stop }
            case .x4A: if let stop = condition(&pc, &sp, &stp, fp, regs, i32, >) { return stop }
            case .x4B: if let stop = condition(&pc, &sp, &stp, fp, regs, u32, >) { return stop }
            case .x4C: if let stop = condition(&pc, &sp, &stp, fp, regs, i32, <=) { return stop }
            case .x4D: if let stop = condition(&pc, &sp, &stp, fp, regs, u32, <=) { return stop }
            case .x4E: if let stop = condition(&pc, &sp, &stp, fp, regs, i32, >=) { return stop }
            case .x4F: if let stop = condition(&pc, &sp, &stp, fp, regs, u32, >=) { return stop }
            // i64 comparisons
            case .x50: if let stop = zeroCondition(&pc, &sp, &stp, fp, regs, u64) { return stop }  // i64.eqz
            case .x51: if let stop = condition(&pc, &sp, &stp, fp, regs, u64, ==) { return stop }
            case .x52: if let stop = condition(&pc, &sp, &stp, fp, regs, u64, !=) { return stop }
            case .x53: if let stop = condition(&pc, &sp, &stp, fp, regs, i64, <) { return stop }
            case .x54: if let stop = condition(&pc, &sp, &stp, fp, regs, u64, <) { return stop }
            case .x55: if let stop = condition(&pc, &sp, &stp, fp, regs, i64, >) { return stop }
            case .x56: if let stop = condition(&pc, &sp, &stp, fp, regs, u64, >) { return stop }
            case .x57: if let stop = condition(&pc, &sp, &stp, fp, regs, i64, <=) { return stop }
            case .x58: if let stop = condition(&pc, &sp, &stp, fp, regs, u64, <=) { return stop }
            case .x59: if let stop = condition(&pc, &sp, &stp, fp, regs, i64, >=) { return stop }
            case .x5A: if let stop = condition(&pc, &sp, &stp, fp, regs, u64, >=) { return stop }
            // f32 comparisons (rarely a loop condition: not fused)
            case .x5B: compare(&pc, &sp, float32, ==)
            case .x5C: compare(&pc, &sp, float32, !=)
            case .x5D: compare(&pc, &sp, float32, <)
            case .x5E: compare(&pc, &sp, float32, >)
            case .x5F: compare(&pc, &sp, float32, <=)
            case .x60: compare(&pc, &sp, float32, >=)
            // f64 comparisons
            case .x61: compare(&pc, &sp, f64, ==)
            case .x62: compare(&pc, &sp, f64, !=)
            case .x63: compare(&pc, &sp, f64, <)
            case .x64: compare(&pc, &sp, f64, >)
            case .x65: compare(&pc, &sp, f64, <=)
            case .x66: compare(&pc, &sp, f64, >=)

            // i32 arithmetic
            case .x67: i32Unary(&pc, sp) { UInt32($0.leadingZeroBitCount) }
            case .x68: i32Unary(&pc, sp) { UInt32($0.trailingZeroBitCount) }
            case .x69: i32Unary(&pc, sp) { UInt32($0.nonzeroBitCount) }
            case .x6A: i32Binary(&pc, &sp, &+)
            case .x6B: i32Binary(&pc, &sp, &-)
            case .x6C: i32Binary(&pc, &sp, &*)
            case .x6D: try i32Checked(&pc, &sp, regs, i32DivS)
            case .x6E: try i32Checked(&pc, &sp, regs, i32DivU)
            case .x6F: try i32Checked(&pc, &sp, regs, i32RemS)
            case .x70: try i32Checked(&pc, &sp, regs, i32RemU)
            case .x71: i32Binary(&pc, &sp, &)
            case .x72: i32Binary(&pc, &sp, |)
            case .x73: i32Binary(&pc, &sp, ^)
            case .x74: i32Binary(&pc, &sp, i32Shl)
            case .x75: i32Binary(&pc, &sp, i32ShrS)
            case .x76: i32Binary(&pc, &sp, i32ShrU)
            case .x77: i32Binary(&pc, &sp, i32Rotl)
            case .x78: i32Binary(&pc, &sp, i32Rotr)
            // i64 arithmetic
            case .x79: unary(&pc, sp) { UInt64($0.leadingZeroBitCount) }
            case .x7A: unary(&pc, sp) { UInt64($0.trailingZeroBitCount) }
            case .x7B: unary(&pc, sp) { UInt64($0.nonzeroBitCount) }
            case .x7C: binary(&pc, &sp, &+)
            case .x7D: binary(&pc, &sp, &-)
            case .x7E: binary(&pc, &sp, &*)
            case .x7F: try i64Checked(&pc, &sp, regs, i64DivS)
            case .x80: try i64Checked(&pc, &sp, regs, i64DivU)
            case .x81: try i64Checked(&pc, &sp, regs, i64RemS)
            case .x82: try i64Checked(&pc, &sp, regs, i64RemU)
            case .x83: binary(&pc, &sp, &)
            case .x84: binary(&pc, &sp, |)
            case .x85: binary(&pc, &sp, ^)
            case .x86: binary(&pc, &sp, i64Shl)
            case .x87: binary(&pc, &sp, i64ShrS)
            case .x88: binary(&pc, &sp, i64ShrU)
            case .x89: binary(&pc, &sp, i64Rotl)
            case .x8A: binary(&pc, &sp, i64Rotr)
            // f32 arithmetic
            case .x8B: i32Unary(&pc, sp, f32Abs)
            case .x8C: i32Unary(&pc, sp, f32Neg)
            case .x8D: f32Unary(&pc, sp, wasmCeil)
            case .x8E: f32Unary(&pc, sp, wasmFloor)
            case .x8F: f32Unary(&pc, sp, wasmTrunc)
            case .x90: f32Unary(&pc, sp, wasmNearest)
            case .x91: f32Unary(&pc, sp) { $0.squareRoot() }
            case .x92: f32Binary(&pc, &sp, +)
            case .x93: f32Binary(&pc, &sp, -)
            case .x94: f32Binary(&pc, &sp, *)
            case .x95: f32Binary(&pc, &sp, /)
            case .x96: f32Binary(&pc, &sp, wasmMin)
            case .x97: f32Binary(&pc, &sp, wasmMax)
            case .x98: i32Binary(&pc, &sp, f32Copysign)
            // f64 arithmetic
            case .x99: unary(&pc, sp, f64Abs)
            case .x9A: unary(&pc, sp, f64Neg)
            case .x9B: f64Unary(&pc, sp, wasmCeil)
            case .x9C: f64Unary(&pc, sp, wasmFloor)
            case .x9D: f64Unary(&pc, sp, wasmTrunc)
            case .x9E: f64Unary(&pc, sp, wasmNearest)
            case .x9F: f64Unary(&pc, sp) { $0.squareRoot() }
            case .xA0: f64Binary(&pc, &sp, +)
            case .xA1: f64Binary(&pc, &sp, -)
            case .xA2: f64Binary(&pc, &sp, *)
            case .xA3: f64Binary(&pc, &sp, /)
            case .xA4: f64Binary(&pc, &sp, wasmMin)
            case .xA5: f64Binary(&pc, &sp, wasmMax)
            case .xA6: binary(&pc, &sp, f64Copysign)

            // Conversions
            case .xA7: unary(&pc, sp) { UInt64(u32($0)) }  // i32.wrap_i64
            case .xA8: try checkedUnary(&pc, sp, regs, { truncToI32S(Double(float32($0))) }, { UInt64($0) })
            case .xA9: try checkedUnary(&pc, sp, regs, { truncToI32U(Double(float32($0))) }, { UInt64($0) })
            case .xAA: try checkedUnary(&pc, sp, regs, { truncToI32S(f64($0)) }, { UInt64($0) })
            case .xAB: try checkedUnary(&pc, sp, regs, { truncToI32U(f64($0)) }, { UInt64($0) })
            case .xAC: unary(&pc, sp) { i64ExtendI32S(u32($0)) }
            case .xAD: unary(&pc, sp) { UInt64(u32($0)) }  // i64.extend_i32_u
            case .xAE: try checkedUnary(&pc, sp, regs, { truncToI64S(Double(float32($0))) }, u64)
            case .xAF: try checkedUnary(&pc, sp, regs, { truncToI64U(Double(float32($0))) }, u64)
            case .xB0: try checkedUnary(&pc, sp, regs, { truncToI64S(f64($0)) }, u64)
            case .xB1: try checkedUnary(&pc, sp, regs, { truncToI64U(f64($0)) }, u64)
            case .xB2: i32Unary(&pc, sp, f32FromI32S)
            case .xB3: i32Unary(&pc, sp, f32FromI32U)
            case .xB4: unary(&pc, sp) { UInt64(f32FromI64S($0)) }
            case .xB5: unary(&pc, sp) { UInt64(f32FromI64U($0)) }
            case .xB6: unary(&pc, sp) { UInt64(f32Demote($0)) }
            case .xB7: unary(&pc, sp) { f64FromI32S(u32($0)) }
            case .xB8: unary(&pc, sp) { f64FromI32U(u32($0)) }
            case .xB9: unary(&pc, sp, f64FromI64S)
            case .xBA: unary(&pc, sp, f64FromI64U)
            case .xBB: unary(&pc, sp) { f64Promote(u32($0)) }
            case .xBC, .xBD, .xBE, .xBF:  // reinterpret: slots already hold the bits
                pc += 1
            case .xC0: i32Unary(&pc, sp, i32Extend8S)
            case .xC1: i32Unary(&pc, sp, i32Extend16S)
            case .xC2: unary(&pc, sp, i64Extend8S)
            case .xC3: unary(&pc, sp, i64Extend16S)
            case .xC4: unary(&pc, sp, i64Extend32S)

            // Reference instructions
            case .xD0:  // ref.null t
                pc += 2
                push(&sp, 0)
            case .xD1:  // ref.is_null
                unary(&pc, sp) { $0 == 0 ? 1 : 0 }
            case .xD2:  // ref.func
                pc += 1
                push(&sp, UInt64(UInt(bitPattern: regs.pointee.functions[readIndex(&pc)])))

            case .xFC:
                let op = pc
                pc += 1
                let sub = readU32(&pc)
                switch sub {
                case 0: sp[-1] = UInt64(truncSatToI32S(Double(float32(sp[-1]))))
                case 1: sp[-1] = UInt64(truncSatToI32U(Double(float32(sp[-1]))))
                case 2: sp[-1] = UInt64(truncSatToI32S(f64(sp[-1])))
                case 3: sp[-1] = UInt64(truncSatToI32U(f64(sp[-1])))
                case 4: sp[-1] = truncSatToI64S(Double(float32(sp[-1])))
                case 5: sp[-1] = truncSatToI64U(Double(float32(sp[-1])))
                case 6: sp[-1] = truncSatToI64S(f64(sp[-1]))
                case 7: sp[-1] = truncSatToI64U(f64(sp[-1]))
                default:
                    // A copy of pc goes inout, so pc itself never has its address taken.
                    var bulkPC = pc
                    sp = try bulkOperation(
                        sub, &bulkPC, sp: sp, instance: regs.pointee.instance, function: regs.pointee.function, op: op)
                    pc = bulkPC
                    regs.pointee.reloadMemory()
                }
            case .xFD:
                throw makeTrap(regs.pointee.function, .simdNotSupported, at: pc)
            // Every other byte listed, no `default`: with all 256 cases covered the jump
            // table needs no range check. Validation admits none of these opcodes.
            case .x06, .x07, .x08, .x09, .x0A, .x12, .x13, .x14, .x15, .x16, .x17, .x18,
                 .x19, .x1D, .x1E, .x1F, .x27, .xC5, .xC6, .xC7, .xC8, .xC9, .xCA, .xCB,
                 .xCC, .xCD, .xCE, .xCF, .xD3, .xD4, .xD5, .xD6, .xD7, .xD8, .xD9, .xDA,
                 .xDB, .xDC, .xDD, .xDE, .xDF, .xE0, .xE1, .xE2, .xE3, .xE4, .xE5, .xE6,
                 .xE7, .xE8, .xE9, .xEA, .xEB, .xEC, .xED, .xEE, .xEF, .xF0, .xF1, .xF2,
                 .xF3, .xF4, .xF5, .xF6, .xF7, .xF8, .xF9, .xFA, .xFB, .xFE, .xFF:
                throw makeTrap(regs.pointee.function, .unreachable, at: pc)
            }
        }
    }

    /// Calls `callee` from the call instruction at `op` (`pc` after it, arguments on top
    /// of the stack): enters a wasm function, or runs a host function and continues after
    /// the call. Returns how the run stops, or nil to continue. A call costs one unit of fuel;
    /// out of fuel, the run stops at the call (with call_indirect's popped operand,
    /// `operandPopped`, back in its slot) and re-executes it when resumed.
    @inline(__always) private func call(
        _ callee: UnsafeMutablePointer<FunctionRecord>, at op: UnsafeRawPointer, _ pc: inout UnsafeRawPointer,
        _ stp: inout UnsafeRawPointer, _ sp: inout UnsafeMutablePointer<UInt64>, _ fp: inout UnsafeMutablePointer<UInt64>,
        _ regs: UnsafeMutablePointer<Registers>, operandPopped: Bool = false
    ) throws(Trap) -> RunOutcome? {
        if !spendFuel(regs) { return suspend(regs, op, stp, operandPopped ? sp + 1 : sp, fp) }
        let args = sp - Int(callee.pointee.paramSlots)
        guard let entry = callee.pointee.entry else {
            let outcome = try callHostFunction(callee, args: args, regs, op: op)
            sp = args + Int(callee.pointee.resultSlots)
            switch outcome {
            case nil:
                // A host function may have grown memory through another instance.
                regs.pointee.reloadMemory()
                return nil
            case .hostSuspended?:
                // Resuming continues after the call.
                return suspend(regs, pc, stp, sp, fp, outcome!)
            case let outcome?:
                status = .idle
                return outcome
            }
        }
        let top = regs.pointee.frameTop
        // Byte distance, not `stackEnd - args` (a pointer difference divides); compared in
        // slots, since `frameSlots * 8` wraps a 32-bit UInt for frames past 2^29 slots.
        let room = UInt(bitPattern: regs.pointee.stackEnd) &- UInt(bitPattern: args)
        guard top != regs.pointee.framesEnd, room &>> 3 >= UInt(callee.pointee.frameSlots) else {
            throw makeTrap(regs.pointee.function, .callStackExhausted, at: op)
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
        if callee.pointee.instance != regs.pointee.instance {
            regs.pointee.loadInstance(of: callee)
        }
        return nil
    }

    /// A host function called from wasm, its arguments straight off the value stack:
    /// nil when it returned normally, else how the run must stop.
    private func callHostFunction(
        _ callee: UnsafeMutablePointer<FunctionRecord>, args: UnsafeMutablePointer<UInt64>,
        _ regs: UnsafeMutablePointer<Registers>, op: UnsafeRawPointer
    ) throws(Trap) -> RunOutcome? {
        let c = callee.pointee
        guard max(Int(c.paramSlots), Int(c.resultSlots)) <= regs.pointee.stackEnd - args else {
            throw makeTrap(regs.pointee.function, .callStackExhausted, at: op)
        }
        let memory = GuestMemory(base: regs.pointee.memBase, size: Int(truncatingIfNeeded: regs.pointee.memSize))
        switch try callHost(callee, args: args, memory: memory) {
        case .done: return nil
        case .suspend(let ns): return .hostSuspended(wakeAfterNanoseconds: ns)
        case .exit(let code): return .exited(code: code)
        case .trap(let t): throw makeTrap(regs.pointee.function, TrapKind(t), at: op)
        }
    }

    /// The function `call_indirect` (at `op`, `pc` after its opcode) calls through its
    /// table, type-checked; steps `pc` past the immediates.
    private func indirectCallee(
        _ pc: inout UnsafeRawPointer, sp: UnsafeMutablePointer<UInt64>, _ regs: UnsafeMutablePointer<Registers>,
        op: UnsafeRawPointer
    ) throws(Trap) -> UnsafeMutablePointer<FunctionRecord> {
        let instance = regs.pointee.instance
        let typeIndex = readIndex(&pc)
        let table = instance.pointee.tables[readIndex(&pc)]
        let elementIndex = u32(sp[-1])
        guard elementIndex < table.pointee.count else {
            throw makeTrap(regs.pointee.function, .undefinedElement, at: op)
        }
        guard let target = UnsafeMutablePointer<FunctionRecord>(
            bitPattern: UInt(truncatingIfNeeded: table.pointee.elements[Int(truncatingIfNeeded: elementIndex)]))
        else { throw makeTrap(regs.pointee.function, .uninitializedElement, at: op) }
        let expected = instance.pointee.types + typeIndex
        guard target.pointee.type == expected || target.pointee.type.pointee.matches(expected.pointee) else {
            throw makeTrap(regs.pointee.function, .indirectCallTypeMismatch, at: op)
        }
        return target
    }
}

// Operand readers for `compare`.
@inline(__always) func u64(_ v: UInt64) -> UInt64 { v }
@inline(__always) func i32(_ v: UInt64) -> Int32 { Int32(truncatingIfNeeded: v) }
@inline(__always) func i64(_ v: UInt64) -> Int64 { Int64(bitPattern: v) }
@inline(__always) func float32(_ v: UInt64) -> Float { Float(bitPattern: u32(v)) }
