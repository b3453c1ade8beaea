import PerchCore
import PerchHAL
import PerchHALSim
import PerchDevices
import Testing

private func host(_ board: SimBoard, pins: [String] = [], buses: [String] = [], sensors: [String] = []) throws -> DeviceHost {
    try DeviceHost(board: board.devices, grants: DeviceGrants(pins: pins, buses: buses, sensors: sensors))
}

/// Opens a pin; (status, handle).
private func openPin(_ g: GuestHarness, _ module: GPIOModule, _ label: String, flags: UInt32) -> (DeviceStatus?, UInt32) {
    let (pointer, length) = g.string(label)
    let out = g.reserve(4)
    let status = g.status(module, "open", [pointer.arg, length.arg, flags.arg, out.arg])
    return (status, g.u32(at: out))
}

@Suite struct GPIOModuleTests {
    @Test func grantedOutputSetsGetsAndToggles() throws {
        let board = SimBoard()
        let devices = try host(board, pins: ["LED"])
        let g = GuestHarness()
        let (status, led) = openPin(g, devices.gpio, "LED", flags: GPIOModule.Flag.output)
        #expect(status == .ok)
        #expect(led != 0)
        #expect(g.status(devices.gpio, "set", [led.arg, 1]) == .ok)
        #expect(board.gpio.level(board.led) == true)
        #expect(g.status(devices.gpio, "toggle", [led.arg]) == .ok)
        #expect(board.gpio.level(board.led) == false)
        let out = g.reserve(4)
        g.setU32(7, at: out)
        #expect(g.status(devices.gpio, "get", [led.arg, out.arg]) == .ok)
        #expect(g.u32(at: out) == 0)
        #expect(board.gpio.transitionCount(board.led) == 2)
        #expect(devices.diagnostics.failureCount == 0)
    }

    @Test func ungrantedPinIsDeniedByName() throws {
        let board = SimBoard()
        let devices = try host(board, pins: ["LED"])
        let g = GuestHarness()
        #expect(openPin(g, devices.gpio, "BUTTON", flags: 0).0 == .denied)
        #expect(devices.diagnostics.last?.message == "gpio.open: pin 'BUTTON' not granted")
        #expect(!board.gpio.isHeld(board.button))
    }

    @Test func nothingIsGrantedByDefault() throws {
        let devices = try host(SimBoard())
        let g = GuestHarness()
        #expect(openPin(g, devices.gpio, "LED", flags: GPIOModule.Flag.output).0 == .denied)
    }

    @Test func unknownLabelIsNotFoundByName() throws {
        let devices = try host(SimBoard(), pins: ["LED"])
        let g = GuestHarness()
        #expect(openPin(g, devices.gpio, "LED7", flags: 0).0 == .notFound)
        #expect(devices.diagnostics.last?.message == "gpio.open: pin 'LED7' not declared by the board")
    }

    @Test func twoHoldersNeverShareALine() throws {
        let board = SimBoard()
        let first = try host(board, pins: ["LED"])
        let second = try host(board, pins: ["LED"])
        let g = GuestHarness()
        let (status, led) = openPin(g, first.gpio, "LED", flags: GPIOModule.Flag.output)
        #expect(status == .ok)
        #expect(openPin(g, second.gpio, "LED", flags: GPIOModule.Flag.output).0 == .busy)
        #expect(second.diagnostics.last?.message == "gpio.open: pin 'LED' busy (held by another holder)")
        #expect(openPin(g, first.gpio, "LED", flags: GPIOModule.Flag.output).0 == .busy)
        #expect(g.status(first.gpio, "close", [led.arg]) == .ok)
        #expect(openPin(g, second.gpio, "LED", flags: GPIOModule.Flag.output).0 == .ok)
    }

