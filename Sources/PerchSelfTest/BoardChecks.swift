import PerchCore

/// A copy of boards/mps2-an386/board.txt (a test keeps the two identical), so every
/// target, including the bare-metal one that has no files, parses a real board file.
let mps2BoardFile: StaticString = """
# Arm MPS2 FPGA board with the AN386 Cortex-M4 image, as emulated by QEMU. Format: boards/README.md
name = mps2-an386
description = Cortex-M4F bare metal (qemu-system-arm -M mps2-an386): 4 MB code SRAM, 4 MB data SRAM
platform = baremetal
triple = armv7em-none-none-eabi
toolset = toolchain/cortex-m4.json
ram = 4M
arena = 1M

[serial]
uart0 = 0x40004000 115200   # CMSDK UART0 registers
"""

func boardFileChecks(_ t: inout SelfTest) {
    do throws(BoardFileError) {
        let board = try BoardFile.parse(mps2BoardFile)
        t.check(board.name.utf8.elementsEqual("mps2-an386".utf8), "board name")
        t.check(board.platform == .baremetal, "platform")
        t.check(board.ramBytes == 4 << 20 && board.arenaBytes == 1 << 20, "ram and arena sizes")
        t.check(board.serialPorts.count == 1 && board.serialPorts[0].baud == 115_200, "serial port and baud")
        t.check(board.gpioLines.isEmpty && board.gpioChip.isEmpty, "no GPIO declared")
    } catch {
        t.fail(error.message)
    }
    do throws(BoardFileError) {
        let board = try BoardFile.parse(
            "name = x\nplatform = sim\nram = 1M\narena = 64K\n[gpio]\nchip = c\nLED = 3\n[i2c]\nb = sim\n[sensor]\ns = tmp102 b 0x48\n")
        t.check(board.gpioLine("LED")?.offset == 3, "GPIO line by label")
        t.check(board.sensor("s")?.address == 0x48, "sensor address")
    } catch {
        t.fail(error.message)
    }
    t.checkThrows("line number of a bad line", { () throws(BoardFileError) in
        _ = try BoardFile.parse("name = x\n\n# comment\nplatform sim\n")
    }, matches: { $0.line == 4 })
    t.checkThrows("arena larger than ram", { () throws(BoardFileError) in
        _ = try BoardFile.parse("name = x\nplatform = sim\nram = 1M\narena = 2M\n")
    }, matches: { if case .arenaExceedsRAM = $0.kind { return true } else { return false } })
    t.checkThrows("sensor on an undeclared bus", { () throws(BoardFileError) in
        _ = try BoardFile.parse("name = x\nplatform = sim\nram = 1M\narena = 1M\n[sensor]\ns = tmp102 nobus 0x48\n")
    }, matches: { $0.line == 6 })
}
