import PerchCore
import PerchDecode

/// Value-type bytes as they appear in the code (spec 5.3), and 0 for the unknown type of a
/// value popped from the polymorphic stack of unreachable code.
enum T {
    static let unknown: UInt8 = 0
    static let i32: UInt8 = 0x7F
    static let i64: UInt8 = 0x7E
    static let f32: UInt8 = 0x7D
    static let f64: UInt8 = 0x7C
    static let v128: UInt8 = 0x7B
    static let funcref: UInt8 = 0x70
    static let externref: UInt8 = 0x6F

    @inline(__always) static func isValue(_ b: UInt8) -> Bool {
        (b >= 0x7B && b <= 0x7F) || b == 0x70 || b == 0x6F
    }
    @inline(__always) static func isReference(_ b: UInt8) -> Bool { b == 0x70 || b == 0x6F }
    @inline(__always) static func slots(_ b: UInt8) -> Int { b == 0x7B ? 2 : 1 }
}

enum FrameKind: UInt8 {
    case block, loop, `if`, `else`, function
}

/// A control-stack frame (spec 3.3.5's `ctrl_frame`) plus what the side table needs.
struct ControlFrame {
    var params: UnsafeRawPointer?
    var results: UnsafeRawPointer?
    var paramCount: UInt32
    var resultCount: UInt32
    /// Type-stack entries and value-stack slots beneath this frame's operands.
    var height: UInt32
    var slotHeight: UInt32
    var paramSlots: UInt32
    var resultSlots: UInt32
    /// Loop: body offset of its first instruction and index of the first entry in it.
    var startPC: UInt32
    var startEntry: UInt32
    /// Head of the list of forward branches to this label still missing their target.
    var pending: Int32
    /// `if`: its entry, patched at `else` or `end`.
    var ifEntry: Int32
    var kind: FrameKind
    var unreachable: Bool
}

/// A run of declared locals of one type; `end` counts params and all earlier locals.
struct LocalRun {
    var end: UInt64
    var type: UInt8
}

/// Validates one function body in one linear pass (spec 3.3) and builds its side table.
///
/// # Invariants
/// - Every stack lives in `ScratchStack`s taken after the caller's arena mark.
/// - Offsets stored in frames and entries are body offsets (`pc - bodyStart`) and fit in
///   UInt32 because a body's size is a u32.
struct FunctionValidator {
    let context: ModuleContext
    /// Unretained: see `ScratchStack`'s invariants.
    let arena: Unmanaged<Arena>
    var reader: ByteReader
    let bodyStart: UnsafeRawPointer
    var types: ScratchStack<UInt8>
    var controls: ScratchStack<ControlFrame>
    var branches: ScratchStack<PendingBranch>
    var locals: ScratchStack<LocalRun>
    let params: UnsafeRawBufferPointer
    var localCount: UInt64 = 0
    var localSlots: UInt64 = 0
    var slots: Int = 0
    var maxSlots: Int = 0
    /// Start of the instruction being validated, for error offsets.
    var instruction: UnsafeRawPointer

    init(context: ModuleContext, arena: Unmanaged<Arena>, body: UnsafeRawBufferPointer, type: FuncType) throws(ModuleError) {
        self.context = context
        self.arena = arena
        let start = body.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        self.bodyStart = start
        self.reader = ByteReader(base: context.moduleStart ?? start, position: start, end: start + body.count)
        self.instruction = start
        self.params = type.params
        // One arena call for all four stacks; `branches` first, at the low end of the block
        // and so of the high region, where it can grow in place.
        let branchCapacity = max(8, body.count / 16)
        let bytes = ScratchStack<PendingBranch>.carvedBytes(capacity: branchCapacity)
            &+ ScratchStack<UInt8>.carvedBytes(capacity: 64) &+ ScratchStack<ControlFrame>.carvedBytes(capacity: 16)
            &+ ScratchStack<LocalRun>.carvedBytes(capacity: 4)
        var block: UnsafeMutableRawPointer
        do {
            block = try arena.takeUnretainedValue().allocateHigh(bytes, alignment: 8, for: .validationScratch)
        } catch {
            throw ModuleError(
                .arenaFull(use: error.use, requested: error.requested, available: error.available),
                at: start - (context.moduleStart ?? start))
        }
        branches = ScratchStack(carving: &block, capacity: branchCapacity)
        types = ScratchStack(carving: &block, capacity: 64)
        controls = ScratchStack(carving: &block, capacity: 16)
        locals = ScratchStack(carving: &block, capacity: 4)
    }