    @Test func closedAndMadeUpHandlesAreRejected() throws {
        let devices = try host(SimBoard(), pins: ["LED"])
        let g = GuestHarness()
        let (_, led) = openPin(g, devices.gpio, "LED", flags: GPIOModule.Flag.output)
        #expect(g.status(devices.gpio, "close", [led.arg]) == .ok)
        #expect(g.status(devices.gpio, "set", [led.arg, 1]) == .badHandle)
        // The slot is reused, but the old handle stays dead.
        let (_, again) = openPin(g, devices.gpio, "LED", flags: GPIOModule.Flag.output)
        #expect(again != led)
        #expect(g.status(devices.gpio, "set", [led.arg, 1]) == .badHandle)
        #expect(g.status(devices.gpio, "set", [again.arg, 1]) == .ok)
        for bogus: UInt32 in [0, 0xFFFF_FFFF, 0x100, 17] {
            #expect(g.status(devices.gpio, "toggle", [bogus.arg]) == .badHandle)
        }
        #expect(devices.diagnostics.last?.message == "gpio.toggle: handle 0x11 not an open handle")
    }

    @Test func badGuestPointersAreFaultsWithNoSideEffects() throws {
        let board = SimBoard()
        let devices = try host(board, pins: ["LED"])
        let g = GuestHarness()
        let (pointer, length) = g.string("LED")
        // The label runs past the end of memory.
        #expect(g.status(devices.gpio, "open", [65534, 3, GPIOModule.Flag.output.arg, 16]) == .fault)
        #expect(devices.diagnostics.last?.message == "gpio.open: pointer 0xfffe outside guest memory")
        // The handle out-parameter does not fit: the line must not be taken.
        #expect(g.status(devices.gpio, "open", [pointer.arg, length.arg, GPIOModule.Flag.output.arg, 65533]) == .fault)
        #expect(!board.gpio.isHeld(board.led))
        let (_, led) = openPin(g, devices.gpio, "LED", flags: GPIOModule.Flag.output)
        #expect(g.status(devices.gpio, "get", [led.arg, 0xFFFF_FFFF]) == .fault)
        #expect(g.status(devices.gpio, "wait_edge", [led.arg, 1, 0, 65530]) == .invalid)  // an output has no edges
    }

    @Test func badFlagsAreInvalid() throws {
        let devices = try host(SimBoard(), pins: ["LED", "BUTTON"])
        let g = GuestHarness()
        #expect(openPin(g, devices.gpio, "LED", flags: 0x80).0 == .invalid)
        #expect(openPin(g, devices.gpio, "LED", flags: GPIOModule.Flag.output | GPIOModule.Flag.risingEdge).0 == .invalid)
        let (_, button) = openPin(g, devices.gpio, "BUTTON", flags: 0)
        #expect(g.status(devices.gpio, "set", [button.arg, 1]) == .unsupported)
        #expect(devices.diagnostics.last?.message == "gpio.set: pin 'BUTTON' unsupported")
    }

    /// Waits like the SDK does: repeat while pending, letting the (simulated) runtime
    /// sleep for the suspension the module asks for.
    private func waitEdge(
        _ g: GuestHarness, _ devices: DeviceHost, _ board: SimBoard, handle: UInt32, edges: UInt32, timeout: Int32, out: UInt32
    ) -> (DeviceStatus?, Int) {
        var suspensions = 0
        while true {
            let (result, outcome) = g.call(devices.gpio, "wait_edge", [handle.arg, edges.arg, UInt64(UInt32(bitPattern: timeout)), out.arg])
            let status = DeviceStatus(rawValue: UInt32(truncatingIfNeeded: result))
            guard status == .pending else { return (status, suspensions) }
            guard case .suspend(let nanoseconds) = outcome else { return (nil, suspensions) }
            suspensions += 1
            board.clock.sleep(nanoseconds: nanoseconds)
        }
    }

