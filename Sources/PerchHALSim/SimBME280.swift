import PerchHAL

/// A simulated Bosch BME280 (datasheet BST-BME280-DS002) on a simulated bus.
///
/// Registers behave like the chip's: chip id 0x60 at 0xD0, soft reset (0xB6 to 0xE0),
/// calibration words at 0x88–0xA1 and 0xE1–0xE7, ctrl_hum (0xF2, effective at the next
/// ctrl_meas write), status (0xF3), ctrl_meas (0xF4: oversampling and mode), config
/// (0xF5), and the raw ADC registers 0xF7–0xFE. Writes are register/value pairs; reads
/// auto-increment from the register pointer. A forced-mode write measures once and returns
/// to sleep; in normal mode every read of the data registers sees a fresh measurement;
/// a channel whose oversampling is 0 (skipped) reads 0x80000 (0x8000 for humidity).
///
/// The raw values are found by searching the ADC range with the datasheet's
/// floating-point compensation (section 8.1), not the integer formulas the driver uses,
/// so a driver mistake cannot cancel out against the same mistake here.
public final class SimBME280: SimI2CDevice {
    public static let chipID: UInt8 = 0x60

    /// What the simulated environment measures.
    public var temperatureCelsius: Double = 20
    public var pressurePascals: Double = 101_325
    public var humidityPercent: Double = 40

    public let calibration: BME280Calibration
    private var registers = InlineArray<256, UInt8>(repeating: 0)
    private var pointer: UInt8 = 0
    private var pendingHumidityOversampling: UInt8 = 0
    /// Measurements made (forced triggers and normal-mode refreshes), for tests.
    public private(set) var measurementCount = 0

    public init(calibration: BME280Calibration = .datasheetExample) {
        self.calibration = calibration
        reset()
    }

    /// The raw ADC values last latched into 0xF7–0xFE.
    public var rawPressure: UInt32 { UInt32(registers[0xF7]) << 12 | UInt32(registers[0xF8]) << 4 | UInt32(registers[0xF9]) >> 4 }
    public var rawTemperature: UInt32 { UInt32(registers[0xFA]) << 12 | UInt32(registers[0xFB]) << 4 | UInt32(registers[0xFC]) >> 4 }
    public var rawHumidity: UInt32 { UInt32(registers[0xFD]) << 8 | UInt32(registers[0xFE]) }

