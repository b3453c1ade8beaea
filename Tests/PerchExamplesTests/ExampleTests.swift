@testable import PerchCLI
import PerchCore
import PerchHALSim
import PerchPlatform
import Testing

/// The C examples, built with the Swift toolchain's clang, run as `perch run --board sim`
/// runs them: interpreter, WASI and device modules, deterministic simulated time.
/// blink, button, weather and thermostat are also the emulated board's cases
/// (`make test-emulated`, boards/qemu-virt-arm64/tests/examples.sh): the same module, the
/// same scenario and the same expected output, examples/NAME/expected-output.txt, which
/// both tiers read.
@Suite struct ExampleTests {
    @Test func blinkTogglesTheLEDEvery500ms() throws {
        let (report, stdout, board) = try runExample("blink", arguments: ["3"], grants: ["gpio:LED"])
        #expect(report.error == nil)
        #expect(report.status == 0)
        #expect(stdout == (try expectedOutput("blink")))
        #expect(board.gpio.history(board.led).map { ($0.timestampNanoseconds / 1_000_000, $0.level) }.elementsEqual(
            [(0, true), (500, false), (1000, true), (1500, false), (2000, true), (2500, false)], by: ==))
        #expect(!board.gpio.isHeld(board.led))
    }

    @Test func swiftBlinkUsesTheEmbeddedSwiftSDK() throws {
        let (report, stdout, board) = try runExample("swift-blink", grants: ["gpio:LED"])
        #expect(report.error == nil)
        #expect(report.status == 0)
        #expect(stdout == (try expectedOutput("blink")))  // it blinks like `blink 3`
        #expect(board.gpio.history(board.led).map { $0.timestampNanoseconds / 1_000_000 } == [0, 500, 1000, 1500, 2000, 2500])
        let (denied, deniedOutput, _) = try runExample("swift-blink", grants: [])
        #expect(denied.status == 1)
        #expect(deniedOutput == "swift-blink: device status 1\n")
    }

    @Test func blinkWithoutAGrantIsDenied() throws {
        let (report, stdout, board) = try runExample("blink", grants: [])
        #expect(report.status == 1)
        #expect(stdout == "blink: cannot open LED (status 1)\n")
        #expect(board.gpio.transitionCount(board.led) == 0)
    }

    @Test func buttonPressesToggleTheLED() throws {
        let (report, stdout, board) = try runExample(
            "button", grants: ["gpio:LED", "gpio:BUTTON"],
            sim: ["BUTTON=1@1200", "BUTTON=z@1300", "BUTTON=1@2000", "BUTTON=z@2050"])
        #expect(report.error == nil)
        #expect(report.status == 0)
        #expect(stdout == (try expectedOutput("button")))
        #expect(board.gpio.history(board.led).map { $0.timestampNanoseconds / 1_000_000 } == [1200, 2000])
        #expect(!board.gpio.isHeld(board.button))
    }

    @Test func weatherPrintsTheBME280Readings() throws {
        let (report, stdout, _) = try runExample(
            "weather", grants: ["sensor:climate"],
            sim: ["climate.temperature=21.37", "climate.pressure=100650", "climate.humidity=45.5",
                  "climate.temperature=-3.2@1500"])
        #expect(report.error == nil)
        #expect(report.status == 0)
        #expect(stdout == (try expectedOutput("weather")))
        let lines = stdout.split(separator: "\n").map(String.init)
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
        let (report, stdout, board) = try runExample(
            "thermostat", grants: ["gpio:LED", "sensor:temperature"],
            sim: ["temperature.temperature=18.5", "temperature.temperature=20.5@2500",
                  "temperature.temperature=21.5@4500", "temperature.temperature=19.5@7500"])
        #expect(report.error == nil)
        #expect(report.status == 0)
        #expect(stdout == (try expectedOutput("thermostat")))
        #expect(board.gpio.history(board.led).map { ($0.timestampNanoseconds / 1_000_000, $0.level) }.elementsEqual(
            [(0, true), (5000, false), (8000, true)], by: ==))
    }

    /// i2c-probe reads what the simulated BME280 holds, and refuses arguments it cannot
    /// use by name instead of reading one byte (it once turned a bad COUNT into 1).
    @Test func i2cProbeReadsARegisterAndRefusesBadArguments() throws {
        let (read, readOutput, _) = try runExample("i2c-probe", arguments: ["i2c1", "0x76", "0xd0", "1"], grants: ["i2c:i2c1"])
        #expect(read.status == 0)
        #expect(readOutput == "i2c1 0x76 register 0xd0: 60\n")  // the BME280's chip id
        let refusals: [([String], String)] = [
            (["0x76", "0xd0", "0"], "i2c-probe: COUNT '0' is not a byte count (1 to 32)\n"),
            (["0x76", "0xd0", "33"], "i2c-probe: COUNT '33' is not a byte count (1 to 32)\n"),
            (["0x76", "0xd0", "two"], "i2c-probe: COUNT 'two' is not a byte count (1 to 32)\n"),
            (["0x76", "0xd0", "-1"], "i2c-probe: COUNT '-1' is not a byte count (1 to 32)\n"),
            (["0x76", "0x100", "1"], "i2c-probe: REGISTER '0x100' is not a register number (0 to 0xff)\n"),
            (["0x7g", "0", "1"], "i2c-probe: ADDRESS '0x7g' is not a number\n"),
        ]
        for (arguments, message) in refusals {
            let (report, output, _) = try runExample("i2c-probe", arguments: ["i2c1"] + arguments, grants: ["i2c:i2c1"])
            #expect(report.status == 2, "\(arguments)")
            #expect(output == message)
        }
    }

    @Test func boardSetUpErrorsAreReported() throws {
        let base = Platform(clock: SimulatedClock(), random: DeterministicRandom(), files: MemoryFileSystem())
        let sim = SimBoard.standardFile
        var bareMetal = sim
        bareMetal.platform = .baremetal
        let failures: [(BoardFile?, [String], [String], String)] = [
            (nil, ["gpio:LED"], [], "perch: --grant and --sim need a board (--board sim, or --board boards/NAME)"),
            (sim, ["gpio:LED9"], [], "perch: grant gpio:LED9: the board declares no gpio 'LED9'"),
            (sim, [], ["LED=2"], "perch: --sim 'LED=2': a line is driven 1, 0 or z (floating)"),
            (bareMetal, [], [], "perch: board 'sim' is bare metal: its firmware image runs there, not perch run"),
        ]
        for (board, grants, events, message) in failures {
            guard case .failure(let failure) = try makeRunDevices(board: board, grants: grants, simEvents: events, base: base) else {
                Issue.record("expected a failure for \(message)")
                continue
            }
            #expect(failure.message == message)
        }
        #expect(throws: UsageError.self) { try makeRunDevices(board: SimBoard.standardFile, grants: ["LED"], simEvents: [], base: base) }
        guard case .success(nil) = try makeRunDevices(board: nil, grants: [], simEvents: [], base: base) else {
            Issue.record("no board means no devices")
            return
        }
    }
}

/// What an example prints on the simulated board in its test scenario; the emulated
/// board's tier expects the same lines (timestamps aside).
func expectedOutput(_ name: String) throws -> String {
    try String(contentsOf: packageRoot.appendingPathComponent("examples/\(name)/expected-output.txt"), encoding: .utf8)
}
