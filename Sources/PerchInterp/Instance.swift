import PerchCore
import PerchDecode

/// Budgets fixed at instantiation (nothing grows the heap afterwards).
public struct InstanceBudget: Sendable {
    /// Elements reserved beyond a table's minimum for `table.grow` (never above its max).
    public var tableGrowElements: UInt32

    public init(tableGrowElements: UInt32 = 1024) {
        self.tableGrowElements = tableGrowElements
    }
}

/// Why a module could not be instantiated (spec 4.5.4). Link errors use the spec
/// suite's wording ("unknown import", "incompatible import type").
/// `@unchecked Sendable`: the names point into module bytes, which never change.
public enum InstantiationError: Error, @unchecked Sendable {
    case unknownImport(module: NameBytes, field: NameBytes)
    case incompatibleImportType(module: NameBytes, field: NameBytes)
    /// A function body was not validated (the validator fills `Function.code`).
    case notValidated(function: UInt32)
    case arenaFull(ArenaError)
    /// Applying a segment or running the start function trapped.
    case trap(Trap)

    /// The spec suite's reason text, without details.
    public var reason: String {
        switch self {
        case .unknownImport: return "unknown import"
        case .incompatibleImportType: return "incompatible import type"
        case .notValidated: return "function not validated"
        case .arenaFull(let e): return e.message
        case .trap(let t): return "\(t.kind.message)"
        }
    }

    public var message: String {
        switch self {
        case .unknownImport(let m, let f), .incompatibleImportType(let m, let f):
            return reason + " \"" + m.string + "\" \"" + f.string + "\""
        case .notValidated(let function): return "function \(function) not validated"
        case .arenaFull(let e): return e.message
        case .trap(let t): return t.message
        }
    }
}

/// Where imports come from: instances registered under a module name (spec scripts'
/// `register`) and host modules (WASI, devices, the spec suite's `spectest`).
public final class Linker {
    var instances: [(name: [UInt8], instance: Instance)] = []
    var hosts: [HostBinding] = []
    /// Every instance made through this linker, kept alive as the spec's store keeps them:
    /// an instance whose instantiation failed may already have put references to its
    /// functions into a shared table.
    var store: [Instance] = []

    public init() {}

    public func register(_ instance: Instance, as name: [UInt8]) {
        instances.removeAll { $0.name.elementsEqual(name) }
        instances.append((name: name, instance: instance))
    }

    public func register(host module: any HostModule) {
        hosts.append(HostBinding(module))
    }

    func instance(named name: NameBytes) -> Instance? {
        for entry in instances.reversed() where entry.name.elementsEqual(name.bytes) { return entry.instance }
        return nil
    }

    func host(named name: NameBytes) -> HostBinding? {
        for binding in hosts where name == binding.module.moduleName { return binding }
        return nil
    }
}

/// An instantiated module: its records in the arena, and what keeps its imports alive.
public final class Instance {
    public let module: Module
    public let arena: Arena
    public let record: UnsafeMutablePointer<InstanceRecord>
    /// Exporting instances and host modules this instance's imports point into.
    var dependencies: [AnyObject] = []

    init(module: Module, arena: Arena, record: UnsafeMutablePointer<InstanceRecord>) {
        self.module = module
        self.arena = arena
        self.record = record
    }

    /// The export called `name`, if any.
    public func export(_ name: NameBytes) -> ExternValue? {
        for export in module.exports where export.name == name {
            let index = Int(export.index)
            switch export.kind {
            case .function: return .function(record.pointee.functions[index])
            case .table: return .table(record.pointee.tables[index])
            case .memory: return record.pointee.memory.map { .memory($0) }
            case .global: return .global(record.pointee.globals[index])
            }
        }
        return nil
    }

    public func exportedFunction(_ name: NameBytes) -> UnsafeMutablePointer<FunctionRecord>? {
        if case .function(let f)? = export(name) { return f }
        return nil
    }

    /// The instance's linear memory as host code sees it.
    public var memory: GuestMemory {
        guard let m = record.pointee.memory else { return GuestMemory(base: nil, size: 0) }
        return GuestMemory(base: m.pointee.base, size: m.pointee.byteCount)
    }

