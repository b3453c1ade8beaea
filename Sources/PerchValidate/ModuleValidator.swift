import PerchCore
import PerchDecode

/// Validates a decoded module (spec 3.4, 3.5) and fills every defined function's `code`.
///
/// Afterwards the interpreter may trust the module: every index is in range, every body is
/// well typed, and each function's `CodeInfo` and side table are set.
public func validate(_ module: inout Module, arena: Arena) throws(ModuleError) {
    try withExtendedLifetime(arena) { () throws(ModuleError) in
        let validator = try ModuleValidator(module, arena: arena)
        for index in module.importedFunctionCount..<module.functions.count {
            module.functions[index].code = try validator.validateFunction(index, in: module)
        }
        try validator.finish(module)
    }
}

/// Validation in the order a module arrives, for a push pipeline:
/// `init` once every section before the code section is decoded, `validateFunction` as
/// each body arrives, `finish` after the data section.
///
/// `init` takes a bitset of declared function references (spec 3.4.10's C.refs: 1 bit a
/// function) from the arena's high end; it lives as long as the module's records. Each
/// function's side table goes to the high end below it.
///
/// # Invariants
/// - The arena is held unretained (validation does no reference counting); the caller
///   keeps it alive while validating, as it must anyway for the module's records.
public struct ModuleValidator {
    let context: ModuleContext
    let unmanagedArena: Unmanaged<Arena>
    var arena: Arena { unmanagedArena.takeUnretainedValue() }

    /// Checks types of imports and functions, tables, memories, globals, exports, the start
    /// function and element segments: everything that precedes the code section.
    public init(_ module: Module, arena: Arena) throws(ModuleError) {
        self.unmanagedArena = Unmanaged.passUnretained(arena)
        let refBytes = (module.functions.count &+ 7) / 8
        let refs: UnsafeMutableBufferPointer<UInt8>
        do {
            refs = try arena.allocateHigh(UInt8.self, count: refBytes, for: .moduleMetadata)
        } catch {
            // Taken once the sections before the code section are in; loading stops at the
            // end of what has been decoded.
            throw ModuleError(error, at: module.bytes.count)
        }
        let context = ModuleContext(module: module, declaredRefs: refs)
        try context.checkFunctionTypes()
        try context.checkTablesAndMemories()
        try context.checkGlobals()
        try context.checkElements()
        try context.checkExports(arena: arena)
        try context.checkStart()
        self.context = context
    }

    /// Validates defined function `index` and returns what the interpreter needs to run it.
    public func validateFunction(_ index: Int, in module: Module) throws(ModuleError) -> CodeInfo {
        let function = module.functions[index]
        let type = module.types[Int(function.typeIndex)]
        let body = function.body
        let bodyOffset = body.baseAddress.map { module.offset(of: $0) } ?? 0
        let arena = self.arena
        let mark = arena.mark
        var validator: FunctionValidator
        do throws(ModuleError) {
            guard body.count < Int(Int32.max) else {
                throw ModuleError(.arenaFull(use: .sideTable, requested: body.count, available: arena.free), at: bodyOffset)
            }
            validator = try FunctionValidator(
                context: context, arena: unmanagedArena, body: body, type: type, surroundings: BodySurroundings(module))
            let (entry, end) = try validator.run(signature: type)
            guard validator.localSlots <= UInt64(UInt32.max) else {
                throw ModuleError(.invalid(.tooManyLocals), at: bodyOffset)
            }
            let count = validator.branches.count
            let runs = validator.v128LocalRuns(writingTo: nil)
            let mapBytes = runs &* MemoryLayout<LocalSlotMap.Run>.stride
            var table: UnsafeRawPointer? = nil
            var total = 0
            if count > 0 || runs > 0 {
                // Placement, then the table (its size known from the placement) and the
                // local slot map written below the scratch, then moved up to where the
                // scratch began, so they outlive the scratch they were built from.
                // With no branches both are empty and nothing is written.
                let placement = try takeHigh(arena, count &* 4, errorOffset: bodyOffset)
                    .bindMemory(to: UInt32.self, capacity: count)
                let layout = SideTableLayout.layout(validator.branches.base, placement: placement, count: count)
                total = layout.totalBytes
                let built = try takeHigh(arena, total &+ mapBytes, errorOffset: bodyOffset)
                SideTableLayout.write(
                    validator.branches.base, placement: placement, count: count, layout: layout, to: built)
                _ = validator.v128LocalRuns(
                    writingTo: (built + total).bindMemory(to: LocalSlotMap.Run.self, capacity: runs))
                arena.reset(to: mark)
                let final = try takeHigh(arena, total &+ mapBytes, errorOffset: bodyOffset)
                final.copyMemory(from: built, byteCount: total &+ mapBytes)
                table = UnsafeRawPointer(final)
            } else {
                arena.reset(to: mark)
            }
            return CodeInfo(
                entry: entry, end: end, localSlots: UInt32(validator.localSlots),
                maxStackSlots: UInt32(truncatingIfNeeded: validator.maxSlots),
                sideTable: table, sideTableBytes: UInt32(truncatingIfNeeded: total),
                v128LocalRuns: UInt32(truncatingIfNeeded: runs), oneByteLocalIndices: validator.oneByteLocalIndices)
        } catch {
            arena.reset(to: mark)
            throw ModuleError(error.kind, at: error.offset, function: UInt32(index))
        }
    }