    // MARK: Errors

    /// `kind` at the instruction being validated.
    func fail(_ kind: ModuleErrorKind) -> ModuleError {
        ModuleError(kind, at: instruction - reader.base)
    }

    func invalid(_ kind: ValidationErrorKind) -> ModuleError { fail(.invalid(kind)) }

    /// A reserved byte that must be exactly 0x00 (one byte, not a longer LEB128 zero).
    @inline(__always)
    mutating func zeroByte() throws(ModuleError) {
        guard try reader.readByte() == 0 else { throw invalid(.zeroByteExpected) }
    }

    // MARK: Operand stack

    @inline(__always)
    mutating func push(_ t: UInt8) throws(ModuleError) {
        try types.push(t, arena: arena, at: reader)
        slots &+= T.slots(t)
        if slots > maxSlots { maxSlots = slots }
    }

    /// Pops any value; `T.unknown` from the polymorphic base of unreachable code.
    @inline(__always)
    mutating func pop() throws(ModuleError) -> UInt8 {
        let frame = controls.top
        if types.count > Int(frame.height) {
            types.count &-= 1
            let t = types.base[types.count]
            slots &-= T.slots(t)
            return t
        }
        guard frame.unreachable else { throw invalid(.typeMismatch) }
        return T.unknown
    }

    @inline(__always)
    mutating func pop(_ expected: UInt8) throws(ModuleError) {
        let t = try pop()
        if t != expected && t != T.unknown && expected != T.unknown { throw invalid(.typeMismatch) }
    }

    @inline(__always)
    mutating func unary(_ operand: UInt8, _ result: UInt8) throws(ModuleError) {
        try pop(operand)
        try push(result)
    }

    @inline(__always)
    mutating func binary(_ operand: UInt8, _ result: UInt8) throws(ModuleError) {
        try pop(operand)
        try pop(operand)
        try push(result)
    }

    mutating func popTypes(_ list: UnsafeRawPointer?, _ count: UInt32) throws(ModuleError) {
        var i = Int(count)
        while i > 0 {
            i &-= 1
            try pop(list!.load(fromByteOffset: i, as: UInt8.self))
        }
    }

    mutating func pushTypes(_ list: UnsafeRawPointer?, _ count: UInt32) throws(ModuleError) {
        try types.reserve(Int(count), arena: arena, at: reader)
        for i in 0..<Int(count) { try push(list!.load(fromByteOffset: i, as: UInt8.self)) }
    }

    mutating func setUnreachable() {
        let frame = controls.top
        types.count = Int(frame.height)
        slots = Int(frame.slotHeight)
        controls.top.unreachable = true
    }

    // MARK: Control

    static func slotCount(_ list: UnsafeRawPointer?, _ count: UInt32) -> UInt32 {
        var total: UInt32 = 0
        for i in 0..<Int(count) { total &+= list!.load(fromByteOffset: i, as: UInt8.self) == T.v128 ? 2 : 1 }
        return total
    }

