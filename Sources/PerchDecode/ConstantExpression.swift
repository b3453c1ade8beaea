extension ByteReader {
    /// Reads a constant expression (spec 5.4.9, 3.3.10) up to and including its `end`.
    ///
    /// The decoder only needs to find where the expression ends; whether each instruction
    /// is constant and well-typed is the validator's check. Instructions whose extent it
    /// cannot take without a full instruction decoder (blocks, `br_table`, prefixed
    /// operations other than `v128.const`) are never constant, so they are reported here.
    public mutating func readConstantExpression() throws(ModuleError) -> ConstExpr {
        let start = position
        while true {
            let opcodeStart = position
            let opcode = try readByte()
            switch opcode {
            case 0x0B:
                return ConstExpr(code: UnsafeRawBufferPointer(start: start, count: position - start))
            case 0x41: _ = try readS32()
            case 0x42: _ = try readS64()
            case 0x43: _ = try readFixed32()
            case 0x44: _ = try readFixed64()
            case 0xD0: _ = try readReferenceType()
            // One index immediate: br, br_if, call, local.*, global.*, table.get/set, ref.func.
            case 0x0C, 0x0D, 0x10, 0x20...0x26, 0xD2: _ = try readU32()
            // No immediate: unreachable, nop, return, drop, select, numeric, ref.is_null.
            case 0x00, 0x01, 0x0F, 0x1A, 0x1B, 0x45...0xC4, 0xD1: break
            // Loads and stores: alignment and offset.
            case 0x28...0x3E:
                _ = try readU32()
                _ = try readU32()
            case 0x3F, 0x40: _ = try readByte()
            case 0xFD:
                guard try readU32() == 12 else {  // v128.const
                    throw ModuleError(.constantExpressionRequired, at: opcodeStart - base)
                }
                _ = try readBytes(16)
            case 0x02...0x05, 0x0E, 0x11, 0x1C, 0xFC:
                throw ModuleError(.constantExpressionRequired, at: opcodeStart - base)
            default:
                throw ModuleError(.illegalOpcode(opcode), at: opcodeStart - base)
            }
        }
    }
}
