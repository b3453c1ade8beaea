import Foundation
@testable import PerchCLI
import PerchCore
import PerchHALSim
import PerchPlatform
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
    let output = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTemporaryName(name, "wasm"))
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

/// Builds the Embedded Swift example `<name>` (a product of examples/Package.swift, against
/// the guest SDK package toolchain/guest-swift) for wasm32, the way toolchain/examples.mk does.
func buildSwiftExample(_ name: String) throws -> [UInt8] {
    let bin = ProcessInfo.processInfo.environment["PERCH_GUEST_BIN"] ?? "/opt/swift/usr/bin"
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTemporaryName(name, "build"))
    defer { try? FileManager.default.removeItem(at: scratch) }
    try runTool(bin + "/swift", [
        "build", "-c", "release", "--triple", "wasm32-unknown-none-wasm",
        "--package-path", packageRoot.appendingPathComponent("examples").path, "--scratch-path", scratch.path,
        "--product", name,
    ], name)
    return Array(try Data(contentsOf: scratch.appendingPathComponent("release/\(name).wasm")))
}

/// Tests run in parallel and may build the same example at once, so each build's files
/// get their own name (a process id alone is shared by every test).
func uniqueTemporaryName(_ name: String, _ suffix: String) -> String {
    "perch-example-\(name)-\(UUID().uuidString).\(suffix)"
}

private func runTool(_ tool: String, _ arguments: [String], _ name: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ExampleError.buildFailed(name) }
}

enum ExampleError: Error {
    case buildFailed(String)
    case load(String)
}

/// Runs `examples/<name>` the way `perch run --board sim --grant … --sim …` does (the
/// same `makeRunDevices` and `runModule`), over an in-memory platform whose stdout is kept.
/// `setUp` may schedule more on the board before the run.
func runExample(
    _ name: String, arguments: [String] = [], grants: [String], sim events: [String] = [],
    setUp: (SimBoard) -> Void = { _ in }
) throws -> (report: RunReport, stdout: String, board: SimBoard) {
    let module = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueTemporaryName("run-" + name, "wasm"))
    let isSwift = FileManager.default.fileExists(atPath: packageRoot.appendingPathComponent("examples/\(name)/Main.swift").path)
    try Data(try isSwift ? buildSwiftExample(name) : buildExample(name)).write(to: module)
    defer { try? FileManager.default.removeItem(at: module) }
    let files = MemoryFileSystem()
    let base = Platform(clock: SimulatedClock(), random: DeterministicRandom(), files: files)
    guard case .success(let made?) = try makeRunDevices(board: SimBoard.standardFile, grants: grants, simEvents: events, base: base),
          let board = made.sim
    else { throw ExampleError.load("no simulated board") }
    setUp(board)
    var request = RunRequest(modulePath: module.path)
    request.arguments = arguments
    request.hostModules = made.host.modules
    let report = runModule(request, platform: made.platform)
    made.host.closeAll()
    return (report, String(decoding: files.stdout, as: UTF8.self), board)
}