    /// Reads a block type (spec 5.4.1): empty, one value type, or a type index.
    mutating func blockType() throws(ModuleError) -> (UnsafeRawPointer?, UInt32, UnsafeRawPointer?, UInt32) {
        guard reader.position < reader.end else { throw fail(.unexpectedEndOfSectionOrFunction) }
        let b = reader.position.load(as: UInt8.self)
        if b == 0x40 {
            reader.position += 1
            return (nil, 0, nil, 0)
        }
        if T.isValue(b) {
            let at = reader.position
            reader.position += 1
            return (nil, 0, at, 1)
        }
        let index = try reader.readS33()
        guard index >= 0 else { throw fail(.malformedValueType) }
        guard index < Int64(context.types.count) else { throw invalid(.unknownType(UInt32(truncatingIfNeeded: index))) }
        let type = context.types[Int(index)]
        return (type.params.baseAddress, UInt32(type.params.count), type.results.baseAddress, UInt32(type.results.count))
    }

    mutating func enterBlock(_ kind: FrameKind) throws(ModuleError) {
        let afterOpcode = reader.position
        let (params, paramCount, results, resultCount) = try blockType()
        if kind == .if { try pop(T.i32) }
        try popTypes(params, paramCount)
        var frame = ControlFrame(
            params: params, results: results, paramCount: paramCount, resultCount: resultCount,
            height: UInt32(types.count), slotHeight: UInt32(slots),
            paramSlots: Self.slotCount(params, paramCount), resultSlots: Self.slotCount(results, resultCount),
            startPC: UInt32(reader.position - bodyStart), startEntry: UInt32(branches.count),
            pending: -1, ifEntry: -1, kind: kind, unreachable: false)
        if kind == .if {
            frame.ifEntry = Int32(branches.count)
            try emit(PendingBranch(
                branchPC: UInt32(afterOpcode - 1 - bodyStart), target: 0, targetEntry: 0,
                keep: frame.paramSlots, drop: 0))
        }
        try controls.push(frame, arena: arena, at: reader)
        try pushTypes(params, paramCount)
    }

    @inline(__always)
    mutating func emit(_ entry: PendingBranch) throws(ModuleError) {
        try branches.push(entry, arena: arena, at: reader)
    }

    /// Records a branch from the opcode at `branchPC` to label `depth` (already checked),
    /// with the stack as it is when the branch is taken.
    mutating func emitBranch(depth: Int, branchPC: UInt32) throws(ModuleError) {
        let frameIndex = controls.count &- 1 &- depth
        let label = controls.base[frameIndex]
        let keep = label.kind == .loop ? label.paramSlots : label.resultSlots
        let dropped = slots &- Int(label.slotHeight) &- Int(keep)
        var entry = PendingBranch(
            branchPC: branchPC, target: 0, targetEntry: 0, keep: keep, drop: UInt32(truncatingIfNeeded: max(0, dropped)))
        if label.kind == .loop {
            entry.target = label.startPC
            entry.targetEntry = label.startEntry
        } else {
            entry.target = UInt32(bitPattern: label.pending)
            controls.base[frameIndex].pending = Int32(branches.count)
        }
        try emit(entry)
    }

    /// The types a branch to label `depth` carries, after checking the label exists.
    @inline(__always)
    func labelTypes(_ depth: UInt32) throws(ModuleError) -> (UnsafeRawPointer?, UInt32) {
        guard depth.isIndex(below: controls.count) else { throw invalid(.unknownLabel(depth)) }
        let label = controls.base[controls.count &- 1 &- Int(depth)]
        return label.kind == .loop ? (label.params, label.paramCount) : (label.results, label.resultCount)
    }

    /// Gives every forward branch to the top frame its target.
    mutating func resolvePending(_ frame: ControlFrame, targetPC: UInt32) {
        var next = frame.pending
        let entryCount = UInt32(branches.count)
        while next >= 0 {
            let following = Int32(bitPattern: branches.base[Int(next)].target)
            branches.base[Int(next)].target = targetPC
            branches.base[Int(next)].targetEntry = entryCount
            next = following
        }
    }

    // MARK: Locals

