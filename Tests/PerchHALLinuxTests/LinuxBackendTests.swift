import Foundation
import PerchCore
import PerchHAL
import PerchHALLinux
import Testing

/// What can be checked without GPIO or I2C hardware (the build machines have neither;
/// the emulated-kernel tier covers the ioctls themselves).
@Suite struct LinuxBackendTests {
    @Test func adapterIsFoundByNameUnderAnInjectedSysfs() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("perch-sysfs-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        for (number, name) in [(0, "Synopsys DesignWare I2C adapter"), (3, "testbed fake I2C")] {
            let adapter = root.appendingPathComponent("class/i2c-adapter/i2c-\(number)")
            try FileManager.default.createDirectory(at: adapter, withIntermediateDirectories: true)
            try "\(name)\n".write(to: adapter.appendingPathComponent("name"), atomically: true, encoding: .utf8)
        }
        let bus = LinuxI2CBus(.adapter(name: "testbed fake I2C"), sysRoot: root.path, devRoot: "/devices")
        #expect(try bus.resolvePath().get() == "/devices/i2c-3")
        let missing = LinuxI2CBus(.adapter(name: "SMBus stub driver"), sysRoot: root.path)
        #expect(throws: I2CError.unavailable(errno: ENOENT)) { try missing.resolvePath().get() }
    }

    @Test func missingBusDeviceIsUnavailable() {
        let bus = LinuxI2CBus(.path("/nonexistent/i2c-9"))
        var byte: UInt8 = 0
        withUnsafeMutableBytes(of: &byte) { buffer in
            var message = I2CMessage(address: 0x76, isRead: true, buffer: buffer)
            withUnsafeMutablePointer(to: &message) { pointer in
                _ = #expect(throws: I2CError.unavailable(errno: ENOENT)) {
                    try bus.transfer(UnsafeMutableBufferPointer(start: pointer, count: 1))
                }
            }
        }
    }

    @Test func notAnI2CDeviceFailsWithItsErrno() {
        // /dev/null has no I2C ioctls: I2C_FUNCS fails, so the SMBus path runs and
        // I2C_SLAVE answers ENOTTY.
        let bus = LinuxI2CBus(.path("/dev/null"))
        var byte: UInt8 = 0
        withUnsafeMutableBytes(of: &byte) { buffer in
            var message = I2CMessage(address: 0x76, isRead: true, buffer: buffer)
            withUnsafeMutablePointer(to: &message) { pointer in
                _ = #expect(throws: I2CError.other(errno: ENOTTY)) {
                    try bus.transfer(UnsafeMutableBufferPointer(start: pointer, count: 1))
                }
            }
        }
    }

    @Test(arguments: [
        (ENXIO, I2CError.noAcknowledge(.address)), (EREMOTEIO, .noAcknowledge(.unknown)),
        (EAGAIN, .arbitrationLoss), (ETIMEDOUT, .timeout), (EOVERFLOW, .overrun), (EIO, .bus),
        (EPERM, .other(errno: EPERM)),
    ])
    func kernelFaultCodesMapToWasiI2C(errno: Int32, error: I2CError) {
        #expect(LinuxI2CBus.error(errno: errno) == error)
    }

    @Test func unknownChipLabel() {
        let gpio = LinuxGPIO()
        let expected: GPIOError = LinuxGPIO.libgpiodAvailable ? .chipNotFound : .unavailable
        #expect(throws: expected) {
            try gpio.request(chip: NameBytes("no-such-chip"), line: .offset(0), settings: GPIOLineSettings(direction: .input))
        }
        #expect(throws: GPIOError.notRequested) { try gpio.setValue(GPIOLineID(raw: 3), true) }
    }
}

@Suite struct LinuxBoardTests {
    @Test func qemuBoardFileMapsToLinuxBackends() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("boards/qemu-virt-arm64/board.txt")
        let file = try BoardFile.parse(Array(try Data(contentsOf: url)))
        let board = LinuxDevices.board(file: file, clock: FixedClock())
        #expect(board.gpio is LinuxGPIO)
        #expect(board.pins.map(\.label.text) == ["LED", "BUTTON"])
        #expect(board.pins.allSatisfy { $0.chip.text == "testbed-gpio" })
        #expect(board.buses.map { ($0.bus as? LinuxI2CBus)?.location } == [
            .adapter(name: "testbed fake I2C"), .adapter(name: "SMBus stub driver"),
        ])
        #expect(board.sensors.map(\.label.text) == ["climate", "temperature"])
        #expect(LinuxDevices.location(of: "/dev/i2c-1") == .path("/dev/i2c-1"))
        #expect(LinuxDevices.location(of: "adapter:") == .path("adapter:"))
    }
}

private final class FixedClock: PlatformClock {
    func now(_ clock: ClockID) -> UInt64? { 0 }
    func resolution(_ clock: ClockID) -> UInt64? { 1 }
    func sleep(nanoseconds: UInt64) {}
}
