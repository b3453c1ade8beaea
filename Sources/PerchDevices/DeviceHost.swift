import PerchCore
import PerchHAL

/// The device host modules of one guest, over one board, with one grant set.
/// Several `DeviceHost`s may share a board (one per app): lines stay exclusive because
/// the board's GPIO controller refuses a second request for a held line.
public final class DeviceHost {
    public let diagnostics: DeviceDiagnostics
    public let gpio: GPIOModule
    public let i2c: I2CModule
    public let sensor: SensorModule
    public let time: TimeModule

    /// Fails if a grant names a label the board does not declare, so a typo in
    /// `--grant` is caught at start-up rather than as a denied call later.
    public init(board: DeviceBoard, grants: DeviceGrants) throws(DeviceSetupError) {
        for pin in grants.pins where !pin.withNameBytes({ board.pinIndex($0) != nil }) {
            throw .unknownGrant(kind: "gpio", label: pin)
        }
        for bus in grants.buses where !bus.withNameBytes({ board.busIndex($0) != nil }) {
            throw .unknownGrant(kind: "i2c", label: bus)
        }
        for sensor in grants.sensors where !sensor.withNameBytes({ board.sensorIndex($0) != nil }) {
            throw .unknownGrant(kind: "sensor", label: sensor)
        }
        let diagnostics = DeviceDiagnostics()
        self.diagnostics = diagnostics
        self.gpio = GPIOModule(board: board, grants: grants, diagnostics: diagnostics)
        self.i2c = I2CModule(board: board, grants: grants, diagnostics: diagnostics)
        self.sensor = SensorModule(board: board, grants: grants, diagnostics: diagnostics)
        self.time = TimeModule(clock: board.clock, diagnostics: diagnostics)
    }

    /// The modules to offer the interpreter's import resolution.
    public var modules: [any HostModule] { [gpio, i2c, sensor, time] }

    /// Releases every line and handle (when the guest's instance ends).
    public func closeAll() {
        gpio.closeAll()
        i2c.closeAll()
        sensor.closeAll()
    }
}
