import PerchCore
import PerchHAL

/// What every device host function returns in its i32 result (docs/devices-abi.md).
/// 0 is success; the I2C codes are wasi-i2c's `error-code` cases, in its order.
public enum DeviceStatus: UInt32, Sendable {
    case ok = 0
    /// The resource exists but this module was not granted it.
    case denied = 1
    /// The board declares no resource with that label.
    case notFound = 2
    /// Another holder has the line.
    case busy = 3
    /// The handle is not open (never was, or closed).
    case badHandle = 4
    /// An argument is out of range (flags, address, channel, lengths).
    case invalid = 5
    /// A guest pointer/length pair lies outside linear memory.
    case fault = 6
    /// Not finished yet: call again (an edge wait in progress, a sensor warming up).
    case pending = 7
    case timedOut = 8
    /// The fixed handle table is full; close something first.
    case noHandles = 9
    /// The backend is missing or the device cannot be opened.
    case unavailable = 10
    /// Any other operating-system failure.
    case io = 11
    /// The resource cannot do that (a channel this sensor lacks, writing an input).
    case unsupported = 12
    /// The chip at the address is not the kind the board says.
    case wrongDevice = 13
    case i2cBus = 16
    case i2cArbitrationLoss = 17
    case i2cNoAcknowledgeAddress = 18
    case i2cNoAcknowledgeData = 19
    case i2cNoAcknowledgeUnknown = 20
    case i2cOverrun = 21
    case i2cOther = 22
    /// wasi-i2c reports this as `other`.
    case i2cTimeout = 23

    public var text: StaticString {
        switch self {
        case .ok: return "ok"
        case .denied: return "not granted"
        case .notFound: return "not declared by the board"
        case .busy: return "busy (held by another holder)"
        case .badHandle: return "not an open handle"
        case .invalid: return "invalid argument"
        case .fault: return "outside guest memory"
        case .pending: return "pending"
        case .timedOut: return "timed out"
        case .noHandles: return "no free handle"
        case .unavailable: return "unavailable"
        case .io: return "I/O error"
        case .unsupported: return "unsupported"
        case .wrongDevice: return "wrong device"
        case .i2cBus: return "bus error"
        case .i2cArbitrationLoss: return "arbitration lost"
        case .i2cNoAcknowledgeAddress: return "no acknowledge (address)"
        case .i2cNoAcknowledgeData: return "no acknowledge (data)"
        case .i2cNoAcknowledgeUnknown: return "no acknowledge"
        case .i2cOverrun: return "overrun"
        case .i2cOther: return "other bus error"
        case .i2cTimeout: return "timed out on the bus"
        }
    }

    public init(_ error: I2CError) {
        switch error {
        case .bus: self = .i2cBus
        case .arbitrationLoss: self = .i2cArbitrationLoss
        case .noAcknowledge(.address): self = .i2cNoAcknowledgeAddress
        case .noAcknowledge(.data): self = .i2cNoAcknowledgeData
        case .noAcknowledge(.unknown): self = .i2cNoAcknowledgeUnknown
        case .overrun: self = .i2cOverrun
        case .timeout: self = .i2cTimeout
        case .unavailable: self = .unavailable
        case .other: self = .i2cOther
        }
    }

    public init(_ error: GPIOError) {
        switch error {
        case .chipNotFound, .lineNotFound: self = .unavailable
        case .busy: self = .busy
        case .invalidSettings: self = .invalid
        case .notRequested: self = .badHandle
        case .notOutput: self = .unsupported
        case .tooManyLines: self = .noHandles
        case .unavailable: self = .unavailable
        case .system: self = .io
        }
    }
}

/// Which host module a failure came from.
public enum DeviceModuleKind: UInt8, Sendable {
    case gpio, i2c, sensor, time

    public var name: StaticString {
        switch self {
        case .gpio: return "gpio"
        case .i2c: return "i2c"
        case .sensor: return "sensor"
        case .time: return "time"
        }
    }
}

/// One failed device call, kept in fixed storage so recording it allocates nothing;
/// `message` formats it for people ("gpio.open: pin 'HEATER' not granted").
public struct DeviceFailure: Sendable {
    public let module: DeviceModuleKind
    public let function: StaticString
    public let status: DeviceStatus
    /// What the failure is about: "pin", "bus", "sensor", "handle", "pointer", "address", "flags"…
    public let subject: StaticString
    private var nameBytes = InlineArray<32, UInt8>(repeating: 0)
    private var nameCount = 0
    /// A number that identifies the subject when it has no name (a handle, a pointer),
    /// or extra detail (an I2C address, an errno).
    public let value: UInt64
    public let hasValue: Bool

    init(
        module: DeviceModuleKind, function: StaticString, status: DeviceStatus,
        subject: StaticString, name: NameBytes?, value: UInt64?
    ) {
        self.module = module
        self.function = function
        self.status = status
        self.subject = subject
        self.value = value ?? 0
        self.hasValue = value != nil
        if let name {
            let bytes = name.bytes
            nameCount = min(bytes.count, 32)
            for index in 0..<nameCount { nameBytes[index] = bytes[index] }
        }
    }

    /// The resource label the failure names (truncated to 32 bytes), empty if none.
    public var name: String {
        var copy: [UInt8] = []
        for index in 0..<nameCount { copy.append(nameBytes[index]) }
        return String(decoding: copy, as: UTF8.self)
    }

    public var message: String {
        var text = "\(module.name).\(function): \(subject)"
        if nameCount > 0 { text += " '\(name)'" }
        if hasValue { text += " \(hexadecimal(value))" }
        text += " \(status.text)"
        return text
    }
}

func hexadecimal(_ value: UInt64) -> String {
    let digits: StaticString = "0123456789abcdef"
    var reversed: [UInt8] = []
    var rest = value
    repeat {
        reversed.append(digits.utf8Start[Int(rest & 0xF)])
        rest >>= 4
    } while rest != 0
    return "0x" + String(decoding: reversed.reversed(), as: UTF8.self)
}

/// Where the device modules report failed calls. The guest only sees the status code;
/// the runtime (or a test) sees which resource and why through `last` / `onFailure`.
public final class DeviceDiagnostics {
    public private(set) var last: DeviceFailure?
    public private(set) var failureCount = 0
    /// Called on every failure, e.g. by `perch run` to print `failure.message` to stderr.
    public var onFailure: ((DeviceFailure) -> Void)?

    public init() {}

    func record(_ failure: DeviceFailure) {
        last = failure
        failureCount &+= 1
        onFailure?(failure)
    }
}
