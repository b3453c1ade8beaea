import Foundation
import PerchCore
import PerchHAL
import PerchHALSim
import PerchDevices
import Testing

private func request(_ gpio: SimGPIO, _ line: String, _ settings: GPIOLineSettings) throws(GPIOError) -> GPIOLineID {
    try Label("sim-gpio").withNameBytes { chip in
        Label(line).withNameBytes { name in
            Result { () throws(GPIOError) in try gpio.request(chip: chip, line: .name(name), settings: settings) }
        }
    }.get()
}

@Suite struct SimClockTests {
    @Test func actionsRunInTimeOrderAtTheirTime() {
        let clock = SimClock()
        var seen: [(String, UInt64)] = []
        clock.schedule(atMilliseconds: 20) { seen.append(("b", clock.nanoseconds)) }
        clock.schedule(atMilliseconds: 10) { seen.append(("a", clock.nanoseconds)) }
        clock.schedule(atMilliseconds: 20) { seen.append(("c", clock.nanoseconds)) }
        clock.advance(nanoseconds: 15_000_000)
        #expect(seen.map(\.0) == ["a"])
        #expect(seen[0].1 == 10_000_000)
        #expect(clock.nanoseconds == 15_000_000)
        clock.sleep(nanoseconds: 100_000_000)
        #expect(seen.map(\.0) == ["a", "b", "c"])
        #expect(seen[2].1 == 20_000_000)
        #expect(clock.nextScheduledNanoseconds == nil)
    }
}

@Suite struct SimGPIOTests {
    @Test func outputLevelsAreObservableWithTimes() throws {
        let board = SimBoard()
        let led = try request(board.gpio, "LED", GPIOLineSettings(direction: .output))
        #expect(board.gpio.level(board.led) == false)
        board.clock.advance(nanoseconds: 500)
        try board.gpio.setValue(led, true)
        board.clock.advance(nanoseconds: 500)
        try board.gpio.setValue(led, false)
        try board.gpio.setValue(led, false)
        #expect(board.gpio.transitionCount(board.led) == 2)
        #expect(board.gpio.history(board.led) == [
            SimGPIO.Transition(level: true, timestampNanoseconds: 500),
            SimGPIO.Transition(level: false, timestampNanoseconds: 1000),
        ])
        #expect(try board.gpio.value(led) == false)
    }

    @Test func activeLowInvertsLogicalValues() throws {
        let board = SimBoard()
        let led = try request(board.gpio, "LED", GPIOLineSettings(direction: .output, activeLow: true, initialValue: true))
        #expect(board.gpio.level(board.led) == false)
        try board.gpio.setValue(led, false)
        #expect(board.gpio.level(board.led) == true)
        #expect(try board.gpio.value(led) == false)
    }

    @Test func inputsFollowDriveThenPull() throws {
        let board = SimBoard()
        let button = try request(board.gpio, "BUTTON", GPIOLineSettings(direction: .input, bias: .pullUp))
        #expect(try board.gpio.value(button) == true)
        board.gpio.drive(board.button, false)
        #expect(try board.gpio.value(button) == false)
        board.gpio.drive(board.button, nil)
        #expect(try board.gpio.value(button) == true)
        board.gpio.release(button)
        let pulledDown = try request(board.gpio, "BUTTON", GPIOLineSettings(direction: .input, bias: .pullDown))
        #expect(try board.gpio.value(pulledDown) == false)
    }

    @Test func edgesAreQueuedWithTimestampsAndFiltered() throws {
        let board = SimBoard()
        let button = try request(board.gpio, "BUTTON", GPIOLineSettings(direction: .input, bias: .pullDown, edges: .rising))
        board.clock.schedule(atMilliseconds: 3) { board.setButton(pressed: true) }
        board.clock.schedule(atMilliseconds: 7) { board.setButton(pressed: false) }
        board.clock.advance(nanoseconds: 10_000_000)
        #expect(try board.gpio.nextEdge(button) == GPIOEdgeEvent(edge: .rising, timestampNanoseconds: 3_000_000))
        #expect(try board.gpio.nextEdge(button) == nil)  // falling edges were not asked for
    }

    @Test func activeLowButtonReportsLogicalEdges() throws {
        let board = SimBoard()
        let button = try request(
            board.gpio, "BUTTON", GPIOLineSettings(direction: .input, bias: .pullUp, activeLow: true, edges: .both))
        board.gpio.drive(board.button, false)  // pressed: pulled to ground
        board.gpio.drive(board.button, nil)
        #expect(try board.gpio.nextEdge(button)?.edge == .rising)
        #expect(try board.gpio.nextEdge(button)?.edge == .falling)
    }

    @Test func fullEventQueueDropsAndCounts() throws {
        let board = SimBoard()
        let button = try request(board.gpio, "BUTTON", GPIOLineSettings(direction: .input, edges: .both))
        for i in 0..<20 { board.gpio.drive(board.button, i % 2 == 0) }
        #expect(board.gpio.droppedEvents(board.button) == 4)
        var count = 0
        while try board.gpio.nextEdge(button) != nil { count += 1 }
        #expect(count == 16)
    }

    @Test func wiredOutputDrivesInput() throws {
        let clock = SimClock()
        let gpio = SimGPIO(clock: clock, chips: [(label: "sim-gpio", lines: ["OUT", "IN"])])
        gpio.wire(gpio.line(chip: "sim-gpio", name: "OUT")!, to: gpio.line(chip: "sim-gpio", name: "IN")!)
        let out = try request(gpio, "OUT", GPIOLineSettings(direction: .output))
        let input = try request(gpio, "IN", GPIOLineSettings(direction: .input, edges: .both))
        try gpio.setValue(out, true)
        #expect(try gpio.value(input) == true)
        #expect(try gpio.nextEdge(input)?.edge == .rising)
    }

    @Test func requestsAreExclusiveAndChecked() throws {
        let board = SimBoard()
        let led = try request(board.gpio, "LED", GPIOLineSettings(direction: .output))
        #expect(throws: GPIOError.busy) { try request(board.gpio, "LED", GPIOLineSettings(direction: .output)) }
        #expect(throws: GPIOError.lineNotFound) { try request(board.gpio, "NOPE", GPIOLineSettings(direction: .input)) }
        #expect(throws: GPIOError.invalidSettings) {
            try request(board.gpio, "BUTTON", GPIOLineSettings(direction: .output, edges: .rising))
        }
        #expect(throws: GPIOError.chipNotFound) {
            try Label("other").withNameBytes { chip in
                Result { () throws(GPIOError) in
                    try board.gpio.request(chip: chip, line: .offset(0), settings: GPIOLineSettings(direction: .input))
                }
            }.get()
        }
        let button = try request(board.gpio, "BUTTON", GPIOLineSettings(direction: .input))
        #expect(throws: GPIOError.notOutput) { try board.gpio.setValue(button, true) }
        board.gpio.release(led)
        #expect(throws: GPIOError.notRequested) { try board.gpio.setValue(led, true) }
        _ = try request(board.gpio, "LED", GPIOLineSettings(direction: .output))
    }
}

