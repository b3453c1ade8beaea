import PerchCore
import PerchDecode
@testable import PerchValidate

/// Builds a `Module` by hand, its bytes in an arena, so validation can be tested without
/// the decoder: types, one memory/table if asked, and defined functions given as raw bodies.
final class Fixture {
    let arena: Arena
    var module: Module

    struct Signature {
        var params: [UInt8]
        var results: [UInt8]
    }

    init(
        types: [Signature], functions: [(type: Int, body: [UInt8])], memories: Int = 0,
        tables: [ValueType] = [], dataCount: UInt32? = nil, passiveDataSegments: Int = 0, arenaBytes: Int = 1 << 20
    ) throws {
        arena = try Arena(capacity: arenaBytes)
        var bytes: [UInt8] = []
        var typeRanges: [(Int, Int, Int, Int)] = []
        for t in types {
            typeRanges.append((bytes.count, t.params.count, bytes.count + t.params.count, t.results.count))
            bytes += t.params + t.results
        }
        var bodyRanges: [(Int, Int)] = []
        for f in functions {
            bodyRanges.append((bytes.count, f.body.count))
            bytes += f.body
        }
        let base = try arena.allocateLow(max(bytes.count, 1), for: .moduleBytes)
        base.copyMemory(from: bytes, byteCount: bytes.count)
        let raw = UnsafeRawPointer(base)
        module = Module(bytes: UnsafeRawBufferPointer(start: raw, count: bytes.count))
        module.types = try arena.allocateHigh(FuncType.self, count: types.count, for: .moduleMetadata)
        for (i, r) in typeRanges.enumerated() {
            let params = UnsafeRawBufferPointer(start: raw + r.0, count: r.1)
            let results = UnsafeRawBufferPointer(start: raw + r.2, count: r.3)
            module.types[i] = FuncType(
                params: params, results: results,
                paramSlots: UInt32(params.reduce(0) { $0 + ($1 == 0x7B ? 2 : 1) }),
                resultSlots: UInt32(results.reduce(0) { $0 + ($1 == 0x7B ? 2 : 1) }))
        }
        module.functions = try arena.allocateHigh(Function.self, count: functions.count, for: .moduleMetadata)
        for (i, f) in functions.enumerated() {
            module.functions[i] = Function(
                typeIndex: UInt32(f.type),
                body: UnsafeRawBufferPointer(start: raw + bodyRanges[i].0, count: bodyRanges[i].1))
        }
        module.memories = try arena.allocateHigh(Limits.self, count: memories, for: .moduleMetadata)
        for i in 0..<memories { module.memories[i] = Limits(min: 1, max: nil) }
        module.tables = try arena.allocateHigh(TableType.self, count: tables.count, for: .moduleMetadata)
        for (i, t) in tables.enumerated() { module.tables[i] = TableType(elementType: t, limits: Limits(min: 0, max: nil)) }
        module.dataCount = dataCount
        module.data = try arena.allocateHigh(DataSegment.self, count: passiveDataSegments, for: .moduleMetadata)
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        for i in 0..<passiveDataSegments {
            module.data[i] = DataSegment(mode: .passive, memory: 0, offset: ConstExpr(code: none), bytes: none)
        }
    }

    /// A module with one function of type `params -> results` and the given body.
    convenience init(
        params: [UInt8] = [], results: [UInt8] = [], body: [UInt8], memories: Int = 0, arenaBytes: Int = 1 << 20
    ) throws {
        try self.init(
            types: [Signature(params: params, results: results)], functions: [(0, body)], memories: memories,
            arenaBytes: arenaBytes)
    }

    func validate() throws(ModuleError) {
        try PerchValidate.validate(&module, arena: arena)
    }

    /// Validation's verdict as the spec's message, or nil if the module is valid.
    func failure() -> String? {
        do {
            try validate()
            return nil
        } catch {
            return error.kind.message
        }
    }

    var code: CodeInfo { module.functions[0].code! }

    /// Every entry of function 0's side table (branch entries only), read back through the
    /// interpreter's API. The entries end where the first wide payload begins.
    var entries: [SideTable.Entry] {
        let info = code
        guard let table = info.sideTable else { return [] }
        var result: [SideTable.Entry] = []
        var at = table
        var end = table + Int(info.sideTableBytes)
        while at < end {
            result.append(SideTable.entry(at: at))
            if isWide(at) { end = min(end, at + Int(at.load(as: UInt32.self) - 1)) }
            at += SideTable.branchSize
        }
        return result
    }

    /// Whether the branch entry at `at` is wide.
    func isWide(_ at: UnsafeRawPointer) -> Bool { at.load(as: UInt8.self) & 1 == 1 }

    /// Body offset of a pointer in function 0.
    func bodyOffset(_ pointer: UnsafeRawPointer) -> Int { pointer - module.functions[0].body.baseAddress! }
}

func entry(_ pcDelta: Int, _ stpDelta: Int, keep: Int = 0, drop: Int = 0) -> SideTable.Entry {
    SideTable.Entry(pcDelta: pcDelta, stpDelta: stpDelta, keep: keep, drop: drop)
}
