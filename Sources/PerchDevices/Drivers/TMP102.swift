import PerchHAL

/// TI TMP102 over I2C: temperature only. The chip has no id register; `start` checks the
/// configuration register's read-only resolution bits (R1 R0 = 11) instead.
public final class TMP102Driver: SensorDriver {
    public var channelMask: UInt32 { SensorChannel.temperature.bit }

    private let registers: I2CRegisters

    public init(bus: any I2CBus, address: UInt8) {
        self.registers = I2CRegisters(bus: bus, address: address)
    }

    /// milli-°C from the temperature register as read (MSB first): 12-bit two's
    /// complement in 1/16 °C, left-aligned; 13-bit when bit 0 (extended mode) is set.
    public static func milliCelsius(register: UInt16) -> Int64 {
        let signed = Int16(bitPattern: register)
        let sixteenths = register & 1 == 1 ? signed >> 3 : signed >> 4
        return Int64(sixteenths) * 1000 / 16
    }

    public func start() throws(SensorError) {
        do throws(I2CError) {
            try registers.read(0x01, count: 2)
        } catch {
            throw SensorError.bus(error)
        }
        let high = registers.byte(0)
        guard high & 0x60 == 0x60 else { throw SensorError.wrongChip(id: high) }
    }

    public func read(_ channel: SensorChannel) throws(SensorError) -> Int64 {
        guard channel == .temperature else { throw SensorError.unsupportedChannel }
        do throws(I2CError) {
            try registers.read(0x00, count: 2)
        } catch {
            throw SensorError.bus(error)
        }
        return Self.milliCelsius(register: UInt16(registers.byte(0)) << 8 | UInt16(registers.byte(1)))
    }
}