    @Test func waitEdgeSuspendsUntilThePress() throws {
        let board = SimBoard()
        let devices = try host(board, pins: ["BUTTON"])
        let g = GuestHarness()
        let flags = GPIOModule.Flag.risingEdge | 3 << GPIOModule.Flag.biasShift  // pull-down
        let (_, button) = openPin(g, devices.gpio, "BUTTON", flags: flags)
        board.clock.schedule(atMilliseconds: 25) { board.setButton(pressed: true) }
        let out = g.reserve(16)
        let (status, suspensions) = waitEdge(g, devices, board, handle: button, edges: 1, timeout: -1, out: out)
        #expect(status == .ok)
        #expect(suspensions == 25)  // 1 ms polls on the simulated clock
        #expect(g.u64(at: out) == 25_000_000)
        #expect(g.u32(at: out + 8) == 1)
    }

    @Test func waitEdgeTimesOut() throws {
        let board = SimBoard()
        let devices = try host(board, pins: ["BUTTON"])
        let g = GuestHarness()
        let (_, button) = openPin(g, devices.gpio, "BUTTON", flags: GPIOModule.Flag.risingEdge | GPIOModule.Flag.fallingEdge)
        let out = g.reserve(16)
        #expect(waitEdge(g, devices, board, handle: button, edges: 3, timeout: 0, out: out).0 == .timedOut)
        #expect(board.clock.nanoseconds == 0)
        let (status, _) = waitEdge(g, devices, board, handle: button, edges: 3, timeout: 10, out: out)
        #expect(status == .timedOut)
        #expect(board.clock.nanoseconds == 10_000_000)
        // A falling edge does not end a wait for rising ones.
        board.clock.schedule(atMilliseconds: 12) { board.gpio.drive(board.button, true) }
        board.clock.schedule(atMilliseconds: 14) { board.gpio.drive(board.button, false) }
        #expect(waitEdge(g, devices, board, handle: button, edges: 2, timeout: 50, out: out).0 == .ok)
        #expect(g.u64(at: out) == 14_000_000)
        #expect(g.u32(at: out + 8) == 2)
        #expect(g.status(devices.gpio, "wait_edge", [button.arg, 4, 0, out.arg]) == .invalid)
    }

    /// A board whose clock a queued edge wakes (Linux: the line's event descriptor): the
    /// waiting guest stays suspended for its whole timeout, not resumed every millisecond.
    @Test func waitSuspendsForTheWholeTimeoutWhenTheBoardWakesAtTheEdge() throws {
        let sim = SimBoard()
        let gpio = EdgeWakingGPIO(sim.gpio)
        let board = DeviceBoard(name: sim.devices.name, gpio: gpio, clock: sim.clock, pins: sim.devices.pins, buses: [], sensors: [])
        let devices = try DeviceHost(board: board, grants: DeviceGrants(pins: ["BUTTON"]))
        let g = GuestHarness()
        let (_, button) = openPin(g, devices.gpio, "BUTTON", flags: GPIOModule.Flag.risingEdge)
        let out = g.reserve(16)
        let (result, outcome) = g.call(devices.gpio, "wait_edge", [button.arg, 1, 40, out.arg])
        #expect(DeviceStatus(rawValue: UInt32(truncatingIfNeeded: result)) == .pending)
        #expect(outcome == .suspend(wakeAfterNanoseconds: 40_000_000))
        #expect(gpio.armed.count == 1)
        // The board woke the runtime early: the edge is there on the next call.
        sim.clock.sleep(nanoseconds: 3_000_000)
        sim.setButton(pressed: true)
        #expect(g.status(devices.gpio, "wait_edge", [button.arg, 1, 40, out.arg]) == .ok)
        #expect(g.u64(at: out) == 3_000_000)
        // A wait for ever is suspended for the longest suspension, and suspended again.
        let (_, forever) = g.call(devices.gpio, "wait_edge", [button.arg, 1, UInt64(UInt32(bitPattern: -1)), out.arg])
        #expect(forever == .suspend(wakeAfterNanoseconds: GPIOModule.longestSuspensionNanoseconds))
        #expect(gpio.armed.count == 2)
    }