    // MARK: SimI2CDevice

    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index < bytes.count {
            let register = bytes[index]
            pointer = register
            if index + 1 < bytes.count { writeRegister(register, bytes[index + 1]) }
            index += 2
        }
        return true
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) {
        if pointer >= 0xF7 && pointer <= 0xFE && registers[0xF4] & 0x03 == 0x03 { measure() }
        for index in 0..<buffer.count {
            buffer[index] = registers[Int(pointer)]
            if pointer < 0xFF { pointer += 1 }
        }
    }

    public func stop() {}

    // MARK: Registers

    private func writeRegister(_ register: UInt8, _ value: UInt8) {
        switch register {
        case 0xE0:
            if value == 0xB6 { reset() }
        case 0xF2:
            pendingHumidityOversampling = value & 0x07
            registers[0xF2] = value & 0x07
        case 0xF4:
            registers[0xF4] = value
            let mode = value & 0x03
            if mode == 0x01 || mode == 0x02 {
                measure()
                registers[0xF4] = value & 0xFC
            }
        case 0xF5:
            registers[0xF5] = value & 0xFD
        default:
            break  // read-only
        }
    }

    private func reset() {
        registers = InlineArray(repeating: 0)
        registers[0xD0] = Self.chipID
        let c = calibration
        store16(0x88, c.t1); store16(0x8A, UInt16(bitPattern: c.t2)); store16(0x8C, UInt16(bitPattern: c.t3))
        store16(0x8E, c.p1)
        let p: [Int16] = [c.p2, c.p3, c.p4, c.p5, c.p6, c.p7, c.p8, c.p9]
        for (i, word) in p.enumerated() { store16(0x90 + 2 * i, UInt16(bitPattern: word)) }
        registers[0xA1] = c.h1
        store16(0xE1, UInt16(bitPattern: c.h2))
        registers[0xE3] = c.h3
        let h4 = UInt16(bitPattern: c.h4), h5 = UInt16(bitPattern: c.h5)
        registers[0xE4] = UInt8(truncatingIfNeeded: h4 >> 4)
        registers[0xE5] = UInt8(truncatingIfNeeded: h4 & 0x0F) | UInt8(truncatingIfNeeded: (h5 & 0x0F) << 4)
        registers[0xE6] = UInt8(truncatingIfNeeded: h5 >> 4)
        registers[0xE7] = UInt8(bitPattern: c.h6)
        setRaw(pressure: 0x80000, temperature: 0x80000, humidity: 0x8000)
        pendingHumidityOversampling = 0
        pointer = 0
    }

    private func store16(_ register: Int, _ value: UInt16) {
        registers[register] = UInt8(truncatingIfNeeded: value)
        registers[register + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    private func setRaw(pressure: UInt32, temperature: UInt32, humidity: UInt32) {
        registers[0xF7] = UInt8(truncatingIfNeeded: pressure >> 12)
        registers[0xF8] = UInt8(truncatingIfNeeded: pressure >> 4)
        registers[0xF9] = UInt8(truncatingIfNeeded: pressure << 4)
        registers[0xFA] = UInt8(truncatingIfNeeded: temperature >> 12)
        registers[0xFB] = UInt8(truncatingIfNeeded: temperature >> 4)
        registers[0xFC] = UInt8(truncatingIfNeeded: temperature << 4)
        registers[0xFD] = UInt8(truncatingIfNeeded: humidity >> 8)
        registers[0xFE] = UInt8(truncatingIfNeeded: humidity)
    }

    /// Latches a measurement of the current environment into the data registers.
    private func measure() {
        measurementCount &+= 1
        let control = registers[0xF4]
        let temperatureOn = control >> 5 != 0
        let pressureOn = (control >> 2) & 0x07 != 0
        let humidityOn = pendingHumidityOversampling != 0
        let adcT = searchADC(bits: 20, increasing: true, target: temperatureCelsius) { self.temperature(adcT: $0).celsius }
        let tFine = temperature(adcT: adcT).tFine
        let adcP = searchADC(bits: 20, increasing: false, target: pressurePascals) { self.pressure(adcP: $0, tFine: tFine) }
        let adcH = searchADC(bits: 16, increasing: true, target: humidityPercent) { self.humidity(adcH: $0, tFine: tFine) }
        setRaw(
            pressure: temperatureOn && pressureOn ? adcP : 0x80000,
            temperature: temperatureOn ? adcT : 0x80000,
            humidity: temperatureOn && humidityOn ? adcH : 0x8000)
    }

    /// The raw value whose compensated reading is nearest `target` (readings move
    /// monotonically with the raw value over the range the chip reports).
    private func searchADC(
        bits: Int, increasing: Bool, target: Double, _ reading: (UInt32) -> Double
    ) -> UInt32 {
        var low: UInt32 = 0
        var high: UInt32 = (1 << UInt32(bits)) - 1
        while low < high {
            let middle = low + (high - low) / 2
            let below = increasing ? reading(middle) < target : reading(middle) > target
            if below { low = middle + 1 } else { high = middle }
        }
        if low > 0 {
            let previous = low - 1
            if abs(reading(previous) - target) <= abs(reading(low) - target) { return previous }
        }
        return low
    }

    // Datasheet section 8.1, floating-point compensation.

    private func temperature(adcT: UInt32) -> (celsius: Double, tFine: Double) {
        let c = calibration
        let adc = Double(adcT)
        let var1 = (adc / 16384.0 - Double(c.t1) / 1024.0) * Double(c.t2)
        let delta = adc / 131072.0 - Double(c.t1) / 8192.0
        let var2 = delta * delta * Double(c.t3)
        let tFine = var1 + var2
        return (tFine / 5120.0, tFine)
    }

    private func pressure(adcP: UInt32, tFine: Double) -> Double {
        let c = calibration
        var var1 = tFine / 2.0 - 64000.0
        var var2 = var1 * var1 * Double(c.p6) / 32768.0
        var2 = var2 + var1 * Double(c.p5) * 2.0
        var2 = var2 / 4.0 + Double(c.p4) * 65536.0
        var1 = (Double(c.p3) * var1 * var1 / 524288.0 + Double(c.p2) * var1) / 524288.0
        var1 = (1.0 + var1 / 32768.0) * Double(c.p1)
        if var1 == 0 { return 0 }
        var p = 1048576.0 - Double(adcP)
        p = (p - var2 / 4096.0) * 6250.0 / var1
        var1 = Double(c.p9) * p * p / 2147483648.0
        var2 = p * Double(c.p8) / 32768.0
        return p + (var1 + var2 + Double(c.p7)) / 16.0
    }

    private func humidity(adcH: UInt32, tFine: Double) -> Double {
        let c = calibration
        var h = tFine - 76800.0
        h = (Double(adcH) - (Double(c.h4) * 64.0 + Double(c.h5) / 16384.0 * h))
            * (Double(c.h2) / 65536.0 * (1.0 + Double(c.h6) / 67108864.0 * h * (1.0 + Double(c.h3) / 67108864.0 * h)))
        return h * (1.0 - Double(c.h1) * h / 524288.0)
    }
}

extension BME280Calibration {
    /// Temperature and pressure words from the datasheet's worked example (BMP280
    /// datasheet 3.12, same formulas), humidity words typical of production parts.
    public static let datasheetExample = BME280Calibration(
        t1: 27504, t2: 26435, t3: -1000,
        p1: 36477, p2: -10685, p3: 3024, p4: 2855, p5: 140, p6: -7, p7: 15500, p8: -14600, p9: 6000,
        h1: 75, h2: 362, h3: 0, h4: 313, h5: 50, h6: 30)
}
