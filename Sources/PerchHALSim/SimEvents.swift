/// Scripted stimuli for a simulated board, written `TARGET=VALUE[@MS]` (`perch run --sim`):
///
///     BUTTON=1@1200            drive line BUTTON high at 1.2 s (0: low, z: let it float)
///     climate.temperature=21.5 set what sensor `climate` measures, at 0 ms
///     temperature.temperature=30@5000
///
/// Quantities: `temperature` (°C), `pressure` (Pa), `humidity` (%RH).
public struct SimEventError: Error, Sendable, Equatable {
    public let event: String
    public let reason: String

    public init(event: String, reason: String) {
        self.event = event
        self.reason = reason
    }

    public var message: String { "--sim '\(event)': \(reason)" }

    /// Byte comparison: String `==` would need Unicode tables in Embedded builds.
    public static func == (lhs: SimEventError, rhs: SimEventError) -> Bool {
        lhs.event.utf8.elementsEqual(rhs.event.utf8) && lhs.reason.utf8.elementsEqual(rhs.reason.utf8)
    }
}

extension SimBoard {
    /// Schedules one event on the board clock.
    public func schedule(event text: String) throws(SimEventError) {
        let bytes = Array(text.utf8)
        func fail(_ reason: String) -> SimEventError { SimEventError(event: text, reason: reason) }
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")), equals > 0 else {
            throw fail("expected TARGET=VALUE[@MS]")
        }
        let target = Array(bytes[..<equals])
        var value = Array(bytes[(equals + 1)...])
        var milliseconds: UInt64 = 0
        if let at = value.firstIndex(of: UInt8(ascii: "@")) {
            guard let time = parseMilliseconds(Array(value[(at + 1)...])) else { throw fail("time after @ is not whole milliseconds") }
            milliseconds = time
            value = Array(value[..<at])
        }
        let targetText = String(decoding: target, as: UTF8.self)
        if let dot = target.firstIndex(of: UInt8(ascii: ".")) {
            let sensor = String(decoding: target[..<dot], as: UTF8.self)
            let quantity = Word(stringBytes: Array(target[(dot + 1)...]))
            guard let number = parseDecimal(value) else { throw fail("'\(String(decoding: value, as: UTF8.self))' is not a number") }
            if let chip = bme280(sensor) {
                if quantity.equals("temperature") {
                    clock.schedule(atMilliseconds: milliseconds) { chip.temperatureCelsius = number }
                } else if quantity.equals("pressure") {
                    clock.schedule(atMilliseconds: milliseconds) { chip.pressurePascals = number }
                } else if quantity.equals("humidity") {
                    clock.schedule(atMilliseconds: milliseconds) { chip.humidityPercent = number }
                } else {
                    throw fail("a bme280 measures temperature, pressure and humidity")
                }
            } else if let chip = tmp102(sensor) {
                guard quantity.equals("temperature") else { throw fail("a tmp102 measures temperature only") }
                clock.schedule(atMilliseconds: milliseconds) { chip.temperatureCelsius = number }
            } else {
                throw fail("the board has no simulated sensor '\(sensor)'")
            }
            return
        }
        guard line(targetText) != nil else { throw fail("the board has no line '\(targetText)'") }
        let level: Bool?
        switch value.count == 1 ? value[0] : 0 {
        case UInt8(ascii: "1"): level = true
        case UInt8(ascii: "0"): level = false
        case UInt8(ascii: "z"): level = nil
        default: throw fail("a line is driven 1, 0 or z (floating)")
        }
        clock.schedule(atMilliseconds: milliseconds) { [self] in drive(targetText, level) }
    }
}

/// Bytes compared with a literal byte by byte (String `==` would need Unicode tables in
/// Embedded builds).
private struct Word {
    let bytes: [UInt8]
    init(stringBytes: [UInt8]) { self.bytes = stringBytes }
    func equals(_ text: StaticString) -> Bool {
        bytes.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

private func parseMilliseconds(_ bytes: [UInt8]) -> UInt64? {
    var digits = bytes
    if digits.count > 2, digits.suffix(2).elementsEqual("ms".utf8) { digits.removeLast(2) }
    guard !digits.isEmpty, digits.count <= 12 else { return nil }
    var value: UInt64 = 0
    for byte in digits {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
    }
    return value
}

/// `-12.5`, `101325`: digits with an optional sign and fraction (no exponent).
private func parseDecimal(_ bytes: [UInt8]) -> Double? {
    var rest = bytes[...]
    var negative = false
    if rest.first == UInt8(ascii: "-") { negative = true; rest = rest.dropFirst() }
    guard !rest.isEmpty, rest.count <= 18 else { return nil }
    var whole: Double = 0
    var scale: Double = 0
    var sawDigit = false
    for byte in rest {
        if byte == UInt8(ascii: ".") {
            guard scale == 0 else { return nil }
            scale = 1
            continue
        }
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        sawDigit = true
        whole = whole * 10 + Double(byte - UInt8(ascii: "0"))
        if scale != 0 { scale *= 10 }
    }
    guard sawDigit else { return nil }
    let value = scale == 0 ? whole : whole / scale
    return negative ? -value : value
}