    mutating func readLocals() throws(ModuleError) {
        localCount = UInt64(params.count)
        let groups = try reader.readU32()
        for _ in 0..<groups {
            let count = try reader.readU32()
            let type = try reader.readValueType().rawValue
            localCount &+= UInt64(count)
            guard localCount <= UInt64(UInt32.max) else { throw invalid(.tooManyLocals) }
            localSlots &+= UInt64(count) &* UInt64(T.slots(type))
            if count > 0 { try locals.push(LocalRun(end: localCount, type: type), arena: arena, at: reader) }
        }
    }

    @inline(__always)
    func localType(_ index: UInt32) throws(ModuleError) -> UInt8 {
        if index.isIndex(below: params.count) { return params[Int(index)] }
        guard UInt64(index) < localCount else { throw invalid(.unknownLocal(index)) }
        // Few runs are usual; search them in halves all the same.
        var low = 0
        var high = locals.count &- 1
        while low < high {
            let mid = (low &+ high) >> 1
            if locals.base[mid].end > UInt64(index) { high = mid } else { low = mid &+ 1 }
        }
        return locals.base[low].type
    }

    // MARK: Immediates

    /// Reads a memarg (spec 5.4.6) for an access of 2^`naturalAlignment` bytes.
    @inline(__always)
    mutating func memarg(naturalAlignment: UInt32) throws(ModuleError) {
        let align = try reader.readU32()
        _ = try reader.readU32()
        if align >= 32 { throw invalid(.malformedMemopFlags) }
        if align > naturalAlignment { throw invalid(.alignmentTooLarge) }
        guard context.memoryCount > 0 else { throw invalid(.unknownMemory(0)) }
    }

    @inline(__always)
    func globalType(_ index: UInt32) throws(ModuleError) -> GlobalType {
        guard index.isIndex(below: context.globals.count) else { throw invalid(.unknownGlobal(index)) }
        return context.globals[Int(index)].type
    }

    mutating func requireMemory() throws(ModuleError) {
        guard context.memoryCount > 0 else { throw invalid(.unknownMemory(0)) }
    }

    mutating func tableType(_ index: UInt32) throws(ModuleError) -> UInt8 {
        guard index.isIndex(below: context.tables.count) else { throw invalid(.unknownTable(index)) }
        return context.tables[Int(index)].elementType.rawValue
    }

    mutating func functionType(ofFunction index: UInt32) throws(ModuleError) -> FuncType {
        guard index.isIndex(below: context.functions.count) else { throw invalid(.unknownFunction(index)) }
        return context.types[Int(context.functions[Int(index)].typeIndex)]
    }

    mutating func pushResults(_ type: FuncType) throws(ModuleError) {
        try pushTypes(type.results.baseAddress, UInt32(type.results.count))
    }

    mutating func popParams(_ type: FuncType) throws(ModuleError) {
        try popTypes(type.params.baseAddress, UInt32(type.params.count))
    }

    // MARK: The pass

