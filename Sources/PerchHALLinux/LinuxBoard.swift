import PerchCore
import PerchHAL

/// The devices a Linux board file (`platform = linux`) declares: `[gpio]` lines through
/// libgpiod on the chip with the file's label, `[i2c]` buses at `/dev/i2c-N` paths or
/// found by adapter name (`adapter:NAME`). `sysRoot`/`devRoot` are injectable.
public enum LinuxDevices {
    public static func board(
        file: BoardFile, clock: any PlatformClock, sysRoot: String = "/sys", devRoot: String = "/dev"
    ) -> DeviceBoard {
        let gpio: (any GPIOController)? = file.gpioLines.isEmpty ? nil : LinuxGPIO()
        return DeviceBoard(file: file, gpio: gpio, clock: clock) { bus in
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