    private func takeHigh(_ arena: Arena, _ count: Int, errorOffset: Int) throws(ModuleError) -> UnsafeMutableRawPointer {
        do {
            return try arena.allocateHigh(count, alignment: 4, for: .sideTable)
        } catch {
            throw ModuleError(error, at: errorOffset)
        }
    }

    /// Checks the data segments (the data section follows the code section).
    public func finish(_ module: Module) throws(ModuleError) {
        for segment in module.data where segment.mode == .active {
            let at = context.offset(segment.offset.code.baseAddress)
            guard segment.memory < UInt32(module.memories.count) else {
                throw ModuleError(.invalid(.unknownMemory(segment.memory)), at: at)
            }
            try context.constantExpression(segment.offset, expected: T.i32)
        }
    }
}

/// What validating code needs to know about the module, and the module-level checks.
struct ModuleContext {
    /// The records decoded so far: everything before the code section at least.
    let module: Module
    let declaredRefs: UnsafeMutableBufferPointer<UInt8>

    init(module: Module, declaredRefs: UnsafeMutableBufferPointer<UInt8>) {
        self.module = module
        self.declaredRefs = declaredRefs
    }

    var types: UnsafeMutableBufferPointer<FuncType> { module.types }
    var functions: UnsafeMutableBufferPointer<Function> { module.functions }
    var tables: UnsafeMutableBufferPointer<TableType> { module.tables }
    var globals: UnsafeMutableBufferPointer<Global> { module.globals }
    var elements: UnsafeMutableBufferPointer<ElementSegment> { module.elements }
    var memoryCount: Int { module.memories.count }
    var moduleStart: UnsafeRawPointer? { module.bytes.baseAddress }

    func offset(_ pointer: UnsafeRawPointer?) -> Int {
        guard let pointer, let moduleStart else { return 0 }
        return pointer - moduleStart
    }

    @inline(__always)
    func isDeclaredReference(_ function: UInt32) -> Bool {
        declaredRefs[Int(function >> 3)] & (1 << (function & 7)) != 0
    }

    func declareReference(_ function: UInt32) {
        declaredRefs[Int(function >> 3)] |= 1 << (function & 7)
    }

    func checkFunctionTypes() throws(ModuleError) {
        for (index, function) in functions.enumerated() where !function.typeIndex.isIndex(below: types.count) {
            throw ModuleError(.invalid(.unknownType(function.typeIndex)), at: module.declarationOffset(of: .function, index))
        }
    }

    func checkTablesAndMemories() throws(ModuleError) {
        for (index, table) in tables.enumerated() {
            if let max = table.limits.max, table.limits.min > max {
                throw ModuleError(.invalid(.sizeMinimumGreaterThanMaximum), at: module.declarationOffset(of: .table, index))
            }
        }
        if memoryCount > 1 {
            throw ModuleError(.invalid(.multipleMemories), at: module.declarationOffset(of: .memory, 1))
        }
        for (index, limits) in module.memories.enumerated() {
            let at = module.declarationOffset(of: .memory, index)
            let pages = UInt32(65536)
            if limits.min > pages || (limits.max ?? 0) > pages {
                throw ModuleError(.invalid(.memorySizeTooLarge), at: at)
            }
            if let max = limits.max, limits.min > max {
                throw ModuleError(.invalid(.sizeMinimumGreaterThanMaximum), at: at)
            }
        }
    }

    func checkGlobals() throws(ModuleError) {
        for global in globals[module.importedGlobalCount...] {
            try constantExpression(global.initializer, expected: global.type.valueType.rawValue)
        }
    }

    func checkElements() throws(ModuleError) {
        for segment in elements {
            let type = segment.elementType.rawValue
            if segment.mode == .active {
                let at = offset(segment.offset.code.baseAddress)
                guard segment.table.isIndex(below: tables.count) else {
                    throw ModuleError(.invalid(.unknownTable(segment.table)), at: at)
                }
                guard tables[Int(segment.table)].elementType.rawValue == type else {
                    throw ModuleError(.invalid(.typeMismatch), at: at)
                }
                try constantExpression(segment.offset, expected: T.i32)
            }
            guard let itemsStart = segment.items.baseAddress else { continue }
            var reader = ByteReader(base: moduleStart ?? itemsStart, position: itemsStart, end: itemsStart + segment.items.count)
            for _ in 0..<segment.count {
                if segment.itemsAreFunctionIndices {
                    let at = reader.offset
                    let function = try reader.readU32()
                    guard function.isIndex(below: functions.count) else {
                        throw ModuleError(.invalid(.unknownFunction(function)), at: at)
                    }
                    guard type == T.funcref else { throw ModuleError(.invalid(.typeMismatch), at: at) }
                    declareReference(function)
                } else {
                    try constantExpression(reading: &reader, expected: type)
                }
            }
        }
    }