/// Raw register access to simulated chips, the way a driver does it.
private func writeRead(_ bus: SimI2CBus, _ address: UInt8, _ written: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
    var out = written
    var input = [UInt8](repeating: 0, count: readCount)
    let failure: I2CError? = out.withUnsafeMutableBytes { w in
        input.withUnsafeMutableBytes { r in
            var messages = [I2CMessage(address: address, isRead: false, buffer: w)]
            if readCount > 0 { messages.append(I2CMessage(address: address, isRead: true, buffer: r)) }
            return messages.withUnsafeMutableBufferPointer { m in
                do throws(I2CError) { try bus.transfer(m); return nil } catch { return error }
            }
        }
    }
    if let failure { throw failure }
    return input
}

@Suite struct SimI2CTests {
    @Test func absentAddressIsAnAddressNAK() {
        let board = SimBoard()
        #expect(throws: I2CError.noAcknowledge(.address)) { try writeRead(board.bus, 0x10, [0], readCount: 1) }
    }

    @Test func injectedFaultsHappenThenClear() throws {
        let board = SimBoard()
        board.bus.injectFault(.timeout, times: 2)
        #expect(throws: I2CError.timeout) { try writeRead(board.bus, 0x76, [0xD0], readCount: 1) }
        #expect(throws: I2CError.timeout) { try writeRead(board.bus, 0x76, [0xD0], readCount: 1) }
        #expect(try writeRead(board.bus, 0x76, [0xD0], readCount: 1) == [0x60])
        board.bus.injectFault(.arbitrationLoss, times: 1)
        board.bus.clearFaults()
        #expect(try writeRead(board.bus, 0x76, [0xD0], readCount: 1) == [0x60])
        #expect(board.bus.transferCount == 4)
    }

