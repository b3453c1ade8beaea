/// WebAssembly numeric semantics (spec 4.3) as pure functions on raw bits.
///
/// Values travel through the interpreter as bit patterns (`UInt32`/`UInt64`), so every
/// function here takes and returns bits. Everything is total: operations the spec leaves
/// undefined for some inputs (division, float-to-int truncation) return a `TrapKind`
/// instead of reaching a Swift runtime trap.

// MARK: - Integer operations

@inline(__always) func i32DivS(_ a: UInt32, _ b: UInt32) -> Result<UInt32, TrapKind> {
    if b == 0 { return .failure(.integerDivideByZero) }
    if a == 0x8000_0000 && b == 0xFFFF_FFFF { return .failure(.integerOverflow) }
    return .success(UInt32(bitPattern: Int32(bitPattern: a) / Int32(bitPattern: b)))
}

@inline(__always) func i32DivU(_ a: UInt32, _ b: UInt32) -> Result<UInt32, TrapKind> {
    if b == 0 { return .failure(.integerDivideByZero) }
    return .success(a / b)
}

@inline(__always) func i32RemS(_ a: UInt32, _ b: UInt32) -> Result<UInt32, TrapKind> {
    if b == 0 { return .failure(.integerDivideByZero) }
    // INT_MIN % -1 is 0 in wasm; Swift's `%` would overflow.
    if b == 0xFFFF_FFFF { return .success(0) }
    return .success(UInt32(bitPattern: Int32(bitPattern: a) % Int32(bitPattern: b)))
}

@inline(__always) func i32RemU(_ a: UInt32, _ b: UInt32) -> Result<UInt32, TrapKind> {
    if b == 0 { return .failure(.integerDivideByZero) }
    return .success(a % b)
}

@inline(__always) func i64DivS(_ a: UInt64, _ b: UInt64) -> Result<UInt64, TrapKind> {
    if b == 0 { return .failure(.integerDivideByZero) }
    if a == 0x8000_0000_0000_0000 && b == ~0 { return .failure(.integerOverflow) }
    return .success(UInt64(bitPattern: Int64(bitPattern: a) / Int64(bitPattern: b)))
}

@inline(__always) func i64DivU(_ a: UInt64, _ b: UInt64) -> Result<UInt64, TrapKind> {
    if b == 0 { return .failure(.integerDivideByZero) }
    return .success(a / b)
}

@inline(__always) func i64RemS(_ a: UInt64, _ b: UInt64) -> Result<UInt64, TrapKind> {
    if b == 0 { return .failure(.integerDivideByZero) }
    if b == ~0 { return .success(0) }
    return .success(UInt64(bitPattern: Int64(bitPattern: a) % Int64(bitPattern: b)))
}

@inline(__always) func i64RemU(_ a: UInt64, _ b: UInt64) -> Result<UInt64, TrapKind> {
    if b == 0 { return .failure(.integerDivideByZero) }
    return .success(a % b)
}

@inline(__always) func i32Rotl(_ a: UInt32, _ b: UInt32) -> UInt32 {
    let k = b & 31
    return (a &<< k) | (a &>> ((32 &- k) & 31))
}

@inline(__always) func i32Rotr(_ a: UInt32, _ b: UInt32) -> UInt32 {
    let k = b & 31
    return (a &>> k) | (a &<< ((32 &- k) & 31))
}

@inline(__always) func i64Rotl(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let k = b & 63
    return (a &<< k) | (a &>> ((64 &- k) & 63))
}

@inline(__always) func i64Rotr(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let k = b & 63
    return (a &>> k) | (a &<< ((64 &- k) & 63))
}

/// Shifts take the count modulo the bit width (spec 4.3.2: `ishl`, `ishr_s`, `ishr_u`).
@inline(__always) func i32Shl(_ a: UInt32, _ b: UInt32) -> UInt32 { a &<< (b & 31) }
@inline(__always) func i32ShrU(_ a: UInt32, _ b: UInt32) -> UInt32 { a &>> (b & 31) }
@inline(__always) func i32ShrS(_ a: UInt32, _ b: UInt32) -> UInt32 {
    UInt32(bitPattern: Int32(bitPattern: a) &>> Int32(b & 31))
}
@inline(__always) func i64Shl(_ a: UInt64, _ b: UInt64) -> UInt64 { a &<< (b & 63) }
@inline(__always) func i64ShrU(_ a: UInt64, _ b: UInt64) -> UInt64 { a &>> (b & 63) }
@inline(__always) func i64ShrS(_ a: UInt64, _ b: UInt64) -> UInt64 {
    UInt64(bitPattern: Int64(bitPattern: a) &>> Int64(b & 63))
}