    /// Validates the body and returns what the interpreter needs; the side table's
    /// entries are left in `branches` for the caller to lay out.
    mutating func run(signature: FuncType) throws(ModuleError) -> (entry: UnsafeRawPointer, end: UnsafeRawPointer) {
        try readLocals()
        let entry = reader.position
        try controls.push(
            ControlFrame(
                params: nil, results: signature.results.baseAddress, paramCount: 0,
                resultCount: UInt32(signature.results.count), height: 0, slotHeight: 0, paramSlots: 0,
                resultSlots: Self.slotCount(signature.results.baseAddress, UInt32(signature.results.count)),
                startPC: 0, startEntry: 0, pending: -1, ifEntry: -1, kind: .function, unreachable: false),
            arena: arena, at: reader)
        while true {
            instruction = reader.position
            guard reader.position < reader.end else { throw fail(missingEndReason) }
            let op = reader.position.load(as: UInt8.self)
            reader.position += 1
            switch op {
            case 0x00: setUnreachable()
            case 0x01: break
            case 0x02: try enterBlock(.block)
            case 0x03: try enterBlock(.loop)
            case 0x04: try enterBlock(.if)
            case 0x05:
                let frame = controls.top
                guard frame.kind == .if else { throw invalid(.typeMismatch) }
                try popTypes(frame.results, frame.resultCount)
                guard types.count == Int(frame.height) else { throw invalid(.typeMismatch) }
                // The then-arm falls into `else`: jump past `end`.
                let elseEntry = branches.count
                try emit(PendingBranch(
                    branchPC: UInt32(instruction - bodyStart), target: UInt32(bitPattern: frame.pending), targetEntry: 0,
                    keep: frame.resultSlots, drop: 0))
                branches.base[Int(frame.ifEntry)].target = UInt32(reader.position - bodyStart)
                branches.base[Int(frame.ifEntry)].targetEntry = UInt32(branches.count)
                controls.top.pending = Int32(elseEntry)
                controls.top.kind = .else
                controls.top.unreachable = false
                try pushTypes(frame.params, frame.paramCount)
            case 0x0B:
                let frame = controls.top
                try popTypes(frame.results, frame.resultCount)
                guard types.count == Int(frame.height) else { throw invalid(.typeMismatch) }
                let after = UInt32(reader.position - bodyStart)
                if frame.kind == .if {
                    // No else: the false edge must already have the results.
                    guard frame.paramCount == frame.resultCount,
                        frame.paramCount == 0 || memcmpEqual(frame.params!, frame.results!, Int(frame.paramCount))
                    else { throw invalid(.typeMismatch) }
                    branches.base[Int(frame.ifEntry)].target = after
                    branches.base[Int(frame.ifEntry)].targetEntry = UInt32(branches.count)
                }
                if frame.kind == .function {
                    resolvePending(frame, targetPC: UInt32(instruction - bodyStart))
                    controls.count = 0
                    guard reader.position == reader.end else { throw fail(.sectionSizeMismatch) }
                    return (entry, instruction)
                }
                resolvePending(frame, targetPC: after)
                controls.count &-= 1
                try pushTypes(frame.results, frame.resultCount)
            case 0x0C:
                let depth = try reader.readU32()
                let (list, count) = try labelTypes(depth)
                try emitBranch(depth: Int(depth), branchPC: UInt32(instruction - bodyStart))
                try popTypes(list, count)
                setUnreachable()
            case 0x0D:
                let depth = try reader.readU32()
                let (list, count) = try labelTypes(depth)
                try pop(T.i32)
                try popTypes(list, count)
                try pushTypes(list, count)
                try emitBranch(depth: Int(depth), branchPC: UInt32(instruction - bodyStart))
            case 0x0E: try brTable()
            case 0x0F:  // return: the interpreter needs no entry, it returns directly
                let function = controls.base[0]
                try popTypes(function.results, function.resultCount)
                setUnreachable()
            case 0x10:
                let type = try functionType(ofFunction: try reader.readU32())
                try popParams(type)
                try pushResults(type)
            case 0x11:
                let typeIndex = try reader.readU32()
                let table = try reader.readU32()
                guard try tableType(table) == T.funcref else { throw invalid(.typeMismatch) }
                guard typeIndex.isIndex(below: context.types.count) else { throw invalid(.unknownType(typeIndex)) }
                let type = context.types[Int(typeIndex)]
                try pop(T.i32)
                try popParams(type)
                try pushResults(type)
            case 0x1A: _ = try pop()
            case 0x1B:
                try pop(T.i32)
                let a = try pop()
                let b = try pop()
                if T.isReference(a) || T.isReference(b) { throw invalid(.typeMismatch) }
                if a != b && a != T.unknown && b != T.unknown { throw invalid(.typeMismatch) }
                try push(a == T.unknown ? b : a)
            case 0x1C:
                let count = try reader.readU32()
                guard count == 1 else { throw invalid(.invalidResultArity) }
                let type = try reader.readValueType().rawValue
                try pop(T.i32)
                try pop(type)
                try pop(type)
                try push(type)
            case 0x20: try push(try localType(try reader.readU32()))
            case 0x21: try pop(try localType(try reader.readU32()))
            case 0x22:
                let type = try localType(try reader.readU32())
                try pop(type)
                try push(type)
            case 0x23: try push(try globalType(try reader.readU32()).valueType.rawValue)
            case 0x24:
                let global = try globalType(try reader.readU32())
                guard global.mutable else { throw invalid(.globalIsImmutable) }
                try pop(global.valueType.rawValue)
            case 0x25:
                let type = try tableType(try reader.readU32())
                try pop(T.i32)
                try push(type)
            case 0x26:
                let type = try tableType(try reader.readU32())
                try pop(type)
                try pop(T.i32)
            case 0x28: try memarg(naturalAlignment: 2); try unary(T.i32, T.i32)
            case 0x29: try memarg(naturalAlignment: 3); try unary(T.i32, T.i64)
            case 0x2A: try memarg(naturalAlignment: 2); try unary(T.i32, T.f32)
            case 0x2B: try memarg(naturalAlignment: 3); try unary(T.i32, T.f64)
            case 0x2C, 0x2D: try memarg(naturalAlignment: 0); try unary(T.i32, T.i32)
            case 0x2E, 0x2F: try memarg(naturalAlignment: 1); try unary(T.i32, T.i32)
            case 0x30, 0x31: try memarg(naturalAlignment: 0); try unary(T.i32, T.i64)
            case 0x32, 0x33: try memarg(naturalAlignment: 1); try unary(T.i32, T.i64)
            case 0x34, 0x35: try memarg(naturalAlignment: 2); try unary(T.i32, T.i64)
            case 0x36: try memarg(naturalAlignment: 2); try store(T.i32)
            case 0x37: try memarg(naturalAlignment: 3); try store(T.i64)
            case 0x38: try memarg(naturalAlignment: 2); try store(T.f32)
            case 0x39: try memarg(naturalAlignment: 3); try store(T.f64)
            case 0x3A: try memarg(naturalAlignment: 0); try store(T.i32)
            case 0x3B: try memarg(naturalAlignment: 1); try store(T.i32)
            case 0x3C: try memarg(naturalAlignment: 0); try store(T.i64)
            case 0x3D: try memarg(naturalAlignment: 1); try store(T.i64)
            case 0x3E: try memarg(naturalAlignment: 2); try store(T.i64)
            case 0x3F:
                try zeroByte()
                try requireMemory()
                try push(T.i32)
            case 0x40:
                try zeroByte()
                try requireMemory()
                try unary(T.i32, T.i32)
            case 0x41: _ = try reader.readS32(); try push(T.i32)
            case 0x42: _ = try reader.readS64(); try push(T.i64)
            case 0x43: _ = try reader.readBytes(4); try push(T.f32)
            case 0x44: _ = try reader.readBytes(8); try push(T.f64)
            case 0x45...0xC4: try numeric(op)
            case 0xD0:
                try push(try reader.readReferenceType().rawValue)
            case 0xD1:
                let t = try pop()
                guard t == T.unknown || T.isReference(t) else { throw invalid(.typeMismatch) }
                try push(T.i32)
            case 0xD2:
                let index = try reader.readU32()
                guard index.isIndex(below: context.functions.count) else { throw invalid(.unknownFunction(index)) }
                guard context.isDeclaredReference(index) else { throw invalid(.undeclaredFunctionReference) }
                try push(T.funcref)
            case 0xFC: try prefixedFC()
            case 0xFD: try prefixedSIMD()
            default: throw fail(.illegalOpcode(op))
            }
        }
    }