    @Test func closeAllReleasesLines() throws {
        let board = SimBoard()
        let devices = try host(board, pins: ["LED", "BUTTON"])
        let g = GuestHarness()
        _ = openPin(g, devices.gpio, "LED", flags: GPIOModule.Flag.output)
        _ = openPin(g, devices.gpio, "BUTTON", flags: 0)
        devices.closeAll()
        #expect(!board.gpio.isHeld(board.led))
        #expect(!board.gpio.isHeld(board.button))
    }

    @Test func handleTableIsFixedSize() throws {
        let clock = SimClock()
        let names = (0..<20).map { "L\($0)" }
        let gpio = SimGPIO(clock: clock, chips: [(label: "c", lines: names)])
        let board = DeviceBoard(
            name: Label("many"), gpio: gpio, clock: clock,
            pins: names.enumerated().map { BoardPin(label: Label($1), chip: Label("c"), line: .offset(UInt32($0))) },
            buses: [], sensors: [])
        let devices = try DeviceHost(board: board, grants: DeviceGrants(pins: names))
        let g = GuestHarness()
        for name in names.prefix(16) { #expect(openPin(g, devices.gpio, name, flags: 0).0 == .ok) }
        #expect(openPin(g, devices.gpio, "L16", flags: 0).0 == .noHandles)
        #expect(!gpio.isHeld(gpio.line(chip: "c", name: "L16")!))
    }
}

private func openBus(_ g: GuestHarness, _ devices: DeviceHost, _ label: String) -> (DeviceStatus?, UInt32) {
    let (pointer, length) = g.string(label)
    let out = g.reserve(4)
    return (g.status(devices.i2c, "open", [pointer.arg, length.arg, out.arg]), g.u32(at: out))
}

@Suite struct I2CModuleTests {
    @Test func writeReadWithRepeatedStart() throws {
        let board = SimBoard()
        let devices = try host(board, buses: ["i2c1"])
        let g = GuestHarness()
        let (status, bus) = openBus(g, devices, "i2c1")
        #expect(status == .ok)
        let register = g.reserve(1)
        g.setBytes([0xD0], at: register)
        let id = g.reserve(1)
        #expect(g.status(devices.i2c, "write_read", [bus.arg, 0x76, register.arg, 1, id.arg, 1]) == .ok)
        #expect(g.bytes(at: id, count: 1) == [0x60])
        // The same as separate write and read calls (the pointer register persists).
        let calibration = g.reserve(2)
        g.setBytes([0x88], at: register)
        #expect(g.status(devices.i2c, "write", [bus.arg, 0x76, register.arg, 1]) == .ok)
        #expect(g.status(devices.i2c, "read", [bus.arg, 0x76, calibration.arg, 2]) == .ok)
        #expect(g.bytes(at: calibration, count: 2) == [0x70, 0x6B])
    }

    @Test func transactionRunsEverySegment() throws {
        let board = SimBoard()
        board.tmp102.temperatureCelsius = 25
        let devices = try host(board, buses: ["i2c1"])
        let g = GuestHarness()
        let (_, bus) = openBus(g, devices, "i2c1")
        let pointer = g.reserve(1)
        g.setBytes([0x00], at: pointer)
        let data = g.reserve(2)
        let records = g.reserve(24)
        for (i, value) in [0, pointer, 1, 1, data, 2].enumerated() { g.setU32(value, at: records + UInt32(4 * i)) }
        #expect(g.status(devices.i2c, "transaction", [bus.arg, 0x48, records.arg, 2]) == .ok)
        #expect(g.bytes(at: data, count: 2) == [0x19, 0x00])
        g.setU32(2, at: records)  // kind 2 does not exist
        #expect(g.status(devices.i2c, "transaction", [bus.arg, 0x48, records.arg, 2]) == .invalid)
        #expect(g.status(devices.i2c, "transaction", [bus.arg, 0x48, records.arg, 0]) == .invalid)
        #expect(g.status(devices.i2c, "transaction", [bus.arg, 0x48, records.arg, 9]) == .invalid)
        #expect(g.status(devices.i2c, "transaction", [bus.arg, 0x48, 65530, 2]) == .fault)
        g.setU32(0, at: records)
        g.setU32(70000, at: records + 4)  // a segment buffer outside memory
        #expect(g.status(devices.i2c, "transaction", [bus.arg, 0x48, records.arg, 2]) == .fault)
    }

