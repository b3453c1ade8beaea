import PerchHAL
import PerchHALSim
import PerchDevices
import Testing

private let example = BME280Calibration(
    t1: 27504, t2: 26435, t3: -1000,
    p1: 36477, p2: -10685, p3: 3024, p4: 2855, p5: 140, p6: -7, p7: 15500, p8: -14600, p9: 6000,
    h1: 75, h2: 362, h3: 0, h4: 313, h5: 50, h6: 30)

@Suite struct BME280CompensationTests {
    /// The worked example of the datasheet (BMP280 datasheet section 3.12, the same
    /// temperature and pressure formulas): 25.08 °C, t_fine 128422, 100653 Pa.
    @Test func datasheetExample() {
        let (centiCelsius, tFine) = BME280Compensation.temperature(adc: 519888, example)
        #expect(centiCelsius == 2508)
        #expect(tFine == 128422)
        let pressure = BME280Compensation.pressure(adc: 415148, tFine: tFine, example)
        // The datasheet gives 100653.27 Pa (floating point); the 64-bit integer formula
        // lands within its 1/256 Pa steps of rounding: 25767233 / 256 = 100653.25.
        #expect(pressure == 25767233)
        #expect(abs(Double(pressure) / 256 - 100653.27) < 0.05)
    }

    @Test func pressureWithZeroP1DoesNotDivideByZero() {
        var broken = example
        broken.p1 = 0
        #expect(BME280Compensation.pressure(adc: 415148, tFine: 128422, broken) == 0)
    }

    @Test func humidityIsClampedToItsRange() {
        #expect(BME280Compensation.humidity(adc: 0, tFine: 128422, example) == 0)
        #expect(BME280Compensation.humidity(adc: 0xFFFF, tFine: 128422, example) == 100 << 10)
    }

    @Test func garbageCalibrationNeverTraps() {
        let garbage = BME280Calibration(
            t1: 0xFFFF, t2: .min, t3: .max, p1: 0xFFFF, p2: .min, p3: .max, p4: .min, p5: .max,
            p6: .min, p7: .max, p8: .min, p9: .max, h1: 0xFF, h2: .min, h3: 0xFF, h4: .max, h5: .min, h6: .min)
        for adc: Int32 in [0, 1, 0x7FFFF, 0xFFFFF] {
            let (_, tFine) = BME280Compensation.temperature(adc: adc, garbage)
            _ = BME280Compensation.pressure(adc: adc, tFine: tFine, garbage)
            let h = BME280Compensation.humidity(adc: adc & 0xFFFF, tFine: tFine, garbage)
            #expect(h <= 100 << 10)
        }
    }
}

@Suite struct TMP102ConversionTests {
    /// Datasheet table 5 (12-bit) and table 4's 150 °C (13-bit extended mode).
    @Test(arguments: [
        (UInt16(0x7FF0), Int64(127937)), (0x6400, 100000), (0x5000, 80000), (0x4B00, 75000),
        (0x3200, 50000), (0x1900, 25000), (0x0040, 250), (0x0000, 0),
        (0xFFC0, -250), (0xE700, -25000), (0xC900, -55000), (0x4B01, 150000),
    ])
    func datasheetTable(register: UInt16, milliCelsius: Int64) {
        #expect(TMP102Driver.milliCelsius(register: register) == milliCelsius)
    }
}

/// A chip that answers 0x58 at 0xD0: a BMP280 where the board promised a BME280.
private final class BMP280Impostor: SimI2CDevice {
    private var pointer: UInt8 = 0
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let first = bytes.first { pointer = first }
        return true
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) {
        for i in 0..<buffer.count { buffer[i] = pointer == 0xD0 ? 0x58 : 0 }
    }
    func stop() {}
}

@Suite struct DriverOnSimulatedChipTests {
    /// The sim makes raw values with the datasheet's floating-point formulas; the driver
    /// turns them back with the integer ones. They must agree within the output resolution.
    @Test(arguments: [
        (-20.0, 30_000.0, 0.0), (0.0, 80_000.0, 12.5), (21.37, 101_325.0, 45.5),
        (25.08, 100_653.0, 60.0), (40.0, 110_000.0, 99.9), (60.0, 95_000.0, 100.0),
    ])
    func bme280RoundTrip(celsius: Double, pascals: Double, percent: Double) throws {
        let board = SimBoard()
        board.bme280.temperatureCelsius = celsius
        board.bme280.pressurePascals = pascals
        board.bme280.humidityPercent = percent
        let driver = BME280Driver(bus: board.bus, address: 0x76)
        try driver.start()
        #expect(driver.calibration == example)
        let temperature = try driver.read(.temperature)
        let pressure = try driver.read(.pressure)
        let humidity = try driver.read(.humidity)
        #expect(abs(temperature - Int64((celsius * 1000).rounded())) <= 10)
        #expect(abs(pressure - Int64(pascals.rounded())) <= 2)
        #expect(abs(humidity - Int64((percent * 1000).rounded())) <= 50)
    }

    @Test func bme280RejectsAnotherChip() {
        let bus = SimI2CBus()
        bus.attach(BMP280Impostor(), at: 0x76)
        let driver = BME280Driver(bus: bus, address: 0x76)
        #expect(throws: SensorError.wrongChip(id: 0x58)) { try driver.start() }
        #expect(throws: SensorError.notReady) { try driver.read(.temperature) }
    }

    @Test func bme280ReportsBusFaults() throws {
        let board = SimBoard()
        let driver = BME280Driver(bus: board.bus, address: 0x76)
        board.bus.injectFault(.noAcknowledge(.address))
        #expect(throws: SensorError.bus(.noAcknowledge(.address))) { try driver.start() }
        try driver.start()
        board.bus.injectFault(.timeout)
        #expect(throws: SensorError.bus(.timeout)) { try driver.read(.pressure) }
    }

    @Test func tmp102ReadsTheSetTemperature() throws {
        let board = SimBoard()
        board.tmp102.temperatureCelsius = -12.5
        let driver = TMP102Driver(bus: board.bus, address: 0x48)
        try driver.start()
        #expect(try driver.read(.temperature) == -12500)
        #expect(throws: SensorError.unsupportedChannel) { try driver.read(.humidity) }
        let missing = TMP102Driver(bus: board.bus, address: 0x49)
        #expect(throws: SensorError.bus(.noAcknowledge(.address))) { try missing.start() }
    }
}