    /// Why a body ran out before its final `end`, worded as the reference decoder does: it
    /// reads on into what follows, so the next function's first byte, the end of the
    /// module, or the next section is what it stumbles on.
    var missingEndReason: ModuleErrorKind {
        if reader.end == context.moduleEnd { return .unexpectedEndOfSectionOrFunction }
        if context.isLastBody(reader.end) { return .sectionSizeMismatch }
        return .invalid(.endOpcodeExpected)
    }

    @inline(__always)
    mutating func store(_ type: UInt8) throws(ModuleError) {
        try pop(type)
        try pop(T.i32)
    }

    mutating func brTable() throws(ModuleError) {
        let branchPC = UInt32(instruction - bodyStart)
        let count = try reader.readU32()
        let labelsStart = reader.position
        for _ in 0..<count { _ = try reader.readU32() }
        let defaultDepth = try reader.readU32()
        let (defaultTypes, arity) = try labelTypes(defaultDepth)
        try pop(T.i32)
        // Every label must take the values on the stack (spec 3.3.8.8), without popping them.
        let afterDefault = reader.position
        reader.position = labelsStart
        // Each label above took at least a byte, so count < body size: Int(count) cannot trap.
        try branches.reserve(Int(count) &+ 1, arena: arena, at: reader)
        for k in 0...Int(count) {
            let depth = k < Int(count) ? try reader.readU32() : defaultDepth
            let (list, labelArity) = try labelTypes(depth)
            guard labelArity == arity else { throw invalid(.typeMismatch) }
            try checkTop(list, labelArity)
            try emitBranch(depth: Int(depth), branchPC: branchPC)
        }
        reader.position = afterDefault
        try popTypes(defaultTypes, arity)
        setUnreachable()
    }

