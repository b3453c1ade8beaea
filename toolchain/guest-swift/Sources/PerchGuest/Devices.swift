// PerchGuest (the Embedded Swift guest SDK, toolchain/guest-swift): the device imports
// (gpio, i2c, sensor, time) of docs/devices-abi.md as small typed wrappers. Nothing here
// allocates.

@_extern(wasm, module: "gpio", name: "open") @_extern(c)
private func gpio_open(_ label: UnsafeRawPointer, _ length: UInt32, _ flags: UInt32, _ handle: UnsafeMutablePointer<Int32>) -> Int32
@_extern(wasm, module: "gpio", name: "close") @_extern(c)
private func gpio_close(_ handle: Int32) -> Int32
@_extern(wasm, module: "gpio", name: "set") @_extern(c)
private func gpio_set(_ handle: Int32, _ value: UInt32) -> Int32
@_extern(wasm, module: "gpio", name: "get") @_extern(c)
private func gpio_get(_ handle: Int32, _ value: UnsafeMutablePointer<UInt32>) -> Int32
@_extern(wasm, module: "gpio", name: "toggle") @_extern(c)
private func gpio_toggle(_ handle: Int32) -> Int32
@_extern(wasm, module: "gpio", name: "wait_edge") @_extern(c)
private func gpio_wait_edge(_ handle: Int32, _ edges: UInt32, _ timeout: Int32, _ event: UnsafeMutableRawPointer) -> Int32
@_extern(wasm, module: "i2c", name: "open") @_extern(c)
private func i2c_open(_ label: UnsafeRawPointer, _ length: UInt32, _ handle: UnsafeMutablePointer<Int32>) -> Int32
@_extern(wasm, module: "i2c", name: "write_read") @_extern(c)
private func i2c_write_read(_ handle: Int32, _ address: UInt32, _ out: UnsafeRawPointer?, _ outLength: UInt32,
                            _ input: UnsafeMutableRawPointer?, _ inLength: UInt32) -> Int32
@_extern(wasm, module: "sensor", name: "open") @_extern(c)
private func sensor_open(_ label: UnsafeRawPointer, _ length: UInt32, _ handle: UnsafeMutablePointer<Int32>) -> Int32
@_extern(wasm, module: "sensor", name: "read") @_extern(c)
private func sensor_read(_ handle: Int32, _ channel: UInt32, _ value: UnsafeMutablePointer<Int64>) -> Int32
@_extern(wasm, module: "time", name: "monotonic_ms") @_extern(c)
private func time_monotonic_ms() -> Int64
@_extern(wasm, module: "time", name: "sleep_ms") @_extern(c)
private func time_sleep_ms(_ milliseconds: Int32) -> Int32

/// Opens a board resource by label through one of the `open` imports (label bytes, their
/// count, the handle out-parameter); its handle.
private func openHandle(
    _ label: StaticString, _ open: (UnsafeRawPointer, UInt32, UnsafeMutablePointer<Int32>) -> Int32
) throws(DeviceStatus) -> Int32 {
    var handle: Int32 = 0
    try DeviceStatus.check(open(label.utf8Start, UInt32(label.utf8CodeUnitCount), &handle))
    return handle
}

/// A device call's status (docs/devices-abi.md): 0 is success and never thrown.
public struct DeviceStatus: Error, Equatable {
    public let code: Int32
    public static let denied = DeviceStatus(code: 1)
    public static let notFound = DeviceStatus(code: 2)
    public static let busy = DeviceStatus(code: 3)
    public static let pending = DeviceStatus(code: 7)
    public static let timedOut = DeviceStatus(code: 8)

    @inline(__always)
    static func check(_ code: Int32) throws(DeviceStatus) {
        if code != 0 { throw DeviceStatus(code: code) }
    }
}

