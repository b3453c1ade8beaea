import PerchCore
import PerchDecode

/// Typing of the plain (unprefixed) instructions: immediates that name module entities,
/// memory accesses and the numeric group.
extension FunctionValidator {
    /// Reads a memarg (spec 5.4.6) for an access of 2^`naturalAlignment` bytes; returns
    /// its offset.
    @inline(__always) @discardableResult
    mutating func memarg(naturalAlignment: UInt32) throws(ModuleError) -> UInt32 {
        let align = try reader.readU32()
        let offset = try reader.readU32()
        if align >= 32 { throw invalid(.malformedMemopFlags) }
        if align > naturalAlignment { throw invalid(.alignmentTooLarge) }
        guard context.memoryCount > 0 else { throw invalid(.unknownMemory(0)) }
        return offset
    }

    /// A core load's or store's memarg, with its immediate entry when it takes more than
    /// two bytes (see `SideTable`).
    @inline(__always)
    mutating func accessMemarg(naturalAlignment: UInt32) throws(ModuleError) {
        let start = reader.position
        let offset = try memarg(naturalAlignment: naturalAlignment)
        if SideTable.hasEntry(memargAt: start) {
            try emitImmediate(UInt64(offset), wide: false)
        }
    }

    /// `i32.const` and `i64.const`, with an immediate entry when the constant takes more
    /// than one byte (see `SideTable`).
    @inline(__always)
    mutating func constant(wide: Bool) throws(ModuleError) {
        let start = reader.position
        let value = wide ? UInt64(bitPattern: try reader.readS64()) : UInt64(UInt32(bitPattern: try reader.readS32()))
        if SideTable.hasEntry(lebAt: start) {
            try emitImmediate(value, wide: wide)
        }
        try push(wide ? T.i64 : T.i32)
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

    @inline(__always)
    mutating func store(_ type: UInt8) throws(ModuleError) {
        try pop(type)
        try pop(T.i32)
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
}