    /// Checks that the top of the stack matches `list` without changing the stack.
    mutating func checkTop(_ list: UnsafeRawPointer?, _ count: UInt32) throws(ModuleError) {
        let frame = controls.top
        let available = types.count &- Int(frame.height)
        for j in 0..<Int(count) {
            let expected = list!.load(fromByteOffset: Int(count) &- 1 &- j, as: UInt8.self)
            if j < available {
                let t = types.base[types.count &- 1 &- j]
                if t != expected && t != T.unknown { throw invalid(.typeMismatch) }
            } else if !frame.unreachable {
                throw invalid(.typeMismatch)
            }
        }
    }

    /// Numeric instructions 0x45...0xC4, grouped by their type (spec 5.4.7).
    @inline(__always)
    mutating func numeric(_ op: UInt8) throws(ModuleError) {
        switch op {
        case 0x45: try unary(T.i32, T.i32)  // i32.eqz
        case 0x46...0x4F: try binary(T.i32, T.i32)  // i32 comparisons
        case 0x50: try unary(T.i64, T.i32)  // i64.eqz
        case 0x51...0x5A: try binary(T.i64, T.i32)  // i64 comparisons
        case 0x5B...0x60: try binary(T.f32, T.i32)  // f32 comparisons
        case 0x61...0x66: try binary(T.f64, T.i32)  // f64 comparisons
        case 0x67...0x69: try unary(T.i32, T.i32)  // i32 clz ctz popcnt
        case 0x6A...0x78: try binary(T.i32, T.i32)  // i32 arithmetic, bitwise, shifts
        case 0x79...0x7B: try unary(T.i64, T.i64)  // i64 clz ctz popcnt
        case 0x7C...0x8A: try binary(T.i64, T.i64)
        case 0x8B...0x91: try unary(T.f32, T.f32)  // f32 abs .. sqrt
        case 0x92...0x98: try binary(T.f32, T.f32)
        case 0x99...0x9F: try unary(T.f64, T.f64)
        case 0xA0...0xA6: try binary(T.f64, T.f64)
        case 0xA7: try unary(T.i64, T.i32)  // i32.wrap_i64
        case 0xA8, 0xA9: try unary(T.f32, T.i32)
        case 0xAA, 0xAB: try unary(T.f64, T.i32)
        case 0xAC, 0xAD: try unary(T.i32, T.i64)  // i64.extend_i32
        case 0xAE, 0xAF: try unary(T.f32, T.i64)
        case 0xB0, 0xB1: try unary(T.f64, T.i64)
        case 0xB2, 0xB3: try unary(T.i32, T.f32)
        case 0xB4, 0xB5: try unary(T.i64, T.f32)
        case 0xB6: try unary(T.f64, T.f32)  // f32.demote_f64
        case 0xB7, 0xB8: try unary(T.i32, T.f64)
        case 0xB9, 0xBA: try unary(T.i64, T.f64)
        case 0xBB: try unary(T.f32, T.f64)  // f64.promote_f32
        case 0xBC: try unary(T.f32, T.i32)  // reinterpretations
        case 0xBD: try unary(T.f64, T.i64)
        case 0xBE: try unary(T.i32, T.f32)
        case 0xBF: try unary(T.i64, T.f64)
        case 0xC0, 0xC1: try unary(T.i32, T.i32)  // i32.extend8_s, extend16_s
        default: try unary(T.i64, T.i64)  // 0xC2...0xC4 i64.extend8/16/32_s
        }
    }