    @Test func absentChipIsAnAddressNAKNamingBusAndAddress() throws {
        let devices = try host(SimBoard(), buses: ["i2c1"])
        let g = GuestHarness()
        let (_, bus) = openBus(g, devices, "i2c1")
        let buffer = g.reserve(4)
        #expect(g.status(devices.i2c, "read", [bus.arg, 0x10, buffer.arg, 4]) == .i2cNoAcknowledgeAddress)
        #expect(devices.diagnostics.last?.message == "i2c.read: bus 'i2c1' 0x10 no acknowledge (address)")
    }

    @Test(arguments: [
        (I2CError.timeout, DeviceStatus.i2cTimeout), (.arbitrationLoss, .i2cArbitrationLoss), (.bus, .i2cBus),
        (.overrun, .i2cOverrun), (.noAcknowledge(.data), .i2cNoAcknowledgeData), (.other(errno: 5), .i2cOther),
    ])
    func busFaultsReachTheGuestAsCodes(fault: I2CError, status: DeviceStatus) throws {
        let board = SimBoard()
        let devices = try host(board, buses: ["i2c1"])
        let g = GuestHarness()
        let (_, bus) = openBus(g, devices, "i2c1")
        let buffer = g.reserve(1)
        board.bus.injectFault(fault)
        #expect(g.status(devices.i2c, "read", [bus.arg, 0x76, buffer.arg, 1]) == status)
        #expect(g.status(devices.i2c, "read", [bus.arg, 0x76, buffer.arg, 1]) == .ok)  // recovered
    }

    @Test func deniedUnknownAndInvalidArguments() throws {
        let board = SimBoard()
        let g = GuestHarness()
        let denied = try host(board)
        #expect(openBus(g, denied, "i2c1").0 == .denied)
        #expect(denied.diagnostics.last?.message == "i2c.open: bus 'i2c1' not granted")
        let devices = try host(board, buses: ["i2c1"])
        #expect(openBus(g, devices, "i2c9").0 == .notFound)
        let (_, bus) = openBus(g, devices, "i2c1")
        let buffer = g.reserve(4)
        #expect(g.status(devices.i2c, "read", [bus.arg, 0x80, buffer.arg, 1]) == .invalid)
        #expect(g.status(devices.i2c, "read", [bus.arg, 0x76, 65535, 2]) == .fault)
        #expect(g.status(devices.i2c, "read", [bus.arg, 0x76, buffer.arg, 0x10000]) == .invalid)
        #expect(g.status(devices.i2c, "read", [0x99, 0x76, buffer.arg, 1]) == .badHandle)
        #expect(board.bus.transferCount == 0)
    }
}

private func openSensor(_ g: GuestHarness, _ devices: DeviceHost, _ label: String) -> (DeviceStatus?, UInt32) {
    let (pointer, length) = g.string(label)
    let out = g.reserve(4)
    return (g.status(devices.sensor, "open", [pointer.arg, length.arg, out.arg]), g.u32(at: out))
}

@Suite struct SensorModuleTests {
    @Test func listsTheBoardsSensors() throws {
        let devices = try host(SimBoard())
        let g = GuestHarness()
        #expect(g.call(devices.sensor, "count", []).result == 2)
        let buffer = g.reserve(32)
        let length = g.reserve(4)
        #expect(g.status(devices.sensor, "name", [0, buffer.arg, 32, length.arg]) == .ok)
        #expect(g.bytes(at: buffer, count: Int(g.u32(at: length))) == Array("climate".utf8))
        #expect(g.status(devices.sensor, "name", [1, buffer.arg, 4, length.arg]) == .invalid)
        #expect(g.u32(at: length) == 11)  // "temperature"
        #expect(g.status(devices.sensor, "name", [2, buffer.arg, 32, length.arg]) == .notFound)
    }

