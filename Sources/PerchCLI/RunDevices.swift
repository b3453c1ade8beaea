import PerchCore
import PerchDevices
import PerchHAL
import PerchHALLinux
import PerchHALSim

/// What `perch run --board … --grant … --sim …` sets up: the device host modules over the
/// board, and the platform the run uses (a simulated board brings its own clock, so WASI
/// time and device time agree and sleeping just advances it).
struct RunDevices {
    let host: DeviceHost
    let platform: Platform
    let sim: SimBoard?
}

/// The devices of `--board` (a parsed board file), limited to `--grant`s, with `--sim`
/// stimuli scheduled on a simulated board. Nil when no board was given.
func makeRunDevices(
    board: BoardFile?, grants: [String], simEvents: [String], base: Platform
) throws(UsageError) -> Result<RunDevices?, RunFailure> {
    var deviceGrants = DeviceGrants()
    for grant in grants {
        switch deviceGrants.add(grant) {
        case .added: break
        case .emptyLabel, .notDevice:
            throw .badValue(flag: "grant", value: grant, expected: "gpio:LABEL, i2c:LABEL or sensor:LABEL")
        }
    }
    guard let file = board else {
        if !grants.isEmpty || !simEvents.isEmpty {
            return .failure(RunFailure("perch: --grant and --sim need a board (--board sim, or --board boards/NAME)"))
        }
        return .success(nil)
    }
    if let unknown = DeviceBoard.unknownDrivers(in: file).first {
        return .failure(RunFailure(
            "perch: board '\(file.name)': sensor '\(unknown.label)' uses driver '\(unknown.driver)', which Perch lacks (bme280, tmp102)"))
    }

    let devices: DeviceBoard
    let platform: Platform
    var sim: SimBoard? = nil
    switch file.platform {
    case .sim:
        let simBoard = SimBoard(file: file)
        for event in simEvents {
            do throws(SimEventError) { try simBoard.schedule(event: event) } catch {
                return .failure(RunFailure("perch: \(error.message)"))
            }
        }
        devices = simBoard.devices
        platform = Platform(clock: simBoard.clock, random: base.random, files: base.files)
        sim = simBoard
    case .linux:
        if !simEvents.isEmpty {
            return .failure(RunFailure("perch: --sim drives simulated boards only; '\(file.name)' is a Linux board"))
        }
        devices = LinuxDevices.board(file: file, clock: base.clock)
        // The run sleeps on the board's clock, which an awaited GPIO edge wakes.
        platform = Platform(clock: devices.clock, random: base.random, files: base.files)
    case .baremetal:
        return .failure(RunFailure("perch: board '\(file.name)' is bare metal: its firmware image runs there, not perch run"))
    }
    let host: DeviceHost
    do throws(DeviceSetupError) { host = try DeviceHost(board: devices, grants: deviceGrants) } catch {
        return .failure(RunFailure("perch: \(error.message)"))
    }
    host.diagnostics.onFailure = { failure in printError("perch: \(failure.message)") }
    return .success(RunDevices(host: host, platform: platform, sim: sim))
}
