import PerchCore
import PerchHAL

/// The device resources one module may use: deny by default, so an empty grant set
/// reaches nothing. Filled at start-up from `perch run --grant …` or a deploy manifest.
public struct DeviceGrants: Sendable {
    public var pins: [Label] = []
    public var buses: [Label] = []
    public var sensors: [Label] = []

    public init(pins: [String] = [], buses: [String] = [], sensors: [String] = []) {
        self.pins = pins.map { Label($0) }
        self.buses = buses.map { Label($0) }
        self.sensors = sensors.map { Label($0) }
    }

    public enum ParseResult: Equatable, Sendable {
        case added
        /// Not a device grant (e.g. a WASI directory grant): someone else's to read.
        case notDevice
        /// `gpio:`, `i2c:` or `sensor:` with nothing after it.
        case emptyLabel
    }

    /// Adds one grant written `gpio:LABEL`, `i2c:LABEL` or `sensor:LABEL`.
    public mutating func add(_ spec: String) -> ParseResult {
        let bytes = Array(spec.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return .notDevice }
        let kind = bytes[..<colon]
        let label = String(decoding: bytes[(colon + 1)...], as: UTF8.self)
        // Byte comparison: a `switch` on String pulls the Unicode tables into Embedded builds.
        let list: Kind
        if kind.elementsEqual("gpio".utf8) {
            list = .pins
        } else if kind.elementsEqual("i2c".utf8) {
            list = .buses
        } else if kind.elementsEqual("sensor".utf8) {
            list = .sensors
        } else {
            return .notDevice
        }
        guard !label.isEmpty else { return .emptyLabel }
        switch list {
        case .pins: pins.append(Label(label))
        case .buses: buses.append(Label(label))
        case .sensors: sensors.append(Label(label))
        }
        return .added
    }

    private enum Kind { case pins, buses, sensors }

    func allowsPin(_ label: NameBytes) -> Bool { pins.contains { $0.matches(label) } }
    func allowsBus(_ label: NameBytes) -> Bool { buses.contains { $0.matches(label) } }
    func allowsSensor(_ label: NameBytes) -> Bool { sensors.contains { $0.matches(label) } }
}

/// Why the device modules could not be set up.
public enum DeviceSetupError: Error, Sendable, Equatable {
    /// A grant names a label the board does not declare.
    case unknownGrant(kind: StaticString, label: Label)

    public var message: String {
        switch self {
        case .unknownGrant(let kind, let label):
            return "grant \(kind):\(label.text): the board declares no \(kind) '\(label.text)'"
        }
    }

    public static func == (lhs: DeviceSetupError, rhs: DeviceSetupError) -> Bool {
        switch (lhs, rhs) {
        case (.unknownGrant(let k1, let l1), .unknownGrant(let k2, let l2)):
            return k1.utf8CodeUnitCount == k2.utf8CodeUnitCount
                && NameBytes(k1) == NameBytes(k2) && l1 == l2
        }
    }
}
