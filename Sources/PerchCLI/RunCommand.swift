import PerchCore
import PerchDevices
import PerchHALSim
import PerchPlatform

extension Command {
    /// `perch run`: runs a WASI command module (like `wasmtime run`), or calls one export.
    static var run: Command {
        Command(
        name: "run",
        summary: "run a WASI program (or call one exported function)",
        usage: "run [options] MODULE.wasm [ARGS...]",
        options: [
            Option("arena", value: "SIZE", help: "memory for everything the module needs (default 64M)"),
            Option("fuel", value: "N", help: "stop after about N units of work (exit status 124)"),
            Option("dir", value: "HOST[::GUEST]", help: "let the module use directory HOST, seen as GUEST (repeatable)"),
            Option("env", value: "KEY=VALUE", help: "give the module an environment variable (repeatable)"),
            Option("invoke", value: "NAME", help: "call export NAME with ARGS as numbers and print its results"),
            Option("board", value: "BOARD", help: "board file or its folder (boards/rpi4), or sim: default arena size, and the devices gpio/i2c/sensor imports reach"),
            Option("grant", value: "KIND:LABEL", help: "let the module use gpio:LABEL, i2c:LABEL or sensor:LABEL of the board (repeatable)"),
            Option("sim", value: "TARGET=VALUE[@MS]", help: "simulated board stimulus: BUTTON=1@1200, climate.temperature=21.5 (repeatable)"),
        ],
        flagsBeforePositionals: true,
        run: runCommand)
    }
}

/// Exit status: the module's `proc_exit` code (0 when `_start` returns); 134 when it
/// traps (the trap, function and offset go to stderr); 124 when `--fuel` runs out;
/// 1 for an invalid module; 2 for bad usage, including a module file that cannot be read.
private func runCommand(_ arguments: Arguments) throws(UsageError) -> Int32 {
    var request = RunRequest(modulePath: try arguments.positional(0, "MODULE.wasm"))
    request.arguments = Array(arguments.positionals.dropFirst())
    var board: BoardFile? = nil
    if let path = arguments.value("board") {
        // `sim` is the built-in simulated board (what boards/sim/board.txt declares).
        let file = path.utf8.elementsEqual("sim".utf8) ? SimBoard.standardFile : try readBoard(path)
        request.arenaBytes = file.arenaBytes
        board = file
    }
    if let arena = try arguments.size("arena") { request.arenaBytes = arena }
    request.fuel = try arguments.integer("fuel")
    request.invoke = arguments.value("invoke")
    for variable in arguments.values("env") {
        guard variable.utf8.contains(UInt8(ascii: "=")) else {
            throw .badValue(flag: "env", value: variable, expected: "KEY=VALUE")
        }
        request.environment.append(variable)
    }
    for directory in arguments.values("dir") {
        request.directories.append(splitDirectory(directory))
    }
    let base = LinuxPlatform.makePlatform()
    let devices: RunDevices?
    switch try makeRunDevices(
        board: board, grants: arguments.values("grant"), simEvents: arguments.values("sim"), base: base)
    {
    case .success(let made): devices = made
    case .failure(let failure):
        printError(failure.message)
        return ExitStatus.usage
    }
    if let devices { request.hostModules = devices.host.modules }
    let report = runModule(request, platform: devices?.platform ?? base)
    devices?.host.closeAll()
    for result in report.results { print(result) }
    if let error = report.error { printError(error) }
    return report.status
}

/// Reads a board file; a folder stands for its `board.txt` (`--board boards/sim`).
func readBoard(_ path: String) throws(UsageError) -> BoardFile {
    var bytes: [UInt8]
    do {
        bytes = try readFile(path)
    } catch {
        do { bytes = try readFile(path + "/board.txt") } catch { throw .file(error) }
    }
    do {
        return try BoardFile.parse(bytes)
    } catch {
        throw .badValue(flag: "board", value: path, expected: "a board file (\(error.message))")
    }
}

/// `HOST::GUEST` → (HOST, GUEST); a lone `DIR` is seen by the guest under the same name.
func splitDirectory(_ text: String) -> (host: String, guest: String) {
    let bytes = Array(text.utf8)
    var i = 0
    while i + 1 < bytes.count {
        if bytes[i] == UInt8(ascii: ":") && bytes[i + 1] == UInt8(ascii: ":") {
            return (String(decoding: bytes[..<i], as: UTF8.self), String(decoding: bytes[(i + 2)...], as: UTF8.self))
        }
        i += 1
    }
    return (text, text)
}
