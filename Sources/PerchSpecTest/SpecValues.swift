/// A value in a spec script (`args` of an action, or an exact expected result). Floats
/// are bit patterns, as `wast2json` writes them, so NaN payloads and -0 are exact.
public enum SpecValue: Equatable {
    case i32(UInt32)
    case i64(UInt64)
    case f32(UInt32)
    case f64(UInt64)
    /// Low and high 64 bits (lane 0 in the low bits).
    case v128(low: UInt64, high: UInt64)
    /// `nil` is the null reference (scripts only pass null funcrefs).
    case funcref(UInt64?)
    /// `nil` is null; otherwise the host value the script names (`ref.extern N`).
    case externref(UInt64?)
}

/// What one lane of an expected `v128` must be.
public enum SpecLaneExpectation: Equatable {
    case bits(UInt64)
    case canonicalNaN
    case arithmeticNaN
}

/// An expected result of `assert_return` (or, type only, of `assert_trap`).
public enum SpecExpectation: Equatable {
    case exact(SpecValue)
    /// `nan:canonical` / `nan:arithmetic` of an f32 or f64 (`bits` is 32 or 64).
    case canonicalNaN(bits: Int)
    case arithmeticNaN(bits: Int)
    /// A `v128` compared lane by lane; `laneBits` is 8, 16, 32 or 64, `isFloat` for f32/f64
    /// lanes (which may expect NaNs).
    case lanes(laneBits: Int, isFloat: Bool, [SpecLaneExpectation])
    /// Only a type is given (`{"type": "i32"}`): any value of that type.
    case anyValue(type: String)

    /// Whether `actual` satisfies the expectation (spec 7 test-suite rules for NaNs: a
    /// canonical NaN has only the top mantissa bit set; an arithmetic NaN has it set).
    public func isMatched(by actual: SpecValue) -> Bool {
        switch self {
        case .exact(let expected):
            return expected == actual
        case .canonicalNaN(let bits), .arithmeticNaN(let bits):
            let canonical: Bool
            if case .canonicalNaN = self { canonical = true } else { canonical = false }
            switch (bits, actual) {
            case (32, .f32(let value)): return isNaN(UInt64(value), bits: 32, canonical: canonical)
            case (64, .f64(let value)): return isNaN(value, bits: 64, canonical: canonical)
            default: return false
            }
        case .lanes(let laneBits, let isFloat, let expectations):
            guard case .v128(let low, let high) = actual, laneBits > 0, expectations.count == 128 / laneBits else {
                return false
            }
            let mask: UInt64 = laneBits == 64 ? ~0 : (1 << UInt64(laneBits)) - 1
            for (index, expectation) in expectations.enumerated() {
                let bitOffset = index * laneBits
                let word = bitOffset < 64 ? low : high
                let lane = (word >> UInt64(bitOffset % 64)) & mask
                switch expectation {
                case .bits(let bits):
                    if lane != bits & mask { return false }
                case .canonicalNaN, .arithmeticNaN:
                    guard isFloat, isNaN(lane, bits: laneBits, canonical: expectation == .canonicalNaN) else {
                        return false
                    }
                }
            }
            return true
        case .anyValue(let type):
            switch actual {
            case .i32: return same(type, "i32")
            case .i64: return same(type, "i64")
            case .f32: return same(type, "f32")
            case .f64: return same(type, "f64")
            case .v128: return same(type, "v128")
            case .funcref: return same(type, "funcref")
            case .externref: return same(type, "externref")
            }
        }
    }
}

private func isNaN(_ value: UInt64, bits: Int, canonical: Bool) -> Bool {
    let mantissaBits: UInt64 = bits == 32 ? 23 : 52
    let exponentMask: UInt64 = (bits == 32 ? 0xFF : 0x7FF) << mantissaBits
    let quietBit: UInt64 = 1 << (mantissaBits - 1)
    let mantissa = value & ((1 << mantissaBits) - 1)
    guard value & exponentMask == exponentMask, mantissa != 0 else { return false }
    return canonical ? mantissa == quietBit : mantissa & quietBit != 0
}

/// `invoke` or `get` of an export, as in `assert_return`, `assert_trap` and `action`.
public struct SpecAction {
    public enum Kind { case invoke, get }
    public let kind: Kind
    /// The registered or `$name`d module, nil for the most recent one.
    public let module: String?
    public let field: String
    public let arguments: [SpecValue]
}

public struct SpecParseError: Error {
    public let what: String
}

