import PerchHAL

/// The simulated board `boards/sim/board.txt` describes: one GPIO chip `sim-gpio` with
/// lines `LED` (0) and `BUTTON` (1; pressing drives it high), one I2C bus `i2c1` with a
/// BME280 at 0x76 (sensor `climate`) and a TMP102 at 0x48 (sensor `temperature`), and a
/// clock that moves only when the runtime sleeps or a test advances it.
public final class SimBoard {
    public static let chipLabel = "sim-gpio"
    public static let bme280Address: UInt8 = 0x76
    public static let tmp102Address: UInt8 = 0x48

    public let clock: SimClock
    public let gpio: SimGPIO
    public let bus: SimI2CBus
    public let bme280: SimBME280
    public let tmp102: SimTMP102
    public let devices: DeviceBoard

    public let led: SimGPIO.LineRef
    public let button: SimGPIO.LineRef

    public init() {
        let clock = SimClock()
        let gpio = SimGPIO(clock: clock, chips: [(label: Self.chipLabel, lines: ["LED", "BUTTON"])])
        let bus = SimI2CBus()
        let bme280 = SimBME280()
        let tmp102 = SimTMP102()
        bus.attach(bme280, at: Self.bme280Address)
        bus.attach(tmp102, at: Self.tmp102Address)
        self.clock = clock
        self.gpio = gpio
        self.bus = bus
        self.bme280 = bme280
        self.tmp102 = tmp102
        // The lines exist: the chip was made with these names just above.
        self.led = SimGPIO.LineRef(chip: 0, offset: 0)
        self.button = SimGPIO.LineRef(chip: 0, offset: 1)
        let chip = Label(Self.chipLabel)
        self.devices = DeviceBoard(
            name: Label("sim"), gpio: gpio, clock: clock,
            pins: [
                BoardPin(label: Label("LED"), chip: chip, line: .offset(0)),
                BoardPin(label: Label("BUTTON"), chip: chip, line: .name(Label("BUTTON"))),
            ],
            buses: [BoardBus(label: Label("i2c1"), bus: bus)],
            sensors: [
                BoardSensor(label: Label("climate"), kind: .bme280, busIndex: 0, address: Self.bme280Address),
                BoardSensor(label: Label("temperature"), kind: .tmp102, busIndex: 0, address: Self.tmp102Address),
            ])
    }

    /// Presses (drives high) or releases (lets float) the button now.
    public func setButton(pressed: Bool) { gpio.drive(button, pressed ? true : nil) }
}
