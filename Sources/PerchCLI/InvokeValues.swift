import PerchCore

/// Command-line text ↔ wasm values for `perch run --invoke`.
///
/// Integers: decimal with an optional `-`, or `0x` hex (i32 accepts -2^31 ... 2^32-1, so a
/// value can be given signed or unsigned). Floats: decimal (`1.5`, `-2e-3`), `inf`,
/// `-inf`, `nan`, or `0x` followed by the raw IEEE bits for an exact value.
func parseInvokeArguments(_ texts: [String], types: UnsafeRawBufferPointer) -> Result<[UInt64], RunFailure> {
    guard texts.count == types.count else {
        return .failure(RunFailure("the function takes \(types.count) argument(s), \(texts.count) given"))
    }
    var values: [UInt64] = []
    for (index, text) in texts.enumerated() {
        let bytes = Array(text.utf8)
        let value: UInt64?
        switch ValueType(rawValue: types[index]) {
        case .i32:
            value = parseInteger(bytes, minimum: -(1 << 31), maximumUnsigned: UInt64(UInt32.max)).map { $0 & 0xFFFF_FFFF }
        case .i64:
            value = parseInteger(bytes, minimum: Int64.min, maximumUnsigned: UInt64.max)
        case .f32:
            if let bits = hexBits(bytes) { value = bits <= UInt64(UInt32.max) ? bits : nil }
            else { value = parseDouble(bytes).map { UInt64(Float($0).bitPattern) } }
        case .f64:
            value = hexBits(bytes) ?? parseDouble(bytes).map { $0.bitPattern }
        default:
            return .failure(RunFailure("argument \(index + 1): only i32, i64, f32 and f64 parameters can be given"))
        }
        guard let value else {
            let name = ValueType(rawValue: types[index])?.name ?? "i32"
            return .failure(RunFailure("argument \(index + 1): '\(text)' is not a valid \(name)"))
        }
        values.append(value)
    }
    return .success(values)
}

/// The results as text: integers signed decimal, floats as Swift prints them.
func formatResults(_ slots: UnsafeBufferPointer<UInt64>, types: UnsafeRawBufferPointer) -> [String] {
    var texts: [String] = []
    var slot = 0
    for type in types {
        guard slot < slots.count else { break }
        let bits = slots[slot]
        switch ValueType(rawValue: type) {
        case .i32: texts.append("\(Int32(bitPattern: UInt32(truncatingIfNeeded: bits)))")
        case .i64: texts.append("\(Int64(bitPattern: bits))")
        case .f32: texts.append("\(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))")
        case .f64: texts.append("\(Double(bitPattern: bits))")
        case .v128:
            texts.append("v128:0x" + String(slots[slot + 1 < slots.count ? slot + 1 : slot], radix: 16)
                         + String(bits, radix: 16))
            slot += 1
        default: texts.append(bits == 0 ? "null" : "ref:\(bits)")
        }
        slot += 1
    }
    return texts
}

private func parseInteger(_ bytes: [UInt8], minimum: Int64, maximumUnsigned: UInt64) -> UInt64? {
    if let bits = hexBits(bytes) { return bits <= maximumUnsigned ? bits : nil }
    var negative = false
    var digits = bytes[...]
    if digits.first == UInt8(ascii: "-") { negative = true; digits = digits.dropFirst() }
    guard !digits.isEmpty else { return nil }
    var magnitude: UInt64 = 0
    for byte in digits {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
        guard !o1, !o2 else { return nil }
        magnitude = sum
    }
    if negative {
        guard magnitude <= UInt64(bitPattern: 0 &- minimum) || (minimum == Int64.min && magnitude == 1 << 63) else {
            return nil
        }
        return 0 &- magnitude
    }
    return magnitude <= maximumUnsigned ? magnitude : nil
}

private func hexBits(_ bytes: [UInt8]) -> UInt64? {
    guard bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "x") || bytes[1] == UInt8(ascii: "X"),
          bytes.count <= 18
    else { return nil }
    var value: UInt64 = 0
    for byte in bytes[2...] {
        let digit: UInt8
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
        default: return nil
        }
        value = value << 4 | UInt64(digit)
    }
    return value
}

/// Decimal floating point: [-]digits[.digits][e[-]digits], inf, nan. Up to 19
/// significant digits are kept (enough for f64 round trips in practice).
private func parseDouble(_ bytes: [UInt8]) -> Double? {
    var rest = bytes[...]
    var negative = false
    if rest.first == UInt8(ascii: "-") || rest.first == UInt8(ascii: "+") {
        negative = rest.first == UInt8(ascii: "-")
        rest = rest.dropFirst()
    }
    if rest.elementsEqual("inf".utf8) || rest.elementsEqual("infinity".utf8) {
        return negative ? -Double.infinity : Double.infinity
    }
    if rest.elementsEqual("nan".utf8) { return negative ? -Double.nan : Double.nan }
    var mantissa: UInt64 = 0
    var exponent = 0
    var digits = 0
    var sawDot = false
    while let byte = rest.first, byte != UInt8(ascii: "e"), byte != UInt8(ascii: "E") {
        rest = rest.dropFirst()
        if byte == UInt8(ascii: ".") {
            guard !sawDot else { return nil }
            sawDot = true
            continue
        }
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        digits += 1
        if mantissa < 1_000_000_000_000_000_000 {
            mantissa = mantissa * 10 + UInt64(byte - UInt8(ascii: "0"))
            if sawDot { exponent -= 1 }
        } else if !sawDot {
            exponent += 1
        }
    }
    guard digits > 0 else { return nil }
    if rest.first != nil {
        rest = rest.dropFirst()
        var exponentNegative = false
        if rest.first == UInt8(ascii: "-") || rest.first == UInt8(ascii: "+") {
            exponentNegative = rest.first == UInt8(ascii: "-")
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty else { return nil }
        var value = 0
        for byte in rest {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = min(value * 10 + Int(byte - UInt8(ascii: "0")), 100_000)
        }
        exponent += exponentNegative ? -value : value
    }
    var result = Double(mantissa)
    var scale = exponent
    while scale > 0 && result.isFinite { result *= 10; scale -= 1 }
    while scale < 0 && result != 0 { result /= 10; scale += 1 }
    return negative ? -result : result
}
