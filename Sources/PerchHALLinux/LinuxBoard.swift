import PerchCore
import PerchHAL

/// The devices a Linux board file (`platform = linux`) declares: `[gpio]` lines through
/// libgpiod on the chip with the file's label, `[i2c]` buses at `/dev/i2c-N` paths or
/// found by adapter name (`adapter:NAME`). `sysRoot`/`devRoot` are injectable.
public enum LinuxDevices {
    /// The board's clock is `clock` whose sleep also ends at an edge a guest waits for
    /// (`LinuxBoardClock`): the runtime must sleep on `DeviceBoard.clock`.
    public static func board(
        file: BoardFile, clock: any PlatformClock, sysRoot: String = "/sys", devRoot: String = "/dev"
    ) -> DeviceBoard {
        let gpio: LinuxGPIO? = file.gpioLines.isEmpty ? nil : LinuxGPIO()
        return DeviceBoard(file: file, gpio: gpio, clock: LinuxBoardClock(clock, gpio: gpio)) { bus in
            LinuxI2CBus(location(of: bus.device), sysRoot: sysRoot, devRoot: devRoot)
        }
    }

    /// `adapter:NAME` names an adapter; anything else is a device path.
    public static func location(of device: String) -> LinuxI2CBus.Location {
        let bytes = Array(device.utf8)
        let prefix = Array("adapter:".utf8)
        guard bytes.count > prefix.count, bytes.starts(with: prefix) else { return .path(device) }
        return .adapter(name: String(decoding: bytes[prefix.count...], as: UTF8.self))
    }
}

/// A Linux board's time: the system clock, except that a sleep ends early when an edge is
/// queued on a line a guest is waiting on (`LinuxGPIO.wakeOnEdge`, armed by the `gpio`
/// module's `wait_edge`). A waiting guest thus costs no wake-ups until its edge or its
/// timeout, while the runtime, not the guest, does the sleeping.
public final class LinuxBoardClock: PlatformClock {
    private let base: any PlatformClock
    private let gpio: LinuxGPIO?

    public init(_ base: any PlatformClock, gpio: LinuxGPIO?) {
        self.base = base
        self.gpio = gpio
    }

    public func now(_ clock: ClockID) -> UInt64? { base.now(clock) }
    public func resolution(_ clock: ClockID) -> UInt64? { base.resolution(clock) }

    public func sleep(nanoseconds: UInt64) {
        if let gpio, gpio.sleepUntilEdge(nanoseconds: nanoseconds) { return }
        base.sleep(nanoseconds: nanoseconds)
    }
}