    @Test func bme280RegistersLookLikeTheChip() throws {
        let board = SimBoard()
        #expect(try writeRead(board.bus, 0x76, [0xD0], readCount: 1) == [0x60])
        // T1 = 27504 = 0x6B70, little-endian at 0x88.
        let calibration = try writeRead(board.bus, 0x76, [0x88], readCount: 26)
        #expect(calibration[0] == 0x70 && calibration[1] == 0x6B)
        #expect(calibration[25] == 75)  // H1 at 0xA1
        // H4 = 313 = 0x139: 0xE4 = 0x13, low nibble of 0xE5 = 0x9; H5 = 50 = 0x032.
        let humidity = try writeRead(board.bus, 0x76, [0xE1], readCount: 7)
        #expect(humidity[3] == 0x13 && humidity[4] == 0x29 && humidity[5] == 0x03)
        // Sleep mode after reset: data registers hold their reset values.
        #expect(try writeRead(board.bus, 0x76, [0xF7], readCount: 8) == [0x80, 0, 0, 0x80, 0, 0, 0x80, 0])
    }

    @Test func bme280ForcedModeMeasuresOnceAndSleeps() throws {
        let board = SimBoard()
        _ = try writeRead(board.bus, 0x76, [0xF2, 0x01], readCount: 0)
        // Humidity oversampling waits for the ctrl_meas write.
        #expect(board.bme280.measurementCount == 0)
        _ = try writeRead(board.bus, 0x76, [0xF4, 0x25], readCount: 0)  // T×1 P×1 forced
        #expect(board.bme280.measurementCount == 1)
        #expect(try writeRead(board.bus, 0x76, [0xF4], readCount: 1) == [0x24])
        #expect(board.bme280.rawTemperature != 0x80000)
        #expect(board.bme280.rawHumidity != 0x8000)
        _ = try writeRead(board.bus, 0x76, [0xF7], readCount: 8)
        #expect(board.bme280.measurementCount == 1)  // sleeping: no new measurement
        // Pressure skipped (osrs_p = 0): 0x80000.
        _ = try writeRead(board.bus, 0x76, [0xF4, 0x21], readCount: 0)
        #expect(board.bme280.rawPressure == 0x80000)
        // Soft reset restores reset values.
        _ = try writeRead(board.bus, 0x76, [0xE0, 0xB6], readCount: 0)
        #expect(board.bme280.rawTemperature == 0x80000)
    }

    @Test func tmp102RegistersLookLikeTheChip() throws {
        let board = SimBoard()
        board.tmp102.temperatureCelsius = 25
        #expect(try writeRead(board.bus, 0x48, [0x00], readCount: 2) == [0x19, 0x00])
        #expect(try writeRead(board.bus, 0x48, [0x01], readCount: 2) == [0x60, 0xA0])
        #expect(try writeRead(board.bus, 0x48, [0x02], readCount: 2) == [0x4B, 0x00])
        #expect(try writeRead(board.bus, 0x48, [0x03], readCount: 2) == [0x50, 0x00])
        board.tmp102.temperatureCelsius = -0.25
        #expect(try writeRead(board.bus, 0x48, [0x00], readCount: 2) == [0xFF, 0xC0])
        // Extended mode: 13 bits, bit 0 set. 150 °C = 0x960 (datasheet table 4) → 0x4B01.
        _ = try writeRead(board.bus, 0x48, [0x01, 0x60, 0xB0], readCount: 0)
        board.tmp102.temperatureCelsius = 150
        #expect(try writeRead(board.bus, 0x48, [0x00], readCount: 2) == [0x4B, 0x01])
        // The temperature register is read-only.
        #expect(throws: I2CError.noAcknowledge(.data)) { try writeRead(board.bus, 0x48, [0x00, 1, 2], readCount: 0) }
    }

    @Test func tmp102ComparatorAlertHasHysteresis() throws {
        let board = SimBoard()
        // T_high 30 °C, T_low 25 °C.
        _ = try writeRead(board.bus, 0x48, [0x03, 0x1E, 0x00], readCount: 0)
        _ = try writeRead(board.bus, 0x48, [0x02, 0x19, 0x00], readCount: 0)
        func alert() throws -> Bool { try writeRead(board.bus, 0x48, [0x01], readCount: 2)[1] & 0x20 == 0 }  // POL=0: active low
        board.tmp102.temperatureCelsius = 31
        _ = try writeRead(board.bus, 0x48, [0x00], readCount: 2)
        #expect(try alert())
        board.tmp102.temperatureCelsius = 27
        _ = try writeRead(board.bus, 0x48, [0x00], readCount: 2)
        #expect(try alert())
        board.tmp102.temperatureCelsius = 24
        _ = try writeRead(board.bus, 0x48, [0x00], readCount: 2)
        #expect(try !alert())
    }
}

