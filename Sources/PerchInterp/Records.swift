import PerchCore
import PerchDecode

/// The runtime records of instantiated modules (spec 4.2 "runtime structure"), all in
/// arenas: function instances, tables, memories, globals, segments and the instance that
/// ties them to a module's index spaces.
///
/// # Invariants
/// - Every record is allocated in an arena at instantiation and never moves or is freed
///   while any instance that can reach it lives (an importing instance keeps its exporter
///   alive through `Instance.imports`), so raw pointers between records stay valid.
/// - A `FunctionRecord` of a wasm function points at validated code (`entry ..< end`,
///   side table; all three non-nil, so the interpreter reads them unchecked) of a module
///   whose bytes outlive it; `type` points into that module's `types` buffer.
/// - `MemoryRecord.base ..< base + byteCount` is the memory's bytes in its arena;
///   `byteCount == pages * 65536`; `base` never changes (memory grows in place).
/// - `TableRecord.elements ..< elements + capacity` is reserved; `count <= capacity`;
///   elements at `count...` are never read.
/// - Reference values: funcref = address of a `FunctionRecord` (0 = null);
///   externref = host value + 1 (0 = null).
public struct FunctionRecord {
    public var type: UnsafePointer<FuncType>
    public var instance: UnsafeMutablePointer<InstanceRecord>
    /// First instruction; nil for a host function.
    public var entry: UnsafeRawPointer?
    /// The function's final `end` (executing it returns).
    public var end: UnsafeRawPointer?
    /// The side table; non-nil for every wasm function (the entry when it has no branches).
    public var sideTable: UnsafeRawPointer?
    public var localSlots: UInt32
    /// Params + locals + operand slots: what a call must find free on the value stack,
    /// at most `frameSlotsCap`.
    public var frameSlots: UInt32
    /// Larger frames are stored as this; value stacks are smaller, so calls refuse them.
    public static let frameSlotsCap = 1 << 30 - 1
    public var paramSlots: UInt32
    public var resultSlots: UInt32
    /// Index in the defining module's function index space (for traps).
    public var index: UInt32
    public var hostFunction: Int32
    public var host: Unmanaged<HostBinding>?
}

/// Keeps a host module alive and reachable from `FunctionRecord`s without reference
/// counting in the interpreter loop.
public final class HostBinding {
    public let module: any HostModule
    public init(_ module: any HostModule) { self.module = module }
}

public struct MemoryRecord {
    public var base: UnsafeMutableRawPointer
    public var byteCount: Int
    public var pages: UInt32
    public var maxPages: UInt32
    public var declaredMax: UInt32?
    /// The arena whose low end this memory is (for `memory.grow`).
    public var arena: Unmanaged<Arena>
}

public struct TableRecord {
    public var elements: UnsafeMutablePointer<UInt64>
    public var count: UInt32
    public var capacity: UInt32
    public var max: UInt32?
    public var elementType: ValueType
}

public struct GlobalRecord {
    public var value: UInt64
    public var type: GlobalType
}

/// A passive element or data segment's remaining contents; `count` is 0 once dropped.
public struct SegmentRecord {
    public var start: UnsafeRawPointer?
    public var count: Int
}

/// One instance's view of its index spaces (spec 4.2.5 module instance).
public struct InstanceRecord {
    public var functions: UnsafeMutablePointer<UnsafeMutablePointer<FunctionRecord>>
    public var tables: UnsafeMutablePointer<UnsafeMutablePointer<TableRecord>>
    public var memory: UnsafeMutablePointer<MemoryRecord>?
    public var globals: UnsafeMutablePointer<UnsafeMutablePointer<GlobalRecord>>
    /// Element segments as arrays of reference values (UInt64).
    public var elements: UnsafeMutablePointer<SegmentRecord>
    public var data: UnsafeMutablePointer<SegmentRecord>
    public var types: UnsafePointer<FuncType>
    public var moduleBytes: UnsafeRawPointer
    public var functionNames: UnsafeMutableBufferPointer<FunctionName>
    /// Every defined function has only one-byte local indices (`CodeInfo`): the
    /// interpreter runs this instance's code with local handlers that skip the multi-byte
    /// case (Interpreter.swift, "Variable instructions").
    public var oneByteLocalIndices = false

    /// The name-section name of function `index`, if any.
    public func name(ofFunction index: UInt32) -> NameBytes? {
        for entry in functionNames where entry.function == index { return entry.name }
        return nil
    }
}

/// What an export or import refers to.
public enum ExternValue {
    case function(UnsafeMutablePointer<FunctionRecord>)
    case table(UnsafeMutablePointer<TableRecord>)
    case memory(UnsafeMutablePointer<MemoryRecord>)
    case global(UnsafeMutablePointer<GlobalRecord>)
}