    @Test func readsBME280ChannelsInSIUnits() throws {
        let board = SimBoard()
        board.bme280.temperatureCelsius = 22.5
        board.bme280.pressurePascals = 98_765
        board.bme280.humidityPercent = 55.25
        let devices = try host(board, sensors: ["climate"])
        let g = GuestHarness()
        let (status, climate) = openSensor(g, devices, "climate")
        #expect(status == .ok)
        let mask = g.reserve(4)
        #expect(g.status(devices.sensor, "channels", [climate.arg, mask.arg]) == .ok)
        #expect(g.u32(at: mask) == 7)
        let value = g.reserve(8)
        let expected: [(UInt32, Int64, Int64)] = [(0, 22_500, 10), (1, 98_765, 2), (2, 55_250, 50)]
        for (channel, target, tolerance) in expected {
            #expect(g.status(devices.sensor, "read", [climate.arg, channel.arg, value.arg]) == .ok)
            #expect(abs(Int64(bitPattern: g.u64(at: value)) - target) <= tolerance)
        }
        #expect(g.status(devices.sensor, "read", [climate.arg, 3, value.arg]) == .unsupported)
    }

    @Test func readsTMP102NegativeTemperatures() throws {
        let board = SimBoard()
        board.tmp102.temperatureCelsius = -7.25
        let devices = try host(board, sensors: ["temperature"])
        let g = GuestHarness()
        let (_, sensor) = openSensor(g, devices, "temperature")
        let value = g.reserve(8)
        #expect(g.status(devices.sensor, "read", [sensor.arg, 0, value.arg]) == .ok)
        #expect(Int64(bitPattern: g.u64(at: value)) == -7250)
        #expect(g.status(devices.sensor, "read", [sensor.arg, 2, value.arg]) == .unsupported)
        #expect(devices.diagnostics.last?.message == "sensor.read: sensor 'temperature' 0x2 unsupported")
    }

    @Test func noMeasurementYetIsPendingAndSuspends() throws {
        let board = SimBoard()
        let devices = try host(board, buses: ["i2c1"], sensors: ["climate"])
        let g = GuestHarness()
        let (_, climate) = openSensor(g, devices, "climate")
        // Switch temperature oversampling off behind the driver's back: the chip then
        // reports its "no measurement" value 0x80000.
        let (_, bus) = openBus(g, devices, "i2c1")
        let command = g.reserve(2)
        g.setBytes([0xF4, 0x03], at: command)
        #expect(g.status(devices.i2c, "write", [bus.arg, 0x76, command.arg, 2]) == .ok)
        let value = g.reserve(8)
        let (result, outcome) = g.call(devices.sensor, "read", [climate.arg, 0, value.arg])
        #expect(DeviceStatus(rawValue: UInt32(result)) == .pending)
        #expect(outcome == .suspend(wakeAfterNanoseconds: 1_000_000))
        g.setBytes([0xF4, 0x27], at: command)
        #expect(g.status(devices.i2c, "write", [bus.arg, 0x76, command.arg, 2]) == .ok)
        #expect(g.status(devices.sensor, "read", [climate.arg, 0, value.arg]) == .ok)
    }