@inline(__always) func i32LtS(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a) < Int32(bitPattern: b) }
@inline(__always) func i64LtS(_ a: UInt64, _ b: UInt64) -> Bool { Int64(bitPattern: a) < Int64(bitPattern: b) }

/// Sign extension of the low `bits` bits (spec 4.3.2 `iextend_s`).
@inline(__always) func i32Extend8S(_ a: UInt32) -> UInt32 { UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: a))) }
@inline(__always) func i32Extend16S(_ a: UInt32) -> UInt32 { UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: a))) }
@inline(__always) func i64Extend8S(_ a: UInt64) -> UInt64 { slot(extending: Int8(truncatingIfNeeded: a)) }
@inline(__always) func i64Extend16S(_ a: UInt64) -> UInt64 { slot(extending: Int16(truncatingIfNeeded: a)) }
@inline(__always) func i64ExtendI32S(_ a: UInt32) -> UInt64 { slot(signExtending: Int32(bitPattern: a)) }

// MARK: - Float operations (spec 4.3.3)

/// `fmin`: NaN if either operand is NaN; -0 is less than +0.
@inline(__always) func wasmMin<F: BinaryFloatingPoint>(_ a: F, _ b: F) -> F {
    if a.isNaN || b.isNaN { return a + b }  // propagates a quiet (arithmetic) NaN
    if a == b { return a.sign == .minus ? a : b }  // -0 vs +0
    return a < b ? a : b
}

/// `fmax`: NaN if either operand is NaN; +0 is greater than -0.
@inline(__always) func wasmMax<F: BinaryFloatingPoint>(_ a: F, _ b: F) -> F {
    if a.isNaN || b.isNaN { return a + b }
    if a == b { return a.sign == .minus ? b : a }
    return a > b ? a : b
}

// Rounding works on the bits, exactly, so it needs no C math library (bare-metal builds
// have none). A NaN operand comes back quiet (`x + x`), as spec 4.3.3 requires.

/// `ftrunc`: round toward zero; keeps the sign of zero.
@inline(__always) func wasmTrunc<F: BinaryFloatingPoint>(_ x: F) -> F {
    if !x.isFinite { return x + x }
    if x.isZero || x.exponent >= F.Exponent(F.significandBitCount) { return x }
    if x.exponent < 0 { return F(signOf: x, magnitudeOf: 0) }
    let fractionBits = F.significandBitCount - Int(x.exponent)
    let mask: F.RawSignificand = ~((1 << F.RawSignificand(fractionBits)) - 1)
    return F(sign: x.sign, exponentBitPattern: x.exponentBitPattern, significandBitPattern: x.significandBitPattern & mask)
}

/// `ffloor`.
@inline(__always) func wasmFloor<F: BinaryFloatingPoint>(_ x: F) -> F {
    let t = wasmTrunc(x)
    return x < 0 && t != x ? t - 1 : t
}

/// `fceil`: ceil(-0.5) is -0 (the truncation keeps the sign).
@inline(__always) func wasmCeil<F: BinaryFloatingPoint>(_ x: F) -> F {
    let t = wasmTrunc(x)
    return x > 0 && t != x ? t + 1 : t
}

/// `fnearest`: ties to even, keeping the sign of zero. Adding and subtracting 2^p (p =
/// significand bits) rounds the magnitude in the default rounding mode, ties to even.
@inline(__always) func wasmNearest<F: BinaryFloatingPoint>(_ x: F) -> F {
    if !x.isFinite { return x + x }
    if x.isZero || x.exponent >= F.Exponent(F.significandBitCount) { return x }
    let big = F(sign: .plus, exponent: F.Exponent(F.significandBitCount), significand: 1)
    let magnitude = (x.magnitude + big) - big
    return F(signOf: x, magnitudeOf: magnitude)
}

// abs, neg and copysign act on the sign bit only, even for NaNs (spec 4.3.3).
@inline(__always) func f32Abs(_ a: UInt32) -> UInt32 { a & 0x7FFF_FFFF }
@inline(__always) func f32Neg(_ a: UInt32) -> UInt32 { a ^ 0x8000_0000 }
@inline(__always) func f32Copysign(_ a: UInt32, _ b: UInt32) -> UInt32 { (a & 0x7FFF_FFFF) | (b & 0x8000_0000) }
@inline(__always) func f64Abs(_ a: UInt64) -> UInt64 { a & 0x7FFF_FFFF_FFFF_FFFF }
@inline(__always) func f64Neg(_ a: UInt64) -> UInt64 { a ^ 0x8000_0000_0000_0000 }
@inline(__always) func f64Copysign(_ a: UInt64, _ b: UInt64) -> UInt64 {
    (a & 0x7FFF_FFFF_FFFF_FFFF) | (b & 0x8000_0000_0000_0000)
}

