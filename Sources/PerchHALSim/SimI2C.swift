import PerchHAL

/// A chip on a simulated bus. A transfer calls `write`/`read` once per segment addressed
/// to it, then `stop` once at the end of the transfer.
public protocol SimI2CDevice: AnyObject {
    /// A write segment; false makes the bus report a data NAK.
    func write(_ bytes: UnsafeRawBufferPointer) -> Bool
    func read(into buffer: UnsafeMutableRawBufferPointer)
    func stop()
}

/// A simulated I2C bus: chips at addresses, NAK for absent ones, and faults tests inject.
public final class SimI2CBus: I2CBus {
    private var devices: [(address: UInt8, device: any SimI2CDevice)] = []
    private var fault: I2CError? = nil
    private var faultsLeft = 0
    /// Transfers attempted, including failed ones.
    public private(set) var transferCount = 0

    public init() {}

    public func attach(_ device: any SimI2CDevice, at address: UInt8) {
        devices.removeAll { $0.address == address }
        devices.append((address, device))
    }

    public func detach(address: UInt8) { devices.removeAll { $0.address == address } }

    /// Makes the next `times` transfers fail with `error` before touching any chip.
    public func injectFault(_ error: I2CError, times: Int = 1) {
        fault = error
        faultsLeft = times
    }

    public func clearFaults() {
        fault = nil
        faultsLeft = 0
    }

    public func transfer(_ messages: UnsafeMutableBufferPointer<I2CMessage>) throws(I2CError) {
        transferCount &+= 1
        if let fault, faultsLeft > 0 {
            faultsLeft -= 1
            if faultsLeft == 0 { self.fault = nil }
            throw fault
        }
        var touched: (any SimI2CDevice)? = nil
        defer { touched?.stop() }
        for message in messages {
            guard let device = devices.first(where: { $0.address == message.address })?.device else {
                throw .noAcknowledge(.address)
            }
            if let previous = touched, previous !== device { previous.stop() }
            touched = device
            if message.isRead {
                device.read(into: message.buffer)
            } else if !device.write(UnsafeRawBufferPointer(message.buffer)) {
                throw .noAcknowledge(.data)
            }
        }
    }
}
