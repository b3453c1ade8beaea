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

/// What follows a body, which only the wording of a missing `end` depends on. While a
/// module is still arriving its end is not known yet: `ModuleLoader` validates the last
/// body only once something after the code section (or the end) has arrived.
struct BodySurroundings {
    /// End of the last defined function's body, nil until it has been decoded.
    let lastBodyEnd: UnsafeRawPointer?
    /// End of the bytes received.
    let moduleEnd: UnsafeRawPointer?

    init(_ module: Module) {
        lastBodyEnd = module.functions.last.flatMap { f in f.body.baseAddress.map { $0 + f.body.count } }
        moduleEnd = module.bytes.baseAddress.map { $0 + module.bytes.count }
    }
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
/// The pass is spread over files by concern: this one holds the stacks, locals and the
/// opcode dispatch; `ControlValidation.swift` blocks, branches and the side-table entries
/// they leave; `InstructionTyping.swift` the plain instructions' immediates and types;
/// `PrefixFCValidation.swift` and `SIMDValidation.swift` the 0xFC and 0xFD prefixes.
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
    var oneByteLocalIndices = true
    /// Start of the instruction being validated, for error offsets.
    var instruction: UnsafeRawPointer
    let surroundings: BodySurroundings

    init(
        context: ModuleContext, arena: Unmanaged<Arena>, body: UnsafeRawBufferPointer, type: FuncType,
        surroundings: BodySurroundings
    ) throws(ModuleError) {
        self.context = context
        self.surroundings = surroundings
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
            throw ModuleError(error, at: start - (context.moduleStart ?? start))
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

    /// The index of a local.get, local.set or local.tee, noting one that takes more than a
    /// byte (`CodeInfo.oneByteLocalIndices`).
    @inline(__always)
    mutating func readLocalIndex() throws(ModuleError) -> UInt32 {
        let start = reader.position
        let index = try reader.readU32()
        if reader.position - start != 1 { oneByteLocalIndices = false }
        return index
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
            case 0x05: try elseInstruction()
            case 0x0B: if try endInstruction() { return (entry, instruction) }
            case 0x0C: try br()
            case 0x0D: try brIf()
            case 0x0E: try brTable()
            case 0x0F:  // return: the interpreter needs no entry, it returns directly
                let function = controls.base[0]
                try popTypes(function.results, function.resultCount)
                setUnreachable()
            case 0x10:
                let start = reader.position
                let index = try reader.readU32()
                let type = try functionType(ofFunction: index)
                if SideTable.hasEntry(lebAt: start) {
                    try emitImmediate(UInt64(index), wide: false)
                }
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
            case 0x20: try push(try localType(try readLocalIndex()))
            case 0x21: try pop(try localType(try readLocalIndex()))
            case 0x22:
                let type = try localType(try readLocalIndex())
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
            case 0x28: try accessMemarg(naturalAlignment: 2); try unary(T.i32, T.i32)
            case 0x29: try accessMemarg(naturalAlignment: 3); try unary(T.i32, T.i64)
            case 0x2A: try accessMemarg(naturalAlignment: 2); try unary(T.i32, T.f32)
            case 0x2B: try accessMemarg(naturalAlignment: 3); try unary(T.i32, T.f64)
            case 0x2C, 0x2D: try accessMemarg(naturalAlignment: 0); try unary(T.i32, T.i32)
            case 0x2E, 0x2F: try accessMemarg(naturalAlignment: 1); try unary(T.i32, T.i32)
            case 0x30, 0x31: try accessMemarg(naturalAlignment: 0); try unary(T.i32, T.i64)
            case 0x32, 0x33: try accessMemarg(naturalAlignment: 1); try unary(T.i32, T.i64)
            case 0x34, 0x35: try accessMemarg(naturalAlignment: 2); try unary(T.i32, T.i64)
            case 0x36: try accessMemarg(naturalAlignment: 2); try store(T.i32)
            case 0x37: try accessMemarg(naturalAlignment: 3); try store(T.i64)
            case 0x38: try accessMemarg(naturalAlignment: 2); try store(T.f32)
            case 0x39: try accessMemarg(naturalAlignment: 3); try store(T.f64)
            case 0x3A: try accessMemarg(naturalAlignment: 0); try store(T.i32)
            case 0x3B: try accessMemarg(naturalAlignment: 1); try store(T.i32)
            case 0x3C: try accessMemarg(naturalAlignment: 0); try store(T.i64)
            case 0x3D: try accessMemarg(naturalAlignment: 1); try store(T.i64)
            case 0x3E: try accessMemarg(naturalAlignment: 2); try store(T.i64)
            case 0x3F:
                try zeroByte()
                try requireMemory()
                try push(T.i32)
            case 0x40:
                try zeroByte()
                try requireMemory()
                try unary(T.i32, T.i32)
            case 0x41: try constant(wide: false)
            case 0x42: try constant(wide: true)
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
        guard reader.end == surroundings.lastBodyEnd else { return .invalid(.endOpcodeExpected) }
        return reader.end == surroundings.moduleEnd ? .unexpectedEndOfSectionOrFunction : .sectionSizeMismatch
    }
}
