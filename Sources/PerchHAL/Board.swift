import PerchCore

/// A name owned by a board description or a grant list, copied once at start-up.
public struct Label: Sendable, Equatable {
    public let bytes: [UInt8]

    public init(_ text: String) { self.bytes = Array(text.utf8) }
    public init(_ name: NameBytes) { self.bytes = Array(name.bytes) }

    /// Compares without copying: safe on a host call's path.
    public func matches(_ name: NameBytes) -> Bool {
        bytes.count == name.count && bytes.withUnsafeBytes { $0.elementsEqual(name.bytes) }
    }

    public func withNameBytes<R>(_ body: (NameBytes) -> R) -> R {
        let count = bytes.count
        return bytes.withUnsafeBytes { body(NameBytes(start: $0.baseAddress, count: count)) }
    }

    /// For messages only.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// How a board names a line on a chip.
public enum PinLine: Sendable, Equatable {
    case name(Label)
    case offset(UInt32)
}

/// A board label for one GPIO line (`LED` → line `GPIO17` of the chip labelled `pinctrl-bcm2711`).
public struct BoardPin: Sendable {
    public let label: Label
    public let chip: Label
    public let line: PinLine

    public init(label: Label, chip: Label, line: PinLine) {
        self.label = label
        self.chip = chip
        self.line = line
    }
}

/// A board label for one I2C bus and the bus object that reaches it.
public struct BoardBus {
    public let label: Label
    public let bus: any I2CBus

    public init(label: Label, bus: any I2CBus) {
        self.label = label
        self.bus = bus
    }
}

/// The sensor chips Perch has drivers for.
public enum SensorKind: UInt8, Sendable {
    case bme280 = 1
    case tmp102 = 2

    public var name: StaticString {
        switch self {
        case .bme280: return "bme280"
        case .tmp102: return "tmp102"
        }
    }

    public init?(name: NameBytes) {
        if name == "bme280" { self = .bme280 } else if name == "tmp102" { self = .tmp102 } else { return nil }
    }
}

/// A sensor a board declares: a chip of a known kind at an address on one of its buses.
public struct BoardSensor: Sendable {
    public let label: Label
    public let kind: SensorKind
    /// Index into the board's `buses`.
    public let busIndex: Int
    public let address: UInt8

    public init(label: Label, kind: SensorKind, busIndex: Int, address: UInt8) {
        self.label = label
        self.kind = kind
        self.busIndex = busIndex
        self.address = address
    }
}

/// Everything the device host modules reach on one board, built once at start-up: which
/// labels exist and the backend objects behind them. Labels are what guests open and what
/// grants name; chip labels, line names and bus paths stay the board's business.
public final class DeviceBoard {
    public let name: Label
    public let gpio: (any GPIOController)?
    /// The board's time: what `time.monotonic_ms` reads and what the runtime sleeps on
    /// when a guest suspends (a simulated board's clock only moves when slept on).
    public let clock: any PlatformClock
    public let pins: [BoardPin]
    public let buses: [BoardBus]
    public let sensors: [BoardSensor]

    public init(
        name: Label, gpio: (any GPIOController)?, clock: any PlatformClock,
        pins: [BoardPin], buses: [BoardBus], sensors: [BoardSensor]
    ) {
        self.name = name
        self.gpio = gpio
        self.clock = clock
        self.pins = pins
        self.buses = buses
        self.sensors = sensors
    }

    public func pinIndex(_ label: NameBytes) -> Int? { pins.firstIndex { $0.label.matches(label) } }
    public func busIndex(_ label: NameBytes) -> Int? { buses.firstIndex { $0.label.matches(label) } }
    public func sensorIndex(_ label: NameBytes) -> Int? { sensors.firstIndex { $0.label.matches(label) } }
}

extension DeviceBoard {
    /// The board a board file describes (`boards/<name>/board.txt`): its `[gpio]` lines on
    /// the chip labelled `chip`, its `[i2c]` buses made by `makeBus` (the backend decides
    /// what `/dev/i2c-1`, `adapter:NAME` or `sim` means), and its `[sensor]`s. Sensors
    /// whose driver Perch lacks are left out; `unknownDrivers(in:)` names them.
    public convenience init(
        file: BoardFile, gpio: (any GPIOController)?, clock: any PlatformClock,
        makeBus: (BoardFile.Bus) -> any I2CBus
    ) {
        let chip = Label(file.gpioChip)
        let pins = file.gpioLines.map {
            BoardPin(label: Label($0.label), chip: chip, line: .offset(UInt32(truncatingIfNeeded: $0.offset)))
        }
        let buses = file.i2cBuses.map { BoardBus(label: Label($0.label), bus: makeBus($0)) }
        var sensors: [BoardSensor] = []
        for sensor in file.sensors {
            let kind = Label(sensor.driver).withNameBytes { SensorKind(name: $0) }
            let bus = Label(sensor.bus)
            guard let kind, let busIndex = buses.firstIndex(where: { $0.label == bus }) else { continue }
            sensors.append(BoardSensor(label: Label(sensor.label), kind: kind, busIndex: busIndex, address: sensor.address))
        }
        self.init(name: Label(file.name), gpio: gpio, clock: clock, pins: pins, buses: buses, sensors: sensors)
    }

    /// The board file's sensors whose driver Perch does not have (known: bme280, tmp102).
    public static func unknownDrivers(in file: BoardFile) -> [BoardFile.Sensor] {
        file.sensors.filter { sensor in Label(sensor.driver).withNameBytes { SensorKind(name: $0) } == nil }
    }
}
