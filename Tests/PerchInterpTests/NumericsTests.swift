import Testing
@testable import PerchInterp

@Suite struct NumericsTests {
    @Test func integerDivisionTrapsInsteadOfCrashing() {
        #expect(i32DivS(0x8000_0000, 0xFFFF_FFFF) == .failure(.integerOverflow))
        #expect(i32DivS(7, 0) == .failure(.integerDivideByZero))
        #expect(i32DivS(UInt32(bitPattern: -7), 2) == .success(UInt32(bitPattern: -3)))
        #expect(i32RemS(0x8000_0000, 0xFFFF_FFFF) == .success(0))
        #expect(i32RemS(UInt32(bitPattern: -7), 2) == .success(UInt32(bitPattern: -1)))
        #expect(i32RemU(7, 0) == .failure(.integerDivideByZero))
        #expect(i64DivS(0x8000_0000_0000_0000, ~0) == .failure(.integerOverflow))
        #expect(i64RemS(0x8000_0000_0000_0000, ~0) == .success(0))
        #expect(i64DivU(~0, 2) == .success(0x7FFF_FFFF_FFFF_FFFF))
    }

    @Test func rotatesAndShiftsTakeTheCountModuloWidth() {
        #expect(i32Rotl(0x8000_0001, 1) == 0x0000_0003)
        #expect(i32Rotr(0x8000_0001, 33) == 0xC000_0000)
        #expect(i64Rotl(0x8000_0000_0000_0001, 65) == 3)
        #expect(i32Shl(1, 33) == 2)
        #expect(i32ShrS(0x8000_0000, 31) == 0xFFFF_FFFF)
        #expect(i64ShrU(0x8000_0000_0000_0000, 127) == 1)
    }

    @Test func minMaxPropagateNaNAndOrderSignedZeros() {
        #expect(wasmMin(Float(0), Float(-0.0)).sign == .minus)
        #expect(wasmMin(Float(-0.0), Float(0)).sign == .minus)
        #expect(wasmMax(Float(-0.0), Float(0)).sign == .plus)
        #expect(wasmMax(Double(0), Double(-0.0)).sign == .plus)
        #expect(wasmMin(Double.nan, 1).isNaN)
        #expect(wasmMax(1, Float.nan).isNaN)
        // A signalling NaN comes back quiet (an arithmetic NaN).
        let sNaN = Float(bitPattern: 0x7FA0_0000)
        #expect(wasmMin(sNaN, 1).bitPattern & 0x0040_0000 != 0)
    }

    @Test func roundingIsExactAndKeepsTheSignOfZero() {
        #expect(wasmNearest(Float(2.5)) == 2)
        #expect(wasmNearest(Float(3.5)) == 4)
        #expect(wasmNearest(Double(-0.5)).sign == .minus && wasmNearest(Double(-0.5)) == 0)
        #expect(wasmNearest(Double(4503599627370497.0)) == 4503599627370497.0)
        #expect(wasmCeil(Float(-0.5)).sign == .minus)
        #expect(wasmCeil(Double(1.25)) == 2)
        #expect(wasmFloor(Double(-1.25)) == -2)
        #expect(wasmFloor(Float(0.5)) == 0 && wasmFloor(Float(0.5)).sign == .plus)
        #expect(wasmTrunc(Double(-1.75)) == -1)
        #expect(wasmTrunc(Float(8388609.0)) == 8388609.0)
        #expect(wasmTrunc(Float(bitPattern: 0x7FA0_0000)).bitPattern == 0x7FE0_0000)
        #expect(wasmFloor(-Double.infinity) == -Double.infinity)
    }

    @Test func signOperationsTouchOnlyTheSignBit() {
        #expect(f32Neg(0x7FC0_0000) == 0xFFC0_0000)
        #expect(f32Abs(0xFFC0_0001) == 0x7FC0_0001)
        #expect(f64Copysign(0x3FF0_0000_0000_0000, 0x8000_0000_0000_0000) == 0xBFF0_0000_0000_0000)
    }

    @Test func truncationTrapsOnNaNAndOverflowAtTheExactBounds() {
        #expect(truncToI32S(Double(Float(-2147483648.0))) == .success(0x8000_0000))
        #expect(truncToI32S(-2147483648.9) == .success(0x8000_0000))
        #expect(truncToI32S(-2147483649.0) == .failure(.integerOverflow))
        #expect(truncToI32S(2147483648.0) == .failure(.integerOverflow))
        #expect(truncToI32S(.nan) == .failure(.invalidConversionToInteger))
        #expect(truncToI32U(-0.9) == .success(0))
        #expect(truncToI32U(-1.0) == .failure(.integerOverflow))
        #expect(truncToI32U(4294967295.9) == .success(0xFFFF_FFFF))
        #expect(truncToI64S(-9223372036854775808.0) == .success(0x8000_0000_0000_0000))
        #expect(truncToI64S(9223372036854775808.0) == .failure(.integerOverflow))
        #expect(truncToI64U(18446744073709549568.0) == .success(18446744073709549568))
        #expect(truncToI64U(18446744073709551616.0) == .failure(.integerOverflow))
    }

    @Test func saturatingTruncationClamps() {
        #expect(truncSatToI32S(.nan) == 0)
        #expect(truncSatToI32S(-1e10) == 0x8000_0000)
        #expect(truncSatToI32S(1e10) == 0x7FFF_FFFF)
        #expect(truncSatToI32U(-5) == 0)
        #expect(truncSatToI32U(1e10) == 0xFFFF_FFFF)
        #expect(truncSatToI64S(.infinity) == 0x7FFF_FFFF_FFFF_FFFF)
        #expect(truncSatToI64U(-.infinity) == 0)
        #expect(truncSatToI64U(1e30) == ~0)
    }

    @Test func conversionsRoundOnceAndExtendBySign() {
        // 2^53 + 1 as an i64 rounds to even in f64; f32 from u64 rounds once.
        #expect(f64FromI64S(9007199254740993) == Double(9007199254740992).bitPattern)
        #expect(f32FromI64U(~0) == Float(18446744073709551616.0).bitPattern)
        #expect(i32Extend8S(0x80) == 0xFFFF_FF80)
        #expect(i64ExtendI32S(0xFFFF_FFFF) == ~0)
    }
}