@inline(__always) func f32(_ bits: UInt32) -> Float { Float(bitPattern: bits) }
@inline(__always) func f64(_ bits: UInt64) -> Double { Double(bitPattern: bits) }
/// A float's bits, through a helper of our own for the reason given at `byte`.
@inline(__always) func bits(_ x: Float) -> UInt32 { x.bitPattern }
@inline(__always) func bits(_ x: Double) -> UInt64 { x.bitPattern }

// MARK: - Float to integer conversions (spec 4.3.4 `trunc`, `trunc_sat`)

/// Truncation works on `Double` for both float types: promoting an f32 is exact, and every
/// bound below is exactly representable, so each comparison is exact.
@inline(__always) func truncToI32S(_ x: Double) -> Result<UInt32, TrapKind> {
    if x.isNaN { return .failure(.invalidConversionToInteger) }
    guard x > -2147483649.0 && x < 2147483648.0 else { return .failure(.integerOverflow) }
    return .success(UInt32(bitPattern: Int32(x.rounded(.towardZero))))
}

@inline(__always) func truncToI32U(_ x: Double) -> Result<UInt32, TrapKind> {
    if x.isNaN { return .failure(.invalidConversionToInteger) }
    guard x > -1.0 && x < 4294967296.0 else { return .failure(.integerOverflow) }
    return .success(UInt32(x.rounded(.towardZero)))
}

@inline(__always) func truncToI64S(_ x: Double) -> Result<UInt64, TrapKind> {
    if x.isNaN { return .failure(.invalidConversionToInteger) }
    guard x >= -9223372036854775808.0 && x < 9223372036854775808.0 else { return .failure(.integerOverflow) }
    return .success(UInt64(bitPattern: Int64(x.rounded(.towardZero))))
}

@inline(__always) func truncToI64U(_ x: Double) -> Result<UInt64, TrapKind> {
    if x.isNaN { return .failure(.invalidConversionToInteger) }
    guard x > -1.0 && x < 18446744073709551616.0 else { return .failure(.integerOverflow) }
    return .success(UInt64(x.rounded(.towardZero)))
}

@inline(__always) func truncSatToI32S(_ x: Double) -> UInt32 {
    if x.isNaN { return 0 }
    if x <= -2147483648.0 { return 0x8000_0000 }
    if x >= 2147483647.0 { return 0x7FFF_FFFF }
    return UInt32(bitPattern: Int32(x.rounded(.towardZero)))
}

@inline(__always) func truncSatToI32U(_ x: Double) -> UInt32 {
    if x.isNaN || x <= 0 { return 0 }
    if x >= 4294967295.0 { return 0xFFFF_FFFF }
    return UInt32(x.rounded(.towardZero))
}

@inline(__always) func truncSatToI64S(_ x: Double) -> UInt64 {
    if x.isNaN { return 0 }
    if x <= -9223372036854775808.0 { return 0x8000_0000_0000_0000 }
    if x >= 9223372036854775808.0 { return 0x7FFF_FFFF_FFFF_FFFF }
    return UInt64(bitPattern: Int64(x.rounded(.towardZero)))
}

@inline(__always) func truncSatToI64U(_ x: Double) -> UInt64 {
    if x.isNaN || x <= 0 { return 0 }
    if x >= 18446744073709551616.0 { return ~0 }
    return UInt64(x.rounded(.towardZero))
}

// MARK: - Integer to float conversions

/// `convert_i64_u` to f32 must round once; Swift's `Float(UInt64)` rounds correctly.
@inline(__always) func f32FromI32S(_ a: UInt32) -> UInt32 { Float(Int32(bitPattern: a)).bitPattern }
@inline(__always) func f32FromI32U(_ a: UInt32) -> UInt32 { Float(a).bitPattern }
@inline(__always) func f32FromI64S(_ a: UInt64) -> UInt32 { Float(Int64(bitPattern: a)).bitPattern }
@inline(__always) func f32FromI64U(_ a: UInt64) -> UInt32 { Float(a).bitPattern }
@inline(__always) func f64FromI32S(_ a: UInt32) -> UInt64 { Double(Int32(bitPattern: a)).bitPattern }
@inline(__always) func f64FromI32U(_ a: UInt32) -> UInt64 { Double(a).bitPattern }
@inline(__always) func f64FromI64S(_ a: UInt64) -> UInt64 { Double(Int64(bitPattern: a)).bitPattern }
@inline(__always) func f64FromI64U(_ a: UInt64) -> UInt64 { Double(a).bitPattern }
@inline(__always) func f32Demote(_ a: UInt64) -> UInt32 { Float(Double(bitPattern: a)).bitPattern }
@inline(__always) func f64Promote(_ a: UInt32) -> UInt64 { Double(Float(bitPattern: a)).bitPattern }
