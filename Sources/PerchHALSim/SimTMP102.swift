/// A simulated TI TMP102 (datasheet SBOS397) on a simulated bus.
///
/// A pointer register selects temperature (0x00, read-only), configuration (0x01),
/// T_low (0x02) or T_high (0x03). A one-byte write sets the pointer; a three-byte write
/// sets the pointer and writes the register MSB first; reads return the selected
/// register MSB first. Temperature is 12-bit two's complement at 0.0625 °C left-aligned
/// in 16 bits, or 13-bit with bit 0 set in extended mode (EM, config bit 4). Comparator
/// mode drives the AL bit (config bit 5): active (= POL) from T ≥ T_high until T < T_low.
/// Shutdown (SD) freezes the temperature register until a one-shot (OS) write.
public final class SimTMP102: SimI2CDevice {
    public var temperatureCelsius: Double = 20

    private var pointer: UInt8 = 0
    private var temperatureRegister: UInt16 = 0
    private var config: UInt16 = 0x60A0
    private var lowLimit: UInt16 = 0x4B00   // 75 °C
    private var highLimit: UInt16 = 0x5000  // 80 °C
    private var alertActive = false

    public init() {}

    public var configuration: UInt16 { config }

    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 1, bytes[0] <= 0x03 else { return false }
        pointer = bytes[0]
        guard bytes.count >= 3 else { return bytes.count == 1 }
        let value = UInt16(bytes[1]) << 8 | UInt16(bytes[2])
        switch pointer {
        case 0x01:
            // R1/R0 (resolution) and AL are read-only; OS only means something in shutdown.
            let shutdown = value & 0x0100 != 0
            if shutdown && value & 0x8000 != 0 { convert() }
            config = (value & 0x1FD0) | 0x6000 | (config & 0x0020)
        case 0x02: lowLimit = value & 0xFFF0
        case 0x03: highLimit = value & 0xFFF0
        default: return false  // temperature is read-only
        }
        updateAlert()
        return true
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) {
        if config & 0x0100 == 0 { convert() }
        let value: UInt16
        switch pointer {
        case 0x00: value = temperatureRegister
        case 0x01: value = config
        case 0x02: value = lowLimit
        default: value = highLimit
        }
        for index in 0..<buffer.count {
            buffer[index] = index % 2 == 0 ? UInt8(truncatingIfNeeded: value >> 8) : UInt8(truncatingIfNeeded: value)
        }
    }

    public func stop() {}

    private var extended: Bool { config & 0x0010 != 0 }

    private func convert() {
        let steps = (temperatureCelsius * 16).rounded()
        if extended {
            let clamped = Int16(max(-4096, min(4095, steps)))
            temperatureRegister = UInt16(bitPattern: clamped << 3) | 1
        } else {
            let clamped = Int16(max(-2048, min(2047, steps)))
            temperatureRegister = UInt16(bitPattern: clamped << 4)
        }
        updateAlert()
    }

    /// Comparator/interrupt alert with a fault queue of one: compares in 12-bit steps.
    private func updateAlert() {
        let current = Int16(bitPattern: temperatureRegister) >> (extended ? 3 : 4)
        let high = Int16(bitPattern: highLimit) >> (extended ? 3 : 4)
        let low = Int16(bitPattern: lowLimit) >> (extended ? 3 : 4)
        if current >= high { alertActive = true } else if current < low { alertActive = false }
        let polarityHigh = config & 0x0400 != 0
        let alBit = alertActive == polarityHigh
        config = alBit ? config | 0x0020 : config & ~0x0020
    }
}
