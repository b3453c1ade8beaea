import Foundation
import PerchCore
import PerchDecode
import PerchDevices
import PerchHALSim
import PerchInterp
import PerchPlatform
import PerchValidate
import PerchWASI
import Testing

/// The package root, from this file's path (Tests/PerchExamplesTests/<file>).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Builds `examples/<name>/<name>.c` for wasm32-wasi with the Swift toolchain's clang,
/// the way toolchain/examples.mk does; the bytes of the module.
func buildExample(_ name: String) throws -> [UInt8] {
    let environment = ProcessInfo.processInfo.environment
    let clang = environment["PERCH_GUEST_CC"] ?? "/opt/swift/usr/bin/clang"
    let runtime = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib")
        .filter { $0.hasPrefix("llvm-") }.sorted().reversed()
        .compactMap { llvm -> String? in
            let base = "/usr/lib/\(llvm)/lib/clang"
            guard let versions = try? FileManager.default.contentsOfDirectory(atPath: base) else { return nil }
            return versions.map { "\(base)/\($0)/lib/wasi/libclang_rt.builtins-wasm32.a" }
                .first { FileManager.default.fileExists(atPath: $0) }
        }.first
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("perch-example-\(name)-\(getpid()).wasm")
    defer { try? FileManager.default.removeItem(at: output) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: clang)
    process.arguments = [
        "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mcpu=mvp", "-msign-ext", "-mmutable-globals",
        "-mnontrapping-fptoint", "-mbulk-memory", "-I", packageRoot.appendingPathComponent("toolchain/sdk").path,
        packageRoot.appendingPathComponent("examples/\(name)/\(name).c").path, "-o", output.path,
        "-nodefaultlibs", "-lc",
    ] + (runtime.map { [$0] } ?? []) + ["-Wl,--strip-debug"]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ExampleError.buildFailed(name) }
    return Array(try Data(contentsOf: output))
}

enum ExampleError: Error {
    case buildFailed(String)
    case load(String)
}

struct ExampleRun {
    var exitCode: UInt32?
    var trap: String?
    var stdout: String
    var suspensions: Int
}

/// Runs a module's `_start` with WASI and the device modules on a simulated board: the
/// loop `perch run --board sim` runs, sleeping on the board clock when the guest suspends.
func runOnSimBoard(_ bytes: [UInt8], board: SimBoard, grants: DeviceGrants, arguments: [String] = []) throws -> ExampleRun {
    let arena = try Arena(capacity: 32 << 20)
    let loaded: Result<Module, ModuleError> = bytes.withUnsafeBytes { chunk in
        do throws(ModuleError) {
            var decoder = try ModuleDecoder(arena: arena)
            try decoder.feed(chunk)
            var module = try decoder.finish()
            try validate(&module, arena: arena)
            return .success(module)
        } catch {
            return .failure(error)
        }
    }
    let module = try loaded.get()
    let files = MemoryFileSystem()
    let platform = Platform(clock: board.clock, random: DeterministicRandom(), files: files)
    let wasi = WASI(platform: platform, arguments: ["example"] + arguments, environment: [])
    let devices = try DeviceHost(board: board.devices, grants: grants)
    let linker = Linker()
    linker.register(host: wasi)
    for hostModule in devices.modules { linker.register(host: hostModule) }
    let machine = try Machine(arena: arena, valueStackSlots: 1 << 14, callDepth: 1 << 10)
    let instance: Instance
    do throws(InstantiationError) {
        instance = try Instance.instantiate(module, in: arena, linker: linker, machine: machine)
    } catch {
        throw ExampleError.load(error.message)
    }
    guard let entry = instance.exportedFunction(NameBytes("_start")) else { throw ExampleError.load("no _start") }
    var run = ExampleRun(exitCode: nil, trap: nil, stdout: "", suspensions: 0)
    do throws(Trap) {
        try machine.start(entry, arguments: UnsafeBufferPointer(start: nil, count: 0))
        loop: while true {
            switch try machine.run(fuel: 1 << 22) {
            case .finished: run.exitCode = 0; break loop
            case .exited(let code): run.exitCode = code; break loop
            case .hostSuspended(let nanoseconds):
                run.suspensions += 1
                board.clock.sleep(nanoseconds: nanoseconds)
            case .outOfFuel: continue
            }
        }
    } catch {
        run.trap = error.message
    }
    devices.closeAll()
    run.stdout = String(decoding: files.stdout, as: UTF8.self)
    return run
}
