import Foundation
import Testing

@testable import PerchCore

/// The package root, from this file's path (Tests/PerchCoreTests/<file>).
private let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

private func parse(_ text: String) throws(BoardFileError) -> BoardFile {
    try BoardFile.parse(Array(text.utf8))
}

private func error(_ text: String) -> BoardFileError? {
    do throws(BoardFileError) {
        _ = try parse(text)
        return nil
    } catch {
        return error
    }
}

private let header = "name = t\nplatform = linux\nram = 8M\narena = 1M\n"  // lines 1-4

@Suite struct BoardFileTests {
    @Test(arguments: ["rpi4", "rpi-zero2", "mps2-an386", "qemu-virt-arm64", "qemu-virt-armv7", "sim"])
    func everyShippedBoardParses(_ name: String) throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("boards/\(name)/board.txt"), encoding: .utf8)
        let board = try parse(text)
        #expect(board.name == name)
        #expect(board.arenaBytes > 0 && board.arenaBytes <= board.ramBytes)
        #expect(FileManager.default.fileExists(atPath: packageRoot.appendingPathComponent("boards/\(name)/README.md").path))
        if !board.toolset.isEmpty {
            #expect(FileManager.default.fileExists(atPath: packageRoot.appendingPathComponent(board.toolset).path))
        }
    }

    @Test func aFullFile() throws {
        let board = try parse(header + """
            description = a test board   # with a comment
            triple = aarch64-none-none-elf

            [gpio]
            chip = testbed-gpio
            LED = 0
            BUTTON = 1
            [ i2c ]
            fake = adapter:testbed fake I2C
            [serial]
            uart = /dev/ttyS0 115200
            console = /dev/hvc0
            [sensor]
            climate = bme280 fake 0x76
            temperature = tmp102 fake 72
            """)
        #expect(board.platform == .linux)
        #expect(board.description == "a test board")
        #expect(board.ramBytes == 8 << 20)
        #expect(board.gpioChip == "testbed-gpio")
        #expect(board.gpioLine("BUTTON")?.offset == 1)
        #expect(board.gpioLine("NOPE") == nil)
        #expect(board.i2cBus("fake")?.device == "adapter:testbed fake I2C")
        #expect(board.serialPort("uart")?.baud == 115_200)
        #expect(board.serialPort("console")?.baud == 0)
        #expect(board.sensor("climate")?.driver == "bme280")
        #expect(board.sensor("temperature")?.address == 0x48)
    }

    @Test func crlfLineEndingsAreAccepted() throws {
        let board = try parse("name = t\r\nplatform = sim\r\nram = 1M\r\narena = 1M\r\n")
        #expect(board.name == "t")
    }

    @Test func eachErrorNamesItsLine() {
        func expectError(_ text: String, line: Int, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let e = error(text)
            #expect(e?.line == line, sourceLocation: sourceLocation)
            #expect(e?.message == message, sourceLocation: sourceLocation)
        }
        expectError(header + "nonsense\n", line: 5, "board file line 5: expected 'key = value'")
        expectError(header + " = 3\n", line: 5, "board file line 5: missing key before '='")
        expectError(header + "triple =   # nothing\n", line: 5, "board file line 5: missing value after '='")
        expectError(header + "[gpio\n", line: 5, "board file line 5: expected '[section]'")
        expectError(header + "[spi]\n", line: 5,
            "board file line 5: unknown section '[spi]' (expected [gpio], [i2c], [serial] or [sensor])")
        expectError(header + "colour = red\n", line: 5, "board file line 5: unknown key 'colour'")
        expectError(header + "name = u\n", line: 5, "board file line 5: 'name' given twice")
        expectError("name = t\nplatform = linux\nram = lots\n", line: 3,
            "board file line 3: 'lots' is not a size (examples: 65536, 512K, 4M)")
        expectError("name = t\nplatform = rtos\n", line: 2, "board file line 2: platform 'rtos' is not sim, linux or baremetal")
        expectError(header + "[gpio]\nchip = c\nLED = seventeen\n", line: 7, "board file line 7: 'seventeen' is not a number")
        expectError(header + "[serial]\nuart = /dev/ttyS0 fast\n", line: 6, "board file line 6: 'fast' is not a number")
        expectError(header + "[i2c]\nb = sim\n[sensor]\ns = tmp102 b 0x80\n", line: 8,
            "board file line 8: sensor 'tmp102 b 0x80' is not 'DRIVER BUS ADDRESS' (address 0x00..0x7f)")
        expectError(header + "[sensor]\ns = tmp102 b\n", line: 6,
            "board file line 6: sensor 'tmp102 b' is not 'DRIVER BUS ADDRESS' (address 0x00..0x7f)")
        expectError(header + "[sensor]\ns = tmp102 b 0x48\n", line: 6,
            "board file line 6: sensor on bus 'b', which [i2c] does not declare")
        expectError(header + "[gpio]\nLED = 1\n", line: 6, "board file line 6: [gpio] lines need 'chip = LABEL'")
        expectError("platform = sim\nram = 1M\narena = 1M\n", line: 0, "board file: missing 'name'")
        expectError("name = t\nram = 1M\narena = 1M\n", line: 0, "board file: missing 'platform'")
        expectError("name = t\nplatform = sim\narena = 1M\n", line: 0, "board file: missing 'ram'")
        expectError("name = t\nplatform = sim\nram = 1M\n", line: 0, "board file: missing 'arena'")
        expectError("name = t\nplatform = sim\nram = 1M\narena = 2M\n", line: 0, "board file: arena is larger than ram")
        #expect(error(header + "description = caf\u{e9}\n") == nil)
    }

    @Test func invalidUTF8IsRejectedWithItsLine() {
        var bytes = Array((header + "description = ").utf8)
        bytes += [0xff, 0xfe, 0x0a]
        var result: BoardFileError?
        do throws(BoardFileError) { _ = try BoardFile.parse(bytes) } catch { result = error }
        #expect(result?.line == 5)
        #expect(result?.message == "board file line 5: not UTF-8 text")
    }
}
