import PerchCore
import PerchDecode

extension FunctionValidator {
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
        guard let count = context.module.dataCount else {
            throw invalid(context.module.data.count > 0 ? .dataCountSectionRequired : .unknownDataSegment(index))
        }
        guard index < count else { throw invalid(.unknownDataSegment(index)) }
    }

    mutating func threeI32() throws(ModuleError) {
        try pop(T.i32)
        try pop(T.i32)
        try pop(T.i32)
    }
}
