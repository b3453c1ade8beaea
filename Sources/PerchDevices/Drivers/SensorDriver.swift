import PerchHAL

/// A quantity a sensor reports, in fixed-point SI-derived units.
public enum SensorChannel: UInt32, Sendable {
    /// milli-degrees Celsius
    case temperature = 0
    /// pascals
    case pressure = 1
    /// milli-percent relative humidity (45.5 %RH = 45500)
    case humidity = 2

    public var bit: UInt32 { 1 << rawValue }
}

public enum SensorError: Error, Sendable, Equatable {
    case bus(I2CError)
    /// The chip answered but is not the expected kind (its id register, or a fixed bit pattern).
    case wrongChip(id: UInt8)
    /// No measurement is available yet.
    case notReady
    case unsupportedChannel
}

/// A chip driver on the I2C layer. Drivers are made at start-up and keep every buffer
/// they need, so reading allocates nothing.
public protocol SensorDriver: AnyObject {
    /// `SensorChannel.bit`s this chip measures.
    var channelMask: UInt32 { get }
    /// Checks the chip is there and is what it should be, and starts measuring.
    func start() throws(SensorError)
    func read(_ channel: SensorChannel) throws(SensorError) -> Int64
}

/// Register access to one chip: a write of the register number, a repeated start, then
/// the read, in one transfer. Buffers are fixed arrays made once.
final class I2CRegisters {
    let bus: any I2CBus
    let address: UInt8
    private var messages: [I2CMessage]
    private var data: [UInt8]

    static let maxRead = 32

    init(bus: any I2CBus, address: UInt8) {
        self.bus = bus
        self.address = address
        let empty = I2CMessage(address: address, isRead: false, buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0))
        self.messages = [empty, empty]
        self.data = Array(repeating: 0, count: Self.maxRead)
    }

    /// Byte `index` of the last `read`.
    func byte(_ index: Int) -> UInt8 { data[index] }

    /// Little-endian 16-bit word at `index` of the last `read`.
    func word(_ index: Int) -> UInt16 { UInt16(data[index]) | UInt16(data[index + 1]) << 8 }

    /// Reads `count` (≤ `maxRead`) registers from `register` on.
    func read(_ register: UInt8, count: Int) throws(I2CError) {
        var pointer = register
        let readCount = min(count, Self.maxRead)
        let address = self.address
        let bus = self.bus
        let failure: I2CError? = withUnsafeMutableBytes(of: &pointer) { pointerBytes in
            data.withUnsafeMutableBytes { dataBytes in
                messages.withUnsafeMutableBufferPointer { segments in
                    segments[0] = I2CMessage(address: address, isRead: false, buffer: pointerBytes)
                    segments[1] = I2CMessage(
                        address: address, isRead: true,
                        buffer: UnsafeMutableRawBufferPointer(rebasing: dataBytes[0..<readCount]))
                    return run(bus, segments)
                }
            }
        }
        if let failure { throw failure }
    }

    /// Writes bytes `first, rest...` in one segment (register number, then data).
    func write(_ first: UInt8, _ second: UInt8, _ third: UInt8? = nil) throws(I2CError) {
        var bytes = (first, second, third ?? 0)
        let count = third == nil ? 2 : 3
        let address = self.address
        let bus = self.bus
        let failure: I2CError? = withUnsafeMutableBytes(of: &bytes) { raw in
            messages.withUnsafeMutableBufferPointer { segments in
                segments[0] = I2CMessage(
                    address: address, isRead: false, buffer: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]))
                return run(bus, UnsafeMutableBufferPointer(rebasing: segments[0..<1]))
            }
        }
        if let failure { throw failure }
    }
}

private func run(_ bus: any I2CBus, _ segments: UnsafeMutableBufferPointer<I2CMessage>) -> I2CError? {
    do throws(I2CError) {
        try bus.transfer(segments)
        return nil
    } catch {
        return error
    }
}