    @Test func sensorErrorsAreNamed() throws {
        let board = SimBoard()
        let g = GuestHarness()
        let denied = try host(board, sensors: ["temperature"])
        #expect(openSensor(g, denied, "climate").0 == .denied)
        #expect(openSensor(g, denied, "nope").0 == .notFound)
        board.bus.detach(address: 0x48)
        #expect(openSensor(g, denied, "temperature").0 == .i2cNoAcknowledgeAddress)
        #expect(denied.diagnostics.last?.message == "sensor.open: sensor 'temperature' no acknowledge (address)")
        let devices = try host(board, sensors: ["climate"])
        let (_, climate) = openSensor(g, devices, "climate")
        let value = g.reserve(8)
        board.bus.injectFault(.timeout)
        #expect(g.status(devices.sensor, "read", [climate.arg, 0, value.arg]) == .i2cTimeout)
        #expect(g.status(devices.sensor, "read", [climate.arg, 0, 65532]) == .fault)
    }
}

@Suite struct TimeModuleTests {
    @Test func clockAndSleep() throws {
        let board = SimBoard()
        let devices = try host(board)
        let g = GuestHarness()
        board.clock.advance(nanoseconds: 1_234_567_890)
        #expect(g.call(devices.time, "monotonic_ms", []).result == 1234)
        let (result, outcome) = g.call(devices.time, "sleep_ms", [250])
        #expect(result == 0)
        #expect(outcome == .suspend(wakeAfterNanoseconds: 250_000_000))
        #expect(g.status(devices.time, "sleep_ms", [0xFFFF_FFFF]) == .invalid)
    }

    @Test func signaturesMatchTheDocumentedImports() throws {
        let devices = try host(SimBoard())
        let expected: [(any HostModule, StaticString, StaticString)] = [
            (devices.gpio, "open", "iiii)i"), (devices.gpio, "wait_edge", "iiii)i"),
            (devices.i2c, "write_read", "iiiiii)i"), (devices.sensor, "read", "iii)i"),
            (devices.time, "monotonic_ms", ")I"),
        ]
        for (module, name, signature) in expected {
            let index = try #require(module.lookup(field: NameBytes(name)))
            #expect(NameBytes(module.signature(of: index).text) == NameBytes(signature))
        }
        #expect(devices.gpio.lookup(field: NameBytes("nope")) == nil)
        #expect(devices.modules.map { NameBytes($0.moduleName).string } == ["gpio", "i2c", "sensor", "time"])
    }
}

@Suite struct GrantTests {
    @Test func grantsParseAndAreCheckedAgainstTheBoard() throws {
        var grants = DeviceGrants()
        #expect(grants.add("gpio:LED") == .added)
        #expect(grants.add("sensor:climate") == .added)
        #expect(grants.add("i2c:") == .emptyLabel)
        #expect(grants.add("dir:/tmp") == .notDevice)
        #expect(grants.add("LED") == .notDevice)
        _ = try DeviceHost(board: SimBoard().devices, grants: grants)
        #expect(grants.add("gpio:LED9") == .added)
        #expect(throws: DeviceSetupError.unknownGrant(kind: "gpio", label: Label("LED9"))) {
            try DeviceHost(board: SimBoard().devices, grants: grants)
        }
        #expect(DeviceSetupError.unknownGrant(kind: "gpio", label: Label("LED9")).message
            == "grant gpio:LED9: the board declares no gpio 'LED9'")
    }
}

/// A GPIO controller that says the board clock wakes at edges, recording what was armed.
private final class EdgeWakingGPIO: GPIOController {
    let inner: any GPIOController
    var armed: [GPIOLineID] = []

    init(_ inner: any GPIOController) { self.inner = inner }

    func request(chip: NameBytes, line: GPIOLineSelector, settings: GPIOLineSettings) throws(GPIOError) -> GPIOLineID {
        try inner.request(chip: chip, line: line, settings: settings)
    }
    func setValue(_ line: GPIOLineID, _ value: Bool) throws(GPIOError) { try inner.setValue(line, value) }
    func value(_ line: GPIOLineID) throws(GPIOError) -> Bool { try inner.value(line) }
    func nextEdge(_ line: GPIOLineID) throws(GPIOError) -> GPIOEdgeEvent? { try inner.nextEdge(line) }
    func release(_ line: GPIOLineID) { inner.release(line) }
    func wakeOnEdge(_ line: GPIOLineID) -> Bool {
        armed.append(line)
        return true
    }
}
