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
    let opened: OpenedBoard
    switch openBoard(file, base: base, command: "run") {
    case .success(let o): opened = o
    case .failure(let failure): return .failure(failure)
    }
    if !simEvents.isEmpty {
        guard let sim = opened.sim else {
            return .failure(RunFailure("perch: --sim drives simulated boards only; '\(file.name)' is a Linux board"))
        }
        for event in simEvents {
            do throws(SimEventError) { try sim.schedule(event: event) } catch {
                return .failure(RunFailure("perch: \(error.message)"))
            }
        }
    }
    let host: DeviceHost
    do throws(DeviceSetupError) { host = try DeviceHost(board: opened.devices, grants: deviceGrants) } catch {
        return .failure(RunFailure("perch: \(error.message)"))
    }
    host.diagnostics.onFailure = { failure in printError("perch: \(failure.message)") }
    return .success(RunDevices(host: host, platform: opened.platform, sim: opened.sim))
}

/// A board file's devices and the platform that goes with them: a simulated board brings
/// its own clock (WASI time and device time agree, sleeping just advances it); a Linux
/// board's clock ends a sleep early for an awaited GPIO edge. The one place where
/// `perch run --board` and `perch serve --board` turn a board file into devices.
struct OpenedBoard {
    let devices: DeviceBoard
    let platform: Platform
    let sim: SimBoard?
}

func openBoard(_ file: BoardFile, base: Platform, command: StaticString) -> Result<OpenedBoard, RunFailure> {
    if let unknown = DeviceBoard.unknownDrivers(in: file).first {
        return .failure(RunFailure(
            "perch: board '\(file.name)': sensor '\(unknown.label)' uses driver '\(unknown.driver)', which Perch lacks (bme280, tmp102)"))
    }
    switch file.platform {
    case .sim:
        let sim = SimBoard(file: file)
        return .success(OpenedBoard(
            devices: sim.devices, platform: Platform(clock: sim.clock, random: base.random, files: base.files), sim: sim))
    case .linux:
        let devices = LinuxDevices.board(file: file, clock: base.clock)
        return .success(OpenedBoard(
            devices: devices, platform: Platform(clock: devices.clock, random: base.random, files: base.files), sim: nil))
    case .baremetal:
        return .failure(RunFailure("perch: board '\(file.name)' is bare metal: its firmware image runs there, not perch \(command)"))
    }
}
