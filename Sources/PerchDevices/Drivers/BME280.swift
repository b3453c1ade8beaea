import PerchHAL

/// The datasheet's integer compensation (section 4.2.3). Arithmetic wraps instead of
/// trapping, so calibration words from a faulty chip give wrong numbers, never a crash.
public enum BME280Compensation {
    /// Temperature in 0.01 °C, and `t_fine`, which pressure and humidity need.
    public static func temperature(adc: Int32, _ c: BME280Calibration) -> (centiCelsius: Int32, tFine: Int32) {
        let t1 = Int32(c.t1), t2 = Int32(c.t2), t3 = Int32(c.t3)
        let var1 = (((adc >> 3) &- (t1 << 1)) &* t2) >> 11
        let delta = (adc >> 4) &- t1
        let var2 = (((delta &* delta) >> 12) &* t3) >> 14
        let tFine = var1 &+ var2
        return ((tFine &* 5 &+ 128) >> 8, tFine)
    }

    /// Pressure in Pa as Q24.8 (divide by 256 for Pa); 0 when the calibration makes the
    /// formula divide by zero.
    public static func pressure(adc: Int32, tFine: Int32, _ c: BME280Calibration) -> UInt32 {
        var var1 = Int64(tFine) &- 128000
        var var2 = var1 &* var1 &* Int64(c.p6)
        var2 = var2 &+ ((var1 &* Int64(c.p5)) << 17)
        var2 = var2 &+ (Int64(c.p4) << 35)
        var1 = ((var1 &* var1 &* Int64(c.p3)) >> 8) &+ ((var1 &* Int64(c.p2)) << 12)
        var1 = (((Int64(1) << 47) &+ var1) &* Int64(c.p1)) >> 33
        if var1 == 0 { return 0 }
        var p = 1_048_576 &- Int64(adc)
        let (quotient, overflow) = (((p << 31) &- var2) &* 3125).dividedReportingOverflow(by: var1)
        if overflow { return 0 }
        p = quotient
        var1 = (Int64(c.p9) &* (p >> 13) &* (p >> 13)) >> 25
        var2 = (Int64(c.p8) &* p) >> 19
        p = ((p &+ var1 &+ var2) >> 8) &+ (Int64(c.p7) << 4)
        return UInt32(truncatingIfNeeded: p)
    }

    /// Relative humidity in %RH as Q22.10 (divide by 1024 for %RH), clamped to 0–100 %.
    public static func humidity(adc: Int32, tFine: Int32, _ c: BME280Calibration) -> UInt32 {
        var x = tFine &- 76800
        let scaled = (((adc << 14) &- (Int32(c.h4) << 20) &- (Int32(c.h5) &* x)) &+ 16384) >> 15
        let inner = (((x &* Int32(c.h6)) >> 10) &* (((x &* Int32(c.h3)) >> 11) &+ 32768)) >> 10
        x = scaled &* (((inner &+ 2_097_152) &* Int32(c.h2) &+ 8192) >> 14)
        x = x &- (((((x >> 15) &* (x >> 15)) >> 7) &* Int32(c.h1)) >> 4)
        x = max(0, min(x, 419_430_400))
        return UInt32(x >> 12)
    }
}

/// Bosch BME280 over I2C: temperature, pressure, humidity. Runs the chip in normal mode
/// (oversampling ×1, 0.5 ms standby, no filter) so a read is one burst of the data
/// registers, never a wait.
public final class BME280Driver: SensorDriver {
    public static let chipID: UInt8 = 0x60
    public var channelMask: UInt32 { SensorChannel.temperature.bit | SensorChannel.pressure.bit | SensorChannel.humidity.bit }

    private let registers: I2CRegisters
    public private(set) var calibration: BME280Calibration? = nil

    public init(bus: any I2CBus, address: UInt8) {
        self.registers = I2CRegisters(bus: bus, address: address)
    }

    public func start() throws(SensorError) {
        do throws(I2CError) {
            try registers.read(0xD0, count: 1)
        } catch {
            throw SensorError.bus(error)
        }
        let id = registers.byte(0)
        guard id == Self.chipID else { throw SensorError.wrongChip(id: id) }
        do throws(I2CError) {
            calibration = try readCalibration()
            try registers.write(0xF2, 0x01)  // ctrl_hum: humidity ×1 (applies at the ctrl_meas write)
            try registers.write(0xF5, 0x00)  // config: 0.5 ms standby, filter off
            try registers.write(0xF4, 0x27)  // ctrl_meas: temperature ×1, pressure ×1, normal mode
        } catch {
            throw SensorError.bus(error)
        }
    }

    private func readCalibration() throws(I2CError) -> BME280Calibration {
        let r = registers
        try r.read(0x88, count: 26)
        var c = BME280Calibration(
            t1: r.word(0), t2: Int16(bitPattern: r.word(2)), t3: Int16(bitPattern: r.word(4)),
            p1: r.word(6), p2: Int16(bitPattern: r.word(8)), p3: Int16(bitPattern: r.word(10)),
            p4: Int16(bitPattern: r.word(12)), p5: Int16(bitPattern: r.word(14)),
            p6: Int16(bitPattern: r.word(16)), p7: Int16(bitPattern: r.word(18)),
            p8: Int16(bitPattern: r.word(20)), p9: Int16(bitPattern: r.word(22)),
            h1: r.byte(25), h2: 0, h3: 0, h4: 0, h5: 0, h6: 0)
        try r.read(0xE1, count: 7)
        c.h2 = Int16(bitPattern: r.word(0))
        c.h3 = r.byte(2)
        // H4 and H5 are 12-bit signed values sharing register 0xE5.
        c.h4 = Int16(Int8(bitPattern: r.byte(3))) << 4 | Int16(r.byte(4) & 0x0F)
        c.h5 = Int16(Int8(bitPattern: r.byte(5))) << 4 | Int16(r.byte(4) >> 4)
        c.h6 = Int8(bitPattern: r.byte(6))
        return c
    }

    public func read(_ channel: SensorChannel) throws(SensorError) -> Int64 {
        guard let calibration else { throw SensorError.notReady }
        do throws(I2CError) {
            try registers.read(0xF7, count: 8)
        } catch {
            throw SensorError.bus(error)
        }
        let r = registers
        let adcP = Int32(r.byte(0)) << 12 | Int32(r.byte(1)) << 4 | Int32(r.byte(2)) >> 4
        let adcT = Int32(r.byte(3)) << 12 | Int32(r.byte(4)) << 4 | Int32(r.byte(5)) >> 4
        let adcH = Int32(r.byte(6)) << 8 | Int32(r.byte(7))
        // 0x80000 / 0x8000 are the reset values: nothing measured yet.
        guard adcT != 0x80000 else { throw SensorError.notReady }
        let (centiCelsius, tFine) = BME280Compensation.temperature(adc: adcT, calibration)
        switch channel {
        case .temperature:
            return Int64(centiCelsius) * 10
        case .pressure:
            guard adcP != 0x80000 else { throw SensorError.notReady }
            let q24_8 = BME280Compensation.pressure(adc: adcP, tFine: tFine, calibration)
            return Int64((q24_8 &+ 128) >> 8)
        case .humidity:
            guard adcH != 0x8000 else { throw SensorError.notReady }
            let q22_10 = BME280Compensation.humidity(adc: adcH, tFine: tFine, calibration)
            return (Int64(q22_10) * 1000 + 512) >> 10
        }
    }
}
