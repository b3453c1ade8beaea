import PerchCore

/// A decoded module: the original bytes plus compact records that point into them.
///
/// Everything lives in the arena (DEVELOPERS.md): `bytes` at the low end, the record
/// buffers at the high end. Records hold pointers into `bytes` rather than copies, so the
/// interpreter can run the code section in place and names are never duplicated.
///
/// The decoder fills the records and checks structure (the binary format, spec 5); the
/// validator (PerchValidate) checks types (spec 3) and fills each `Function`'s `code`.
/// Index spaces follow the spec: imported functions/tables/memories/globals come first.
///
/// # Invariants
/// - Every pointer in a record points into `bytes`, which neither moves nor shrinks while
///   the module lives (the arena never frees below a live allocation).
/// - Counts are exact: `functions.count == importedFunctionCount + defined functions`, etc.
public struct Module {
    /// The module's bytes as received, in the arena's low region.
    public var bytes: UnsafeRawBufferPointer

    public var types: UnsafeMutableBufferPointer<FuncType>
    public var imports: UnsafeMutableBufferPointer<Import>
    /// All functions, imported first; `typeIndex` is set for every one.
    public var functions: UnsafeMutableBufferPointer<Function>
    public var importedFunctionCount: Int
    public var tables: UnsafeMutableBufferPointer<TableType>
    public var importedTableCount: Int
    public var memories: UnsafeMutableBufferPointer<Limits>
    public var importedMemoryCount: Int
    public var globals: UnsafeMutableBufferPointer<Global>
    public var importedGlobalCount: Int
    public var exports: UnsafeMutableBufferPointer<Export>
    public var elements: UnsafeMutableBufferPointer<ElementSegment>
    public var data: UnsafeMutableBufferPointer<DataSegment>
    /// From the data count section (spec 5.5.16), needed to validate `memory.init`/`data.drop`.
    public var dataCount: UInt32?
    public var start: UInt32?
    /// Function names from the `name` custom section, for traps and traces; empty if absent.
    public var functionNames: UnsafeMutableBufferPointer<FunctionName>

    public init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        types = .init(start: nil, count: 0)
        imports = .init(start: nil, count: 0)
        functions = .init(start: nil, count: 0)
        importedFunctionCount = 0
        tables = .init(start: nil, count: 0)
        importedTableCount = 0
        memories = .init(start: nil, count: 0)
        importedMemoryCount = 0
        globals = .init(start: nil, count: 0)
        importedGlobalCount = 0
        exports = .init(start: nil, count: 0)
        elements = .init(start: nil, count: 0)
        data = .init(start: nil, count: 0)
        dataCount = nil
        start = nil
        functionNames = .init(start: nil, count: 0)
    }

    /// Offset of `pointer` within the module's bytes, for error messages and traps.
    @inline(__always)
    public func offset(of pointer: UnsafeRawPointer) -> Int {
        pointer - bytes.baseAddress!
    }
}

/// A function type; parameter and result types are the encoded value-type bytes, in place.
public struct FuncType {
    public var params: UnsafeRawBufferPointer
    public var results: UnsafeRawBufferPointer
    /// Value-stack slots the parameters and results take (v128 counts two).
    public var paramSlots: UInt32
    public var resultSlots: UInt32

    public init(params: UnsafeRawBufferPointer, results: UnsafeRawBufferPointer, paramSlots: UInt32, resultSlots: UInt32) {
        self.params = params
        self.results = results
        self.paramSlots = paramSlots
        self.resultSlots = resultSlots
    }

    /// Structural equality (spec 4.5: `call_indirect` and import matching compare types,
    /// not indices, so this works across modules).
    public func matches(_ other: FuncType) -> Bool {
        params.count == other.params.count && results.count == other.results.count
            && params.elementsEqual(other.params) && results.elementsEqual(other.results)
    }
}

public enum ExternKind: UInt8, Sendable {
    case function = 0
    case table = 1
    case memory = 2
    case global = 3
}

public struct Import {
    public var module: NameBytes
    public var field: NameBytes
    public var kind: ExternKind
    /// Index into the matching index space (`functions`, `tables`, `memories`, `globals`)
    /// of the entry this import fills; its type is that entry's type.
    public var index: UInt32

    public init(module: NameBytes, field: NameBytes, kind: ExternKind, index: UInt32) {
        self.module = module
        self.field = field
        self.kind = kind
        self.index = index
    }
}

public struct Export {
    public var name: NameBytes
    public var kind: ExternKind
    public var index: UInt32

    public init(name: NameBytes, kind: ExternKind, index: UInt32) {
        self.name = name
        self.kind = kind
        self.index = index
    }
}

public struct TableType: Sendable {
    public var elementType: ValueType
    public var limits: Limits