@Suite struct SimBoardFileTests {
    @Test func standardBoardMatchesBoardsSimBoardTxt() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("boards/sim/board.txt")
        let file = try BoardFile.parse(Array(try Data(contentsOf: url)))
        let standard = SimBoard.standardFile
        #expect(file.name == standard.name)
        #expect(file.gpioChip == standard.gpioChip)
        #expect(file.gpioLines.map { "\($0.label)=\($0.offset)" } == standard.gpioLines.map { "\($0.label)=\($0.offset)" })
        #expect(file.i2cBuses.map { "\($0.label)=\($0.device)" } == standard.i2cBuses.map { "\($0.label)=\($0.device)" })
        #expect(file.sensors.map { "\($0.label)=\($0.driver) \($0.bus) \($0.address)" }
            == standard.sensors.map { "\($0.label)=\($0.driver) \($0.bus) \($0.address)" })
        #expect(standard.gpioLines.count == 2 && standard.sensors.count == 2)
    }

    @Test func boardFileBuildsLinesBusesAndChips() throws {
        let file = try BoardFile.parse("""
            name = bench
            platform = sim
            ram = 1M
            arena = 1M
            [gpio]
            chip = bench-gpio
            RELAY = 5
            [i2c]
            left = sim
            right = sim
            [sensor]
            inside = tmp102 right 0x49
            outside = bme280 left 0x77
            odd = sht31 left 0x44
            """)
        let board = SimBoard(file: file)
        #expect(board.devices.pins.map(\.label.text) == ["RELAY"])
        #expect(board.line("RELAY") == SimGPIO.LineRef(chip: 0, offset: 5))
        #expect(board.devices.sensors.map(\.label.text) == ["inside", "outside"])
        #expect(DeviceBoard.unknownDrivers(in: file).map(\.label) == ["odd"])
        #expect(board.tmp102("inside") != nil && board.bme280("outside") != nil)
        #expect(board.bus("right") !== board.bus("left"))
        let devices = try DeviceHost(board: board.devices, grants: DeviceGrants(pins: ["RELAY"], sensors: ["inside"]))
        let g = GuestHarness()
        let (label, length) = g.string("RELAY")
        let out = g.reserve(4)
        #expect(g.status(devices.gpio, "open", [label.arg, length.arg, 1, out.arg]) == .ok)
        #expect(board.gpio.isHeld(board.line("RELAY")!))
    }
}

@Suite struct SimEventTests {
    @Test func eventsDriveLinesAndSensorsAtTheirTimes() throws {
        let board = SimBoard()
        try board.schedule(event: "BUTTON=1@1200")
        try board.schedule(event: "BUTTON=z@1300ms")
        try board.schedule(event: "climate.pressure=99000.5")
        try board.schedule(event: "temperature.temperature=-12.25@50")
        board.clock.advance(nanoseconds: 100_000_000)
        #expect(board.bme280.pressurePascals == 99000.5)
        #expect(board.tmp102.temperatureCelsius == -12.25)
        #expect(board.level("BUTTON") == false)
        board.clock.advance(nanoseconds: 1_150_000_000)
        #expect(board.level("BUTTON") == true)
        board.clock.advance(nanoseconds: 100_000_000)
        #expect(board.level("BUTTON") == false)
    }

    @Test(arguments: [
        ("BUTTON", "expected TARGET=VALUE[@MS]"), ("=1", "expected TARGET=VALUE[@MS]"),
        ("NOPE=1", "the board has no line 'NOPE'"), ("BUTTON=2", "a line is driven 1, 0 or z (floating)"),
        ("BUTTON=1@soon", "time after @ is not whole milliseconds"),
        ("climate.temperature=warm", "'warm' is not a number"),
        ("temperature.humidity=40", "a tmp102 measures temperature only"),
        ("climate.wind=3", "a bme280 measures temperature, pressure and humidity"),
        ("garden.temperature=3", "the board has no simulated sensor 'garden'"),
    ])
    func badEventsAreExplained(event: String, reason: String) {
        #expect(throws: SimEventError(event: event, reason: reason)) { try SimBoard().schedule(event: event) }
    }
}
