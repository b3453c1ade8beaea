import PerchCore
import PerchHAL

/// A simulated board built from a board file (`platform = sim`): one simulated GPIO chip
/// carrying the file's `[gpio]` lines (named by their labels), a simulated bus for each
/// `[i2c]` entry, a simulated BME280 or TMP102 at each `[sensor]`'s address, and a clock
/// that moves only when the runtime sleeps or a test advances it.
/// `SimBoard()` is the board `boards/sim/board.txt` describes.
public final class SimBoard {
    public let clock: SimClock
    public let gpio: SimGPIO
    public let devices: DeviceBoard
    private let buses: [(label: Label, bus: SimI2CBus)]
    private let bme280s: [(label: Label, chip: SimBME280)]
    private let tmp102s: [(label: Label, chip: SimTMP102)]

    /// What `boards/sim/board.txt` declares (a test keeps the two the same), so
    /// `SimBoard()` needs no file.
    public static let standardText: StaticString = """
        name = sim
        platform = sim
        ram = 64M
        arena = 16M
        [gpio]
        chip = sim-gpio
        LED = 0
        BUTTON = 1
        [i2c]
        i2c1 = sim
        [sensor]
        climate = bme280 i2c1 0x76
        temperature = tmp102 i2c1 0x48
        """

    public static var standardFile: BoardFile { (try? BoardFile.parse(standardText)) ?? BoardFile() }

    public static let maxLines = 1024

    public convenience init() { self.init(file: Self.standardFile) }

    public init(file: BoardFile) {
        let clock = SimClock()
        // A simulated chip has at most `maxLines` lines; a line declared beyond is absent.
        let simulated = file.gpioLines.filter { $0.offset >= 0 && $0.offset < Self.maxLines }
        let lineCount = (simulated.map { $0.offset }.max() ?? -1) + 1
        var names = (0..<lineCount).map { "line\($0)" }
        for line in simulated { names[line.offset] = line.label }
        let gpio = SimGPIO(clock: clock, chips: [(label: file.gpioChip, lines: names)])
        var buses: [(label: Label, bus: SimI2CBus)] = []
        for bus in file.i2cBuses { buses.append((Label(bus.label), SimI2CBus())) }
        var bme280s: [(label: Label, chip: SimBME280)] = []
        var tmp102s: [(label: Label, chip: SimTMP102)] = []
        for sensor in file.sensors {
            let busLabel = Label(sensor.bus)
            guard let bus = buses.first(where: { $0.label == busLabel })?.bus else { continue }
            switch Label(sensor.driver).withNameBytes({ SensorKind(name: $0) }) {
            case .bme280?:
                let chip = SimBME280()
                bus.attach(chip, at: sensor.address)
                bme280s.append((Label(sensor.label), chip))
            case .tmp102?:
                let chip = SimTMP102()
                bus.attach(chip, at: sensor.address)
                tmp102s.append((Label(sensor.label), chip))
            case nil:
                break
            }
        }
        self.clock = clock
        self.gpio = gpio
        self.buses = buses
        self.bme280s = bme280s
        self.tmp102s = tmp102s
        self.devices = DeviceBoard(file: file, gpio: gpio, clock: clock) { entry in
            let label = Label(entry.label)
            return buses.first { $0.label == label }?.bus ?? SimI2CBus()
        }
    }

    /// The GPIO line the board labels `label`.
    public func line(_ label: String) -> SimGPIO.LineRef? {
        let wanted = Label(label)
        guard let pin = devices.pins.first(where: { $0.label == wanted }), case .offset(let offset) = pin.line else {
            return nil
        }
        return SimGPIO.LineRef(chip: 0, offset: Int(offset))
    }

    /// The physical level on the line labelled `label` (what an LED shows).
    public func level(_ label: String) -> Bool? { line(label).map { gpio.level($0) } }

    public func bus(_ label: String) -> SimI2CBus? {
        let wanted = Label(label)
        return buses.first { $0.label == wanted }?.bus
    }

    /// The simulated chip behind sensor `label`, to set what it measures.
    public func bme280(_ label: String) -> SimBME280? {
        let wanted = Label(label)
        return bme280s.first { $0.label == wanted }?.chip
    }

    public func tmp102(_ label: String) -> SimTMP102? {
        let wanted = Label(label)
        return tmp102s.first { $0.label == wanted }?.chip
    }

    /// Drives the line labelled `label` from outside (a pressed button: true), or lets it
    /// float back to its pull (nil). False if the board has no such line.
    @discardableResult
    public func drive(_ label: String, _ level: Bool?) -> Bool {
        guard let ref = line(label) else { return false }
        gpio.drive(ref, level)
        return true
    }
}