    public init(elementType: ValueType, limits: Limits) {
        self.elementType = elementType
        self.limits = limits
    }
}

public struct GlobalType: Sendable, Equatable {
    public var valueType: ValueType
    public var mutable: Bool

    public init(valueType: ValueType, mutable: Bool) {
        self.valueType = valueType
        self.mutable = mutable
    }
}

/// A constant expression (spec 3.3.10), left in place: the bytes from its first
/// instruction up to and including its `end`.
public struct ConstExpr {
    public var code: UnsafeRawBufferPointer

    public init(code: UnsafeRawBufferPointer) { self.code = code }
}

public struct Global {
    public var type: GlobalType
    /// Empty for imported globals.
    public var initializer: ConstExpr

    public init(type: GlobalType, initializer: ConstExpr) {
        self.type = type
        self.initializer = initializer
    }
}

public struct Function {
    public var typeIndex: UInt32
    /// The body from its local declarations to its final `end`, inclusive; empty for imports.
    public var body: UnsafeRawBufferPointer
    /// Filled by the validator; nil until the function has been validated.
    public var code: CodeInfo?

    public init(typeIndex: UInt32, body: UnsafeRawBufferPointer) {
        self.typeIndex = typeIndex
        self.body = body
        self.code = nil
    }
}

/// What the interpreter needs to run a validated function in place.
public struct CodeInfo {
    /// First instruction after the local declarations.
    public var entry: UnsafeRawPointer
    /// The function's final `end` opcode (a branch to the function label targets it).
    public var end: UnsafeRawPointer
    /// Slots for declared locals (after the parameters), all zero-initialised on entry.
    public var localSlots: UInt32
    /// Most operand-stack slots in use at once, so a frame is sized before the call.
    public var maxStackSlots: UInt32
    /// This function's side table (format: PerchValidate/SideTable.swift).
    public var sideTable: UnsafeRawPointer?
    public var sideTableBytes: UInt32
    /// Runs of v128 locals in the map after the side table (`LocalSlotMap` in
    /// PerchValidate/LocalSlotMap.swift); 0 when the function has no v128 parameter or
    /// local, so local n is frame slot n. On 64-bit targets it takes the record's padding.
    public var v128LocalRuns: UInt32
    /// Whether every local.get, local.set and local.tee has a one-byte index, so the
    /// interpreter can run the body without the multi-byte case (`InstanceRecord`).
    public var oneByteLocalIndices: Bool

    public init(entry: UnsafeRawPointer, end: UnsafeRawPointer, localSlots: UInt32, maxStackSlots: UInt32,
                sideTable: UnsafeRawPointer?, sideTableBytes: UInt32, v128LocalRuns: UInt32 = 0,
                oneByteLocalIndices: Bool = false) {
        self.entry = entry
        self.end = end
        self.localSlots = localSlots
        self.maxStackSlots = maxStackSlots
        self.sideTable = sideTable
        self.sideTableBytes = sideTableBytes
        self.v128LocalRuns = v128LocalRuns
        self.oneByteLocalIndices = oneByteLocalIndices
    }
}

public enum SegmentMode: UInt8, Sendable {
    case active
    case passive
    case declarative
}

/// An element segment (spec 5.5.12), its items left in place.
public struct ElementSegment {
    public var mode: SegmentMode
    public var table: UInt32
    public var offset: ConstExpr
    public var elementType: ValueType
    public var count: UInt32
    /// If true, `items` holds `count` LEB128 function indices; otherwise `count`
    /// constant expressions, each ending in `end`.
    public var itemsAreFunctionIndices: Bool
    public var items: UnsafeRawBufferPointer

    public init(mode: SegmentMode, table: UInt32, offset: ConstExpr, elementType: ValueType, count: UInt32,
                itemsAreFunctionIndices: Bool, items: UnsafeRawBufferPointer) {
        self.mode = mode
        self.table = table
        self.offset = offset
        self.elementType = elementType
        self.count = count
        self.itemsAreFunctionIndices = itemsAreFunctionIndices
        self.items = items
    }
}

/// A data segment (spec 5.5.14), its bytes left in place.
public struct DataSegment {
    public var mode: SegmentMode
    public var memory: UInt32
    public var offset: ConstExpr
    public var bytes: UnsafeRawBufferPointer

    public init(mode: SegmentMode, memory: UInt32, offset: ConstExpr, bytes: UnsafeRawBufferPointer) {
        self.mode = mode
        self.memory = memory
        self.offset = offset
        self.bytes = bytes
    }
}

public struct FunctionName {
    public var function: UInt32
    public var name: NameBytes

    public init(function: UInt32, name: NameBytes) {
        self.function = function
        self.name = name
    }
}