public struct GPIOFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let output = GPIOFlags(rawValue: 1 << 0)
    public static let pullUp = GPIOFlags(rawValue: 2 << 1)
    public static let pullDown = GPIOFlags(rawValue: 3 << 1)
    public static let activeLow = GPIOFlags(rawValue: 1 << 3)
    public static let initialHigh = GPIOFlags(rawValue: 1 << 4)
    public static let risingEdge = GPIOFlags(rawValue: 1 << 5)
    public static let fallingEdge = GPIOFlags(rawValue: 1 << 6)
}

public struct GPIOEvent {
    public let timestampNanoseconds: UInt64
    /// 1 rising, 2 falling.
    public let edge: UInt32
}

/// A GPIO line opened by board label.
public struct GPIOLine {
    public let handle: Int32

    public static func open(_ label: StaticString, _ flags: GPIOFlags) throws(DeviceStatus) -> GPIOLine {
        GPIOLine(handle: try openHandle(label) { gpio_open($0, $1, flags.rawValue, $2) })
    }

    public func set(_ on: Bool) throws(DeviceStatus) { try DeviceStatus.check(gpio_set(handle, on ? 1 : 0)) }
    public func toggle() throws(DeviceStatus) { try DeviceStatus.check(gpio_toggle(handle)) }
    public func close() { _ = gpio_close(handle) }

    public func get() throws(DeviceStatus) -> Bool {
        var value: UInt32 = 0
        try DeviceStatus.check(gpio_get(handle, &value))
        return value != 0
    }

    /// Waits (suspended) for an edge of `edges` (1 rising, 2 falling, 3 both); nil on timeout.
    public func waitEdge(_ edges: UInt32, timeoutMilliseconds: Int32) throws(DeviceStatus) -> GPIOEvent? {
        var raw: (UInt64, UInt32, UInt32) = (0, 0, 0)
        while true {
            let status = withUnsafeMutableBytes(of: &raw) { gpio_wait_edge(handle, edges, timeoutMilliseconds, $0.baseAddress!) }
            if status == DeviceStatus.pending.code { continue }
            if status == DeviceStatus.timedOut.code { return nil }
            try DeviceStatus.check(status)
            return GPIOEvent(timestampNanoseconds: raw.0, edge: raw.1)
        }
    }
}

/// An I2C bus opened by board label.
public struct I2CBus {
    public let handle: Int32

    public static func open(_ label: StaticString) throws(DeviceStatus) -> I2CBus {
        I2CBus(handle: try openHandle(label) { i2c_open($0, $1, $2) })
    }

    /// Writes `output`, then (repeated start) reads into `input`.
    public func writeRead(
        _ address: UInt8, _ output: UnsafeRawBufferPointer, _ input: UnsafeMutableRawBufferPointer
    ) throws(DeviceStatus) {
        try DeviceStatus.check(i2c_write_read(
            handle, UInt32(address), output.baseAddress, UInt32(output.count), input.baseAddress, UInt32(input.count)))
    }
}

public enum SensorChannel: UInt32 {
    /// milli-°C
    case temperature = 0
    /// Pa
    case pressure = 1
    /// milli-%RH
    case humidity = 2
}

/// A sensor the board declares, opened by label; readings are fixed-point SI values.
public struct Sensor {
    public let handle: Int32

    public static func open(_ label: StaticString) throws(DeviceStatus) -> Sensor {
        Sensor(handle: try openHandle(label) { sensor_open($0, $1, $2) })
    }

    public func read(_ channel: SensorChannel) throws(DeviceStatus) -> Int64 {
        var value: Int64 = 0
        while true {
            let status = sensor_read(handle, channel.rawValue, &value)
            if status == DeviceStatus.pending.code { continue }
            try DeviceStatus.check(status)
            return value
        }
    }
}

public enum BoardTime {
    public static func monotonicMilliseconds() -> Int64 { time_monotonic_ms() }
    /// Suspends the module for `milliseconds` on the board clock.
    public static func sleep(milliseconds: Int32) { _ = time_sleep_ms(milliseconds) }
}