    /// Instantiates a validated `module` (spec 4.5.4) into `arena`: resolves imports
    /// through `linker`, allocates tables, globals and segments at the arena's high end and
    /// linear memory as the last low-end allocation (so `memory.grow` extends it in place),
    /// applies active segments and runs the start function on `machine`.
    public static func instantiate(
        _ module: Module, in arena: Arena, linker: Linker, machine: Machine,
        budget: InstanceBudget = InstanceBudget()
    ) throws(InstantiationError) -> Instance {
        try build(module, arena: arena, linker: linker, machine: machine, budget: budget)
    }

    private static func build(
        _ module: Module, arena: Arena, linker: Linker, machine: Machine, budget: InstanceBudget
    ) throws(InstantiationError) -> Instance {
        func high<T>(_ type: T.Type, _ count: Int, _ use: ArenaUse) throws(InstantiationError) -> UnsafeMutableBufferPointer<T> {
            do { return try arena.allocateHigh(type, count: count, for: use) } catch { throw .arenaFull(error) }
        }
        let recordBuffer = try high(InstanceRecord.self, 1, .instance)
        let functionCount = module.functions.count
        let functions = try high(UnsafeMutablePointer<FunctionRecord>?.self, functionCount, .instance)
        let functionRecords = try high(FunctionRecord.self, functionCount, .instance)
        let tables = try high(UnsafeMutablePointer<TableRecord>?.self, module.tables.count, .table)
        let globals = try high(UnsafeMutablePointer<GlobalRecord>?.self, module.globals.count, .globals)
        let elements = try high(SegmentRecord.self, module.elements.count, .elementSegments)
        let data = try high(SegmentRecord.self, module.data.count, .dataSegments)
        let record = recordBuffer.baseAddress!
        // Zero-filled pointer arrays are rebound as non-optional once every entry is set.
        record.initialize(to: InstanceRecord(
            functions: UnsafeMutableRawPointer(functions.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
                .assumingMemoryBound(to: UnsafeMutablePointer<FunctionRecord>.self),
            tables: UnsafeMutableRawPointer(tables.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
                .assumingMemoryBound(to: UnsafeMutablePointer<TableRecord>.self),
            memory: nil,
            globals: UnsafeMutableRawPointer(globals.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!)
                .assumingMemoryBound(to: UnsafeMutablePointer<GlobalRecord>.self),
            elements: elements.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!,
            data: data.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!,
            types: UnsafePointer(module.types.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!),
            moduleBytes: module.bytes.baseAddress!,
            functionNames: module.functionNames))
        let instance = Instance(module: module, arena: arena, record: record)
        linker.store.append(instance)

        // Imports (spec 4.5.4 steps 3-4): resolve and match types.
        var importedMemory: UnsafeMutablePointer<MemoryRecord>?
        for imp in module.imports {
            let index = Int(imp.index)
            let unknown = InstantiationError.unknownImport(module: imp.module, field: imp.field)
            let incompatible = InstantiationError.incompatibleImportType(module: imp.module, field: imp.field)
            if let host = linker.host(named: imp.module) {
                guard imp.kind == .function, let hostIndex = host.module.lookup(field: imp.field) else { throw unknown }
                let typeIndex = Int(module.functions[index].typeIndex)
                let type = module.types[typeIndex]
                guard host.module.signature(of: hostIndex).matches(params: type.params, results: type.results) else {
                    throw incompatible
                }
                functionRecords[index] = FunctionRecord(
                    type: UnsafePointer(module.types.baseAddress! + typeIndex), instance: record,
                    entry: nil, end: nil, sideTable: nil, localSlots: 0, frameSlots: 0,
                    paramSlots: type.paramSlots, resultSlots: type.resultSlots, index: UInt32(index),
                    hostFunction: Int32(hostIndex), host: Unmanaged.passUnretained(host))
                functions[index] = functionRecords.baseAddress! + index
                instance.dependencies.append(host)
                continue
            }
            guard let exporter = linker.instance(named: imp.module), let value = exporter.export(imp.field) else {
                throw unknown
            }
            instance.dependencies.append(exporter)
            switch (imp.kind, value) {
            case (.function, .function(let f)):
                let expected = module.types[Int(module.functions[index].typeIndex)]
                guard f.pointee.type.pointee.matches(expected) else { throw incompatible }
                functions[index] = f
            case (.table, .table(let t)):
                let expected = module.tables[index]
                guard t.pointee.elementType == expected.elementType,
                      Limits(min: t.pointee.count, max: t.pointee.max).isSubtype(of: expected.limits)
                else { throw incompatible }
                tables[index] = t
            case (.memory, .memory(let m)):
                guard Limits(min: m.pointee.pages, max: m.pointee.declaredMax).isSubtype(of: module.memories[index])
                else { throw incompatible }
                importedMemory = m
            case (.global, .global(let g)):
                guard g.pointee.type == module.globals[index].type else { throw incompatible }
                globals[index] = g
            default:
                throw incompatible
            }
        }

        // Functions defined here.
        var oneByteLocalIndices = true
        for index in module.importedFunctionCount..<functionCount {
            let function = module.functions[index]
            guard let code = function.code else { throw .notValidated(function: UInt32(index)) }
            oneByteLocalIndices = oneByteLocalIndices && code.oneByteLocalIndices
            let typeIndex = Int(function.typeIndex)
            let type = module.types[typeIndex]
            // Summed without wrapping and capped (`FunctionRecord.frameSlotsCap`): `Int(frameSlots)`
            // cannot trap on 32-bit targets, and a capped frame exceeds any value stack.
            let frameSlots = UInt64(type.paramSlots) + UInt64(code.localSlots) + UInt64(code.maxStackSlots) + 1
            functionRecords[index] = FunctionRecord(
                type: UnsafePointer(module.types.baseAddress! + typeIndex), instance: record,
                // A function without branches has no side table; no handler reads its stp.
                entry: code.entry, end: code.end, sideTable: code.sideTable ?? code.entry, localSlots: code.localSlots,
                frameSlots: UInt32(min(frameSlots, UInt64(FunctionRecord.frameSlotsCap))),
                paramSlots: type.paramSlots, resultSlots: type.resultSlots, index: UInt32(index),
                hostFunction: -1, host: nil)
            functions[index] = functionRecords.baseAddress! + index
        }
        record.pointee.oneByteLocalIndices = oneByteLocalIndices

        // Tables defined here, with their grow budget reserved now.
        for index in module.importedTableCount..<module.tables.count {
            let type = module.tables[index]
            let ceiling = UInt64(type.limits.max ?? UInt32.max)
            let capacity = max(UInt64(type.limits.min), min(ceiling, UInt64(type.limits.min) &+ UInt64(budget.tableGrowElements)))
            let table = try high(TableRecord.self, 1, .table)
            // Clamping is harmless: a capacity beyond Int.max cannot fit, and the arena says so.
            let elements = try high(UInt64.self, Int(clamping: capacity), .table)
            table[0] = TableRecord(
                elements: elements.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, count: type.limits.min,
                capacity: UInt32(capacity), max: type.limits.max, elementType: type.elementType)
            tables[index] = table.baseAddress!
        }

        // Globals defined here, initialised in order (their initialisers see imported globals).
        let definedGlobals = module.globals.count - module.importedGlobalCount
        let globalCells = try high(GlobalRecord.self, definedGlobals, .globals)
        for index in module.importedGlobalCount..<module.globals.count {
            let global = module.globals[index]
            let cell = globalCells.baseAddress! + (index - module.importedGlobalCount)
            cell.initialize(to: GlobalRecord(value: evaluate(global.initializer, record), type: global.type))
            globals[index] = cell
        }

        // Element segments as reference arrays; passive ones stay until `elem.drop`.
        for index in 0..<module.elements.count {
            let segment = module.elements[index]
            let refs = try high(UInt64.self, Int(segment.count), .elementSegments)
            var at = segment.items.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!
            for i in 0..<Int(segment.count) {
                if segment.itemsAreFunctionIndices {
                    refs[i] = UInt64(UInt(bitPattern: record.pointee.functions[Int(readU32(&at))]))
                } else {
                    let start = at
                    while at.load(as: UInt8.self) != 0x0B { skipConstInstruction(&at) }
                    at += 1
                    refs[i] = evaluate(ConstExpr(code: UnsafeRawBufferPointer(start: start, count: at - start)), record)
                }
            }
            elements[index] = SegmentRecord(start: UnsafeRawPointer(refs.baseAddress), count: segment.mode == .passive ? refs.count : 0)
        }
        for index in 0..<module.data.count {
            let segment = module.data[index]
            data[index] = SegmentRecord(start: segment.bytes.baseAddress, count: segment.mode == .passive ? segment.bytes.count : 0)
        }

        // Linear memory: the last low-end allocation, so it grows in place.
        if let m = importedMemory {
            record.pointee.memory = m
        } else if module.memories.count > 0 {
            let limits = module.memories[0]
            let (bytes, overflow) = Int(limits.min).multipliedReportingOverflow(by: wasmPageSize)
            guard !overflow else { throw .arenaFull(ArenaError(use: .linearMemory, requested: Int.max, available: arena.free)) }
            let base: UnsafeMutableRawPointer
            // Zeroed by the arena, which skips pages never used: they are zero already.
            do { base = try arena.allocateLow(bytes, alignment: 16, zeroed: true, for: .linearMemory) } catch { throw .arenaFull(error) }
            let memory = try high(MemoryRecord.self, 1, .linearMemory)
            memory[0] = MemoryRecord(
                base: base, byteCount: bytes, pages: limits.min, maxPages: min(limits.max ?? 65536, 65536),
                declaredMax: limits.max, arena: Unmanaged.passUnretained(arena))
            record.pointee.memory = memory.baseAddress!
        }

        // Active segments (spec 4.5.4 steps 14-15), in order; a trap keeps earlier effects.
        for index in 0..<module.elements.count {
            let segment = module.elements[index]
            guard segment.mode == .active else { continue }
            let table = record.pointee.tables[Int(segment.table)]
            let offset = UInt64(u32(evaluate(segment.offset, record)))
            let n = UInt64(segment.count)
            guard offset &+ n <= UInt64(table.pointee.count) else {
                throw .trap(Trap(.outOfBoundsTableAccess, function: nil, functionName: nil,
                                                   offset: module.offset(of: segment.offset.code.baseAddress!)))
            }
            if n > 0 {
                (table.pointee.elements + Int(offset)).update(
                    from: elements[index].start!.assumingMemoryBound(to: UInt64.self), count: Int(n))
            }
        }
        for index in 0..<module.data.count {
            let segment = module.data[index]
            guard segment.mode == .active else { continue }
            let offset = UInt64(u32(evaluate(segment.offset, record)))
            let n = UInt64(segment.bytes.count)
            let memory = record.pointee.memory!
            guard offset &+ n <= UInt64(memory.pointee.byteCount) else {
                throw .trap(Trap(.outOfBoundsMemoryAccess, function: nil, functionName: nil,
                                                   offset: module.offset(of: segment.offset.code.baseAddress!)))
            }
            if n > 0 {
                (memory.pointee.base + Int(offset)).copyMemory(from: segment.bytes.baseAddress!, byteCount: Int(n))
            }
        }

        if let start = module.start {
            do {
                _ = try machine.invoke(record.pointee.functions[Int(start)], arguments: UnsafeBufferPointer(start: nil, count: 0))
            } catch {
                throw .trap(error)
            }
        }
        return instance
    }
}

/// Evaluates a validated constant expression (spec 3.3.10): one constant, `ref.null`,
/// `ref.func` or `global.get`, then `end`.
func evaluate(_ expression: ConstExpr, _ instance: UnsafeMutablePointer<InstanceRecord>) -> UInt64 {
    guard var pc = expression.code.baseAddress else { return 0 }
    let opcode = pc.load(as: UInt8.self)
    pc += 1
    switch opcode {
    case 0x41: return UInt64(readS32(&pc))
    case 0x42: return readS64(&pc)
    case 0x43: return UInt64(pc.loadUnaligned(as: UInt32.self))
    case 0x44: return pc.loadUnaligned(as: UInt64.self)
    case 0xD2: return UInt64(UInt(bitPattern: instance.pointee.functions[Int(readU32(&pc))]))
    case 0x23: return instance.pointee.globals[Int(readU32(&pc))].pointee.value
    default: return 0  // ref.null
    }
}

/// Steps over one instruction of a constant expression.
private func skipConstInstruction(_ pc: inout UnsafeRawPointer) {
    let opcode = pc.load(as: UInt8.self)
    pc += 1
    switch opcode {
    case 0x43: pc += 4
    case 0x44: pc += 8
    case 0xD0: pc += 1
    default: skipLEB(&pc)
    }
}
