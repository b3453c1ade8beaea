import PerchCore
import PerchDecode

// Unsafe-pointer code, under `FunctionValidator`'s and `ScratchStack`'s invariants: a type
// list is `count` value-type bytes in the module (`FuncType`, Module.swift's invariants;
// nil only when `count` is 0); `controls.base` is indexed below `controls.count` (label
// depths are checked by `labelTypes` first) and `branches.base` only at entries this
// function pushed (`ifEntry`, the `pending` chains).

/// Control instructions and the side-table entries they leave (see `SideTable`).
extension FunctionValidator {
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
        } else {
            passHeader(at: UInt32(afterOpcode - 1 - bodyStart), to: frame.startPC)
        }
        try controls.push(frame, arena: arena, at: reader)
        try pushTypes(params, paramCount)
    }

    @inline(__always)
    mutating func emit(_ entry: PendingBranch) throws(ModuleError) {
        try branches.push(entry, arena: arena, at: reader)
    }

    /// A block or loop header at body offset `pc` that begins the enclosing frames' bodies:
    /// a branch back to them lands at `after`. The header does nothing when it runs, and a
    /// loop whose body opens with a block would otherwise dispatch it on every iteration.
    mutating func passHeader(at pc: UInt32, to after: UInt32) {
        var index = controls.count &- 1
        while index >= 0, controls.base[index].startPC == pc {
            controls.base[index].startPC = after
            index &-= 1
        }
    }

    /// Records the immediate entry of the instruction being validated, whose immediate has
    /// just been read: its length runs from the opcode to the reader's position.
    mutating func emitImmediate(_ value: UInt64, wide: Bool) throws(ModuleError) {
        try emit(PendingBranch(
            immediate: value, wide: wide, pc: UInt32(instruction - bodyStart),
            length: UInt32(reader.position - instruction)))
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

    /// `else`: the then-arm falls into it, so it jumps past `end`; the `if`'s false edge
    /// lands just after it.
    mutating func elseInstruction() throws(ModuleError) {
        let frame = controls.top
        guard frame.kind == .if else { throw invalid(.typeMismatch) }
        try popTypes(frame.results, frame.resultCount)
        guard types.count == Int(frame.height) else { throw invalid(.typeMismatch) }
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
    }

    /// `end`: closes the top frame and resolves the branches to it. Returns true at the
    /// function's final `end`, which must be the body's last byte.
    @inline(__always)
    mutating func endInstruction() throws(ModuleError) -> Bool {
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
            return true
        }
        resolvePending(frame, targetPC: after)
        controls.count &-= 1
        try pushTypes(frame.results, frame.resultCount)
        return false
    }

    mutating func br() throws(ModuleError) {
        let depth = try reader.readU32()
        let (list, count) = try labelTypes(depth)
        try emitBranch(depth: Int(depth), branchPC: UInt32(instruction - bodyStart))
        try popTypes(list, count)
        setUnreachable()
    }

    mutating func brIf() throws(ModuleError) {
        let depth = try reader.readU32()
        let (list, count) = try labelTypes(depth)
        try pop(T.i32)
        try popTypes(list, count)
        try pushTypes(list, count)
        try emitBranch(depth: Int(depth), branchPC: UInt32(instruction - bodyStart))
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
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    for i in 0..<count where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
        return false
    }
    return true
}
