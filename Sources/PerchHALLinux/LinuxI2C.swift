import CPerchHALLinux
import PerchHAL

/// An I2C bus through `/dev/i2c-N`: combined transfers with `I2C_RDWR`; adapters that only
/// speak SMBus (no `I2C_FUNC_I2C`, or `EOPNOTSUPP` from `I2C_RDWR`) get the transfer as
/// the matching SMBus command. The device is opened at the first transfer.
public final class LinuxI2CBus: I2CBus {
    /// Where the bus is: a device path, or an adapter name looked up in sysfs at first use
    /// (adapter numbers change between boots and kernels; names do not).
    public enum Location: Sendable, Equatable {
        case path(String)
        case adapter(name: String)

        /// Byte comparison: String `==` would need Unicode tables in Embedded builds.
        public static func == (lhs: Location, rhs: Location) -> Bool {
            switch (lhs, rhs) {
            case (.path(let a), .path(let b)), (.adapter(let a), .adapter(let b)): return a.utf8.elementsEqual(b.utf8)
            default: return false
            }
        }
    }

    public let location: Location
    private let sysRoot: [CChar]
    private let devRoot: String
    private var descriptor: Int32 = -1
    private var plainI2C = true
    private var segments: [perch_i2c_segment]

    /// `sysRoot` and `devRoot` are injectable for tests and unusual systems.
    public init(_ location: Location, sysRoot: String = "/sys", devRoot: String = "/dev") {
        self.location = location
        self.sysRoot = cString(sysRoot)
        self.devRoot = devRoot
        self.segments = Array(
            repeating: perch_i2c_segment(address: 0, read: 0, length: 0, buffer: nil),
            count: Int(PERCH_I2C_MAX_SEGMENTS))
    }

    deinit {
        if descriptor >= 0 { _ = perch_i2c_close(descriptor) }
    }

    /// The device path, resolving an adapter name; nil with the errno if it cannot be found.
    public func resolvePath() -> Result<String, I2CError> {
        switch location {
        case .path(let path):
            return .success(path)
        case .adapter(let name):
            let number = sysRoot.withUnsafeBufferPointer { root in
                cString(name).withUnsafeBufferPointer { perch_i2c_find_adapter(root.baseAddress, $0.baseAddress) }
            }
            guard number >= 0 else { return .failure(.unavailable(errno: -number)) }
            return .success("\(devRoot)/i2c-\(number)")
        }
    }

    private func open() throws(I2CError) {
        let path: String
        switch resolvePath() {
        case .success(let found): path = found
        case .failure(let error): throw error
        }
        var plain: Int32 = 0
        let result = cString(path).withUnsafeBufferPointer { perch_i2c_open($0.baseAddress, &plain) }
        guard result >= 0 else { throw .unavailable(errno: -result) }
        descriptor = result
        plainI2C = plain != 0
    }

    public func transfer(_ messages: UnsafeMutableBufferPointer<I2CMessage>) throws(I2CError) {
        guard messages.count >= 1, messages.count <= segments.count else {
            throw .other(errno: Int32(PERCH_EINVAL))
        }
        for message in messages where message.buffer.count > 0xFFFF {
            throw .other(errno: Int32(PERCH_EINVAL))
        }
        if descriptor < 0 { try open() }
        for (index, message) in messages.enumerated() {
            segments[index] = perch_i2c_segment(
                address: UInt16(message.address), read: message.isRead ? 1 : 0,
                length: UInt16(message.buffer.count),
                buffer: message.buffer.baseAddress?.assumingMemoryBound(to: UInt8.self))
        }
        let count = Int32(messages.count)
        let descriptor = self.descriptor
        var result: Int32 = -Int32(PERCH_EOPNOTSUPP)
        if plainI2C {
            result = segments.withUnsafeBufferPointer { perch_i2c_rdwr(descriptor, $0.baseAddress, count) }
        }
        if result == -Int32(PERCH_EOPNOTSUPP) {
            result = segments.withUnsafeBufferPointer { perch_i2c_smbus(descriptor, $0.baseAddress, count) }
        }
        if result < 0 { throw Self.error(errno: -result) }
    }

    /// Linux I2C fault codes (Documentation/i2c/fault-codes.rst) as wasi-i2c errors.
    public static func error(errno: Int32) -> I2CError {
        switch errno {
        case Int32(PERCH_ENXIO), Int32(PERCH_ENODEV): return .noAcknowledge(.address)
        case Int32(PERCH_EREMOTEIO): return .noAcknowledge(.unknown)
        case Int32(PERCH_EAGAIN): return .arbitrationLoss
        case Int32(PERCH_ETIMEDOUT): return .timeout
        case Int32(PERCH_EOVERFLOW): return .overrun
        case Int32(PERCH_EBUSY), Int32(PERCH_EIO), Int32(PERCH_EPROTO): return .bus
        default: return .other(errno: errno)
        }
    }
}

func cString(_ text: String) -> [CChar] {
    var bytes = text.utf8.map { CChar(bitPattern: $0) }
    bytes.append(0)
    return bytes
}