extension SpecCommand {
    /// The command's `action`.
    public func action() throws(SpecParseError) -> SpecAction {
        guard let action = json["action"], let type = action["type"]?.string, let field = action["field"]?.string else {
            throw SpecParseError(what: "no action")
        }
        let kind: SpecAction.Kind
        if same(type, "invoke") {
            kind = .invoke
        } else if same(type, "get") {
            kind = .get
        } else {
            throw SpecParseError(what: "unknown action \(type)")
        }
        var arguments: [SpecValue] = []
        for argument in action["args"]?.array ?? [] {
            guard case .exact(let value) = try parseExpectation(argument) else {
                throw SpecParseError(what: "argument is not a plain value")
            }
            arguments.append(value)
        }
        return SpecAction(kind: kind, module: action["module"]?.string, field: field, arguments: arguments)
    }

    /// The command's `expected` results.
    public func expectations() throws(SpecParseError) -> [SpecExpectation] {
        var result: [SpecExpectation] = []
        for value in json["expected"]?.array ?? [] {
            result.append(try parseExpectation(value))
        }
        return result
    }
}

/// Parses one `{"type": ..., "value": ...}` object.
public func parseExpectation(_ json: JSONValue) throws(SpecParseError) -> SpecExpectation {
    guard let type = json["type"]?.string else { throw SpecParseError(what: "value without type") }
    guard let value = json["value"] else { return .anyValue(type: type) }
    if same(type, "v128") {
        guard let laneType = json["lane_type"]?.string, let lanes = value.array else {
            throw SpecParseError(what: "v128 without lanes")
        }
        let laneBits: Int
        if same(laneType, "i8") {
            laneBits = 8
        } else if same(laneType, "i16") {
            laneBits = 16
        } else if same(laneType, "i32") || same(laneType, "f32") {
            laneBits = 32
        } else if same(laneType, "i64") || same(laneType, "f64") {
            laneBits = 64
        } else {
            throw SpecParseError(what: "unknown lane type \(laneType)")
        }
        guard lanes.count == 128 / laneBits else { throw SpecParseError(what: "wrong lane count") }
        var expectations: [SpecLaneExpectation] = []
        var exact = true
        var low: UInt64 = 0
        var high: UInt64 = 0
        let mask: UInt64 = laneBits == 64 ? ~0 : (1 << UInt64(laneBits)) - 1
        for (index, lane) in lanes.enumerated() {
            guard let text = lane.string else { throw SpecParseError(what: "lane is not a string") }
            if same(text, "nan:canonical") {
                expectations.append(.canonicalNaN)
                exact = false
                continue
            }
            if same(text, "nan:arithmetic") {
                expectations.append(.arithmeticNaN)
                exact = false
                continue
            }
            let bits = try parseInteger(text) & mask
            expectations.append(.bits(bits))
            let bitOffset = index * laneBits
            if bitOffset < 64 { low |= bits << UInt64(bitOffset) } else { high |= bits << UInt64(bitOffset - 64) }
        }
        return exact ? .exact(.v128(low: low, high: high))
            : .lanes(laneBits: laneBits, isFloat: laneType.utf8.first == UInt8(ascii: "f"), expectations)
    }
    guard let text = value.string else { throw SpecParseError(what: "value is not a string") }
    if same(type, "i32") { return .exact(.i32(UInt32(truncatingIfNeeded: try parseInteger(text)))) }
    if same(type, "i64") { return .exact(.i64(try parseInteger(text))) }
    if same(type, "f32") || same(type, "f64") {
        let bits = same(type, "f32") ? 32 : 64
        if same(text, "nan:canonical") { return .canonicalNaN(bits: bits) }
        if same(text, "nan:arithmetic") { return .arithmeticNaN(bits: bits) }
        let pattern = try parseInteger(text)
        return .exact(bits == 32 ? .f32(UInt32(truncatingIfNeeded: pattern)) : .f64(pattern))
    }
    if same(type, "funcref") { return .exact(.funcref(same(text, "null") ? nil : try parseInteger(text))) }
    if same(type, "externref") { return .exact(.externref(same(text, "null") ? nil : try parseInteger(text))) }
    throw SpecParseError(what: "unknown value type \(type)")
}

/// A decimal integer, optionally negative (taken as two's complement), as 64 bits.
func parseInteger(_ text: String) throws(SpecParseError) -> UInt64 {
    var negative = false
    var value: UInt64 = 0
    var digits = 0
    for byte in text.utf8 {
        if byte == UInt8(ascii: "-") && digits == 0 && !negative {
            negative = true
            continue
        }
        guard byte >= 0x30 && byte <= 0x39 else { throw SpecParseError(what: "not a number: \(text)") }
        let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- 0x30))
        guard !overflow1, !overflow2 else { throw SpecParseError(what: "number too large: \(text)") }
        value = sum
        digits += 1
    }
    guard digits > 0 else { throw SpecParseError(what: "not a number: \(text)") }
    return negative ? 0 &- value : value
}

/// Byte equality: `String ==` would pull Unicode tables into Embedded builds.
func same(_ text: String, _ literal: StaticString) -> Bool {
    text.utf8.elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
}