    func checkExports(arena: Arena) throws(ModuleError) {
        for export in module.exports {
            let at = offset(export.name.start)
            let index = export.index
            switch export.kind {
            case .function:
                guard index.isIndex(below: functions.count) else { throw ModuleError(.invalid(.unknownFunction(index)), at: at) }
                declareReference(index)
            case .table:
                guard index.isIndex(below: tables.count) else { throw ModuleError(.invalid(.unknownTable(index)), at: at) }
            case .memory:
                guard index.isIndex(below: memoryCount) else { throw ModuleError(.invalid(.unknownMemory(index)), at: at) }
            case .global:
                guard index.isIndex(below: globals.count) else { throw ModuleError(.invalid(.unknownGlobal(index)), at: at) }
            }
        }
        try checkExportNamesUnique(arena: arena)
    }

    /// Export names must differ (spec 3.4.10): an open-addressing hash set of export
    /// indices in arena scratch, given back before returning.
    func checkExportNamesUnique(arena: Arena) throws(ModuleError) {
        let exports = module.exports
        guard exports.count > 1 else { return }
        var capacity = 16
        while capacity < exports.count &* 2 { capacity &<<= 1 }
        let mark = arena.mark
        defer { arena.reset(to: mark) }
        let slots: UnsafeMutableBufferPointer<Int32>
        do {
            slots = try arena.allocateHigh(Int32.self, count: capacity, for: .validationScratch)
        } catch {
            throw ModuleError(error, at: offset(exports[0].name.start))
        }
        slots.update(repeating: -1)
        for (index, export) in exports.enumerated() {
            var hash: UInt32 = 2_166_136_261
            for byte in export.name.bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
            var slot = Int(truncatingIfNeeded: hash) & (capacity &- 1)  // Int(hash) traps on 32-bit boards
            while slots[slot] >= 0 {
                if exports[Int(slots[slot])].name == export.name {
                    throw ModuleError(.invalid(.duplicateExportName), at: offset(export.name.start))
                }
                slot = (slot &+ 1) & (capacity &- 1)
            }
            slots[slot] = Int32(index)
        }
    }

    func checkStart() throws(ModuleError) {
        guard let start = module.start else { return }
        guard start.isIndex(below: functions.count) else {
            throw ModuleError(.invalid(.unknownFunction(start)), at: module.startOffset)
        }
        let type = types[Int(functions[Int(start)].typeIndex)]
        guard type.params.count == 0, type.results.count == 0 else {
            throw ModuleError(.invalid(.startFunction), at: module.startOffset)
        }
    }

    /// Validates a constant expression (spec 3.3.10) producing one value of `expected`.
    func constantExpression(_ expression: ConstExpr, expected: UInt8) throws(ModuleError) {
        guard let start = expression.code.baseAddress else {
            // The decoder records every defined global's and active segment's expression
            // (at least its `end`); only a Module built by hand can lack one.
            throw ModuleError(.invalid(.typeMismatch), at: module.bytes.count)
        }
        var reader = ByteReader(base: moduleStart ?? start, position: start, end: start + expression.code.count)
        try constantExpression(reading: &reader, expected: expected)
    }

    /// Reads one constant expression up to and including its `end`. In WebAssembly 2.0 it
    /// is a single constant instruction; `global.get` may name only imported immutable
    /// globals. A `ref.func` here declares the function as referenceable.
    func constantExpression(reading reader: inout ByteReader, expected: UInt8) throws(ModuleError) {
        var count = 0
        var type = T.unknown
        while true {
            let at = reader.offset
            let op = try reader.readByte()
            switch op {
            case 0x0B:
                guard count == 1, type == expected else { throw ModuleError(.invalid(.typeMismatch), at: at) }
                return
            case 0x41: _ = try reader.readS32(); type = T.i32
            case 0x42: _ = try reader.readS64(); type = T.i64
            case 0x43: _ = try reader.readFixed32(); type = T.f32
            case 0x44: _ = try reader.readFixed64(); type = T.f64
            case 0xFD:
                guard try reader.readU32() == 12 else { throw ModuleError(.constantExpressionRequired, at: at) }
                _ = try reader.readBytes(16)
                type = T.v128
            case 0xD0: type = try reader.readReferenceType().rawValue
            case 0xD2:
                let function = try reader.readU32()
                guard function.isIndex(below: functions.count) else {
                    throw ModuleError(.invalid(.unknownFunction(function)), at: at)
                }
                declareReference(function)
                type = T.funcref
            case 0x23:
                let index = try reader.readU32()
                guard index.isIndex(below: module.importedGlobalCount) else { throw ModuleError(.invalid(.unknownGlobal(index)), at: at) }
                guard !globals[Int(index)].type.mutable else { throw ModuleError(.constantExpressionRequired, at: at) }
                type = globals[Int(index)].type.valueType.rawValue
            default:
                throw ModuleError(.constantExpressionRequired, at: at)
            }
            count &+= 1
        }
    }
}