    /// The 0xFC prefix: saturating truncation, bulk memory and table instructions.
    mutating func prefixedFC() throws(ModuleError) {
        let sub = try reader.readU32()
        switch sub {
        case 0, 1: try unary(T.f32, T.i32)
        case 2, 3: try unary(T.f64, T.i32)
        case 4, 5: try unary(T.f32, T.i64)
        case 6, 7: try unary(T.f64, T.i64)
        case 8:  // memory.init
            let segment = try reader.readU32()
            try zeroByte()
            try requireMemory()
            try requireDataSegment(segment)
            try threeI32()
        case 9:  // data.drop
            try requireDataSegment(try reader.readU32())
        case 10:  // memory.copy
            try zeroByte()
            try zeroByte()
            try requireMemory()
            try threeI32()
        case 11:  // memory.fill
            try zeroByte()
            try requireMemory()
            try threeI32()
        case 12:  // table.init
            let segment = try reader.readU32()
            let table = try tableType(try reader.readU32())
            guard segment.isIndex(below: context.elements.count) else { throw invalid(.unknownElemSegment(segment)) }
            guard context.elements[Int(segment)].elementType.rawValue == table else { throw invalid(.typeMismatch) }
            try threeI32()
        case 13:  // elem.drop
            let segment = try reader.readU32()
            guard segment.isIndex(below: context.elements.count) else { throw invalid(.unknownElemSegment(segment)) }
        case 14:  // table.copy
            let destination = try tableType(try reader.readU32())
            let source = try tableType(try reader.readU32())
            guard destination == source else { throw invalid(.typeMismatch) }
            try threeI32()
        case 15:  // table.grow
            let type = try tableType(try reader.readU32())
            try pop(T.i32)
            try pop(type)
            try push(T.i32)
        case 16:  // table.size
            _ = try tableType(try reader.readU32())
            try push(T.i32)
        case 17:  // table.fill
            let type = try tableType(try reader.readU32())
            try pop(T.i32)
            try pop(type)
            try pop(T.i32)
        default: throw invalid(.illegalPrefixedOpcode(0xFC, sub))
        }
    }

    /// Without a data count section the reference decoder asks for one only if there are
    /// data segments; with none, the index is simply unknown.
    mutating func requireDataSegment(_ index: UInt32) throws(ModuleError) {
        guard let count = context.dataCount else {
            throw invalid(context.dataSegmentCount > 0 ? .dataCountSectionRequired : .unknownDataSegment(index))
        }
        guard index < count else { throw invalid(.unknownDataSegment(index)) }
    }

    mutating func threeI32() throws(ModuleError) {
        try pop(T.i32)
        try pop(T.i32)
        try pop(T.i32)
    }
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    for i in 0..<count where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
        return false
    }
    return true
}
