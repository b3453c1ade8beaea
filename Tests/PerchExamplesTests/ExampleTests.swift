import PerchDevices
import PerchHALSim
import Testing

/// The C examples, built with the Swift toolchain's clang, run by the interpreter on the
/// simulated board with deterministic (simulated) time.
@Suite struct ExampleTests {
    @Test func blinkTogglesTheLEDEvery500ms() throws {
        let board = SimBoard()
        let run = try runOnSimBoard(try buildExample("blink"), board: board, grants: DeviceGrants(pins: ["LED"]), arguments: ["3"])
        #expect(run.trap == nil)
        #expect(run.exitCode == 0)
        #expect(run.stdout == """
            0 ms: LED on
            500 ms: LED off
            1000 ms: LED on
            1500 ms: LED off
            2000 ms: LED on
            2500 ms: LED off

            """)
        #expect(board.gpio.history(board.led).map { ($0.timestampNanoseconds / 1_000_000, $0.level) }.elementsEqual(
            [(0, true), (500, false), (1000, true), (1500, false), (2000, true), (2500, false)], by: ==))
        #expect(run.suspensions == 6)
    }

    @Test func blinkWithoutAGrantIsDenied() throws {
        let board = SimBoard()
        let run = try runOnSimBoard(try buildExample("blink"), board: board, grants: DeviceGrants())
        #expect(run.exitCode == 1)
        #expect(run.stdout == "blink: cannot open LED (status 1)\n")
        #expect(board.gpio.transitionCount(board.led) == 0)
    }

    @Test func buttonPressesToggleTheLED() throws {
        let board = SimBoard()
        for (press, release) in [(1200, 1300), (2000, 2050)] {
            board.clock.schedule(atMilliseconds: UInt64(press)) { board.setButton(pressed: true) }
            board.clock.schedule(atMilliseconds: UInt64(release)) { board.setButton(pressed: false) }
        }
        let run = try runOnSimBoard(try buildExample("button"), board: board, grants: DeviceGrants(pins: ["LED", "BUTTON"]))
        #expect(run.trap == nil)
        #expect(run.exitCode == 0)
        #expect(run.stdout == """
            1200 ms: press 1, LED on
            2000 ms: press 2, LED off
            5000 ms: no press for 3 s, 2 presses

            """)
        #expect(board.gpio.history(board.led).map { $0.timestampNanoseconds / 1_000_000 } == [1200, 2000])
        #expect(!board.gpio.isHeld(board.button))
    }

    @Test func weatherPrintsTheBME280Readings() throws {
        let board = SimBoard()
        board.bme280.temperatureCelsius = 21.37
        board.bme280.pressurePascals = 100_650
        board.bme280.humidityPercent = 45.5
        board.clock.schedule(atMilliseconds: 1500) { board.bme280.temperatureCelsius = -3.2 }
        let run = try runOnSimBoard(try buildExample("weather"), board: board, grants: DeviceGrants(sensors: ["climate"]))
        #expect(run.trap == nil)
        #expect(run.exitCode == 0)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        // "T ms: C.CCC C, P Pa, H.HHH %RH"; values within the chip's output resolution.
        let expected: [(Int, Double)] = [(0, 21.37), (1000, 21.37), (2000, -3.2)]
        for (line, (time, celsius)) in zip(lines, expected) {
            let fields = line.split(separator: " ")
            #expect(fields[0] == "\(time)")
            #expect(abs(Double(fields[2])! - celsius) <= 0.01, "\(line)")
            #expect(abs(Double(fields[4])! - 100_650) <= 2, "\(line)")
            #expect(abs(Double(fields[6])! - 45.5) <= 0.05, "\(line)")
        }
    }

    @Test func thermostatSwitchesWithHysteresis() throws {
        let board = SimBoard()
        board.tmp102.temperatureCelsius = 18.5
        board.clock.schedule(atMilliseconds: 2500) { board.tmp102.temperatureCelsius = 20.5 }
        board.clock.schedule(atMilliseconds: 4500) { board.tmp102.temperatureCelsius = 21.5 }
        board.clock.schedule(atMilliseconds: 7500) { board.tmp102.temperatureCelsius = 19.5 }
        let run = try runOnSimBoard(
            try buildExample("thermostat"), board: board, grants: DeviceGrants(pins: ["LED"], sensors: ["temperature"]))
        #expect(run.trap == nil)
        #expect(run.exitCode == 0)
        #expect(run.stdout == """
            0 ms: 18.500 C, heater on
            1000 ms: 18.500 C, heater on
            2000 ms: 18.500 C, heater on
            3000 ms: 20.500 C, heater on
            4000 ms: 20.500 C, heater on
            5000 ms: 21.500 C, heater off
            6000 ms: 21.500 C, heater off
            7000 ms: 21.500 C, heater off
            8000 ms: 19.500 C, heater on
            9000 ms: 19.500 C, heater on

            """)
        #expect(board.gpio.history(board.led).map { ($0.timestampNanoseconds / 1_000_000, $0.level) }.elementsEqual(
            [(0, true), (5000, false), (8000, true)], by: ==))
    }
}
