import PerchCore
import PerchDecode

/// The shape of each 0xFD instruction from 35 up, one character per opcode (spec 5.4.8):
///
///     u  v128 -> v128            b  v128 v128 -> v128      t  v128 v128 v128 -> v128
///     s  v128 i32 -> v128 (shift)                          r  v128 -> i32 (test, bitmask)
///     x  has immediates, checked in `prefixedSIMD`          -  no such opcode
///
/// Row n covers opcodes 16n ..< 16n + 16.
let simdShapes: StaticString = """
    xxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxx\
    xxxbbbbbbbbbbbbb\
    bbbbbbbbbbbbbbbb\
    bbbbbbbbbbbbbubb\
    bbtrxxxxxxxxxxuu\
    uuurrbbuuuusssbb\
    bbbbuubbbbubuuuu\
    uubrrbbuuuusssbb\
    bbbbubbbbb-bbbbb\
    uu-rr--uuuusssb-\
    -b---bbbbbb-bbbb\
    uu-rr--uuuusssb-\
    -b---bbbbbbbbbbb\
    uu-ubbbbbbbbuu-u\
    bbbbbbbbuuuuuuuu
    """

extension FunctionValidator {
    /// The 0xFD prefix: decodes and type-checks every SIMD instruction of WebAssembly 2.0.
    mutating func prefixedSIMD() throws(ModuleError) {
        let sub = try reader.readU32()
        guard sub < 256 else { throw invalid(.illegalPrefixedOpcode(0xFD, sub)) }
        let shape = simdShapes.utf8Start[Int(sub)]
        switch shape {
        case UInt8(ascii: "u"): try unary(T.v128, T.v128)
        case UInt8(ascii: "b"): try binary(T.v128, T.v128)
        case UInt8(ascii: "t"):
            try pop(T.v128)
            try binary(T.v128, T.v128)
        case UInt8(ascii: "s"):
            try pop(T.i32)
            try unary(T.v128, T.v128)
        case UInt8(ascii: "r"): try unary(T.v128, T.i32)
        case UInt8(ascii: "x"): try simdWithImmediates(sub)
        default: throw invalid(.illegalPrefixedOpcode(0xFD, sub))
        }
    }

    private mutating func simdWithImmediates(_ sub: UInt32) throws(ModuleError) {
        switch sub {
        case 0: try memarg(naturalAlignment: 4); try unary(T.i32, T.v128)  // v128.load
        case 1...6: try memarg(naturalAlignment: 3); try unary(T.i32, T.v128)  // load8x8 .. load32x2
        case 7...10:  // load8_splat .. load64_splat
            try memarg(naturalAlignment: sub &- 7)
            try unary(T.i32, T.v128)
        case 11: try memarg(naturalAlignment: 4); try store(T.v128)  // v128.store
        case 12: _ = try reader.readBytes(16); try push(T.v128)  // v128.const
        case 13:  // i8x16.shuffle
            for _ in 0..<16 { guard try reader.readByte() < 32 else { throw invalid(.invalidLaneIndex) } }
            try binary(T.v128, T.v128)
        case 14: try binary(T.v128, T.v128)  // i8x16.swizzle
        case 15, 16, 17: try unary(T.i32, T.v128)  // i8x16/i16x8/i32x4.splat
        case 18: try unary(T.i64, T.v128)
        case 19: try unary(T.f32, T.v128)
        case 20: try unary(T.f64, T.v128)
        case 21, 22: try lane(16); try unary(T.v128, T.i32)  // i8x16.extract_lane_s/u
        case 23: try lane(16); try replaceLane(T.i32)
        case 24, 25: try lane(8); try unary(T.v128, T.i32)
        case 26: try lane(8); try replaceLane(T.i32)
        case 27: try lane(4); try unary(T.v128, T.i32)
        case 28: try lane(4); try replaceLane(T.i32)
        case 29: try lane(2); try unary(T.v128, T.i64)
        case 30: try lane(2); try replaceLane(T.i64)
        case 31: try lane(4); try unary(T.v128, T.f32)
        case 32: try lane(4); try replaceLane(T.f32)
        case 33: try lane(2); try unary(T.v128, T.f64)
        case 34: try lane(2); try replaceLane(T.f64)
        case 84...87:  // v128.load8/16/32/64_lane
            let log2 = sub &- 84
            try memarg(naturalAlignment: log2)
            try lane(16 >> Int(log2))
            try pop(T.v128)
            try pop(T.i32)
            try push(T.v128)
        case 88...91:  // v128.store8/16/32/64_lane
            let log2 = sub &- 88
            try memarg(naturalAlignment: log2)
            try lane(16 >> Int(log2))
            try store(T.v128)
        case 92: try memarg(naturalAlignment: 2); try unary(T.i32, T.v128)  // v128.load32_zero
        default: try memarg(naturalAlignment: 3); try unary(T.i32, T.v128)  // 93: v128.load64_zero
        }
    }

    private mutating func lane(_ lanes: Int) throws(ModuleError) {
        guard Int(try reader.readByte()) < lanes else { throw invalid(.invalidLaneIndex) }
    }

    private mutating func replaceLane(_ scalar: UInt8) throws(ModuleError) {
        try pop(scalar)
        try unary(T.v128, T.v128)
    }
}

/// For the test that the shape table has one character per opcode.
var simdShapesCount: Int { simdShapes.utf8CodeUnitCount }
