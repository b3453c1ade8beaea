import PerchCore

/// One segment of an I2C transaction. Segments of one `transfer` are joined by repeated
/// starts, with a single stop at the end (Linux `I2C_RDWR`, wasi-i2c `transaction`).
public struct I2CMessage {
    /// 7-bit target address.
    public var address: UInt8
    public var isRead: Bool
    /// Bytes to send, or the place received bytes go. For writes it is only read from.
    public var buffer: UnsafeMutableRawBufferPointer

    public init(address: UInt8, isRead: Bool, buffer: UnsafeMutableRawBufferPointer) {
        self.address = address
        self.isRead = isRead
        self.buffer = buffer
    }
}

/// Which phase of a transfer went unacknowledged (wasi-i2c `noacknowledge-source`).
public enum I2CNoAcknowledgeSource: UInt8, Sendable {
    case address = 0
    case data = 1
    case unknown = 2
}

/// Why a transfer failed: wasi-i2c's `error-code`, plus `timeout` (which wasi-i2c folds
/// into `other`) and `unavailable` for a bus that cannot be opened.
public enum I2CError: Error, Sendable, Equatable {
    case bus
    case arbitrationLoss
    case noAcknowledge(I2CNoAcknowledgeSource)
    case overrun
    case timeout
    /// The bus device could not be opened or does not support the transfer.
    case unavailable(errno: Int32)
    case other(errno: Int32)
}

/// One I2C bus. A transfer runs to completion before returning (a bus transaction takes
/// microseconds to a few milliseconds, far below a guest's scheduling granularity).
public protocol I2CBus: AnyObject {
    func transfer(_ messages: UnsafeMutableBufferPointer<I2CMessage>) throws(I2CError)
}
