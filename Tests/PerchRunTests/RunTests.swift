import Foundation
import PerchCore
import PerchPlatform
import Testing
@testable import PerchCLI

/// Paths of the repository and of `../shared` (or `$PERCH_SHARED`).
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let shared = ProcessInfo.processInfo.environment["PERCH_SHARED"].map { URL(fileURLWithPath: $0) }
        ?? root.deletingLastPathComponent().appendingPathComponent("shared")
    static let benchModules = shared.appendingPathComponent("bench/wasm")
    static let expected = shared.appendingPathComponent("bench/suite/expected.txt")
}

/// A module assembled from text with wabt's `wat2wasm` into a temporary file.
func assemble(_ wat: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("perch-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let source = directory.appendingPathComponent("m.wat")
    let output = directory.appendingPathComponent("m.wasm")
    try wat.write(to: source, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["wat2wasm", "--debug-names", source.path, "-o", output.path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "wat2wasm failed")
    return output.path
}

/// Runs `request` in-process over an in-memory platform; returns the report and stdout.
func runInMemory(_ request: RunRequest, files: MemoryFileSystem = MemoryFileSystem(),
                 clock: SimulatedClock = SimulatedClock()) -> (RunReport, String) {
    let report = runModule(request, platform: makeSimulatedPlatform(clock: clock, files: files))
    return (report, String(decoding: files.stdout, as: UTF8.self))
}

@Suite struct RunCommandTests {
    static let functions = """
        (module
          (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
          (func (export "mix") (param i64 f32 f64) (result f64 i64)
            (f64.add (f64.promote_f32 (local.get 1)) (local.get 2))
            (i64.mul (local.get 0) (i64.const 2)))
          (func $divide (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "spin") (loop $l (br $l))))
        """

    @Test func invokeParsesArgumentsAndPrintsResults() throws {
        var request = RunRequest(modulePath: try assemble(Self.functions))
        request.invoke = "add"
        request.arguments = ["40", "-2"]
        #expect(runInMemory(request).0.results == ["38"])
        request.arguments = ["0xFFFFFFFF", "2"]
        #expect(runInMemory(request).0.results == ["1"])
        request.invoke = "mix"
        request.arguments = ["-21", "1.5", "0.25"]
        let (report, _) = runInMemory(request)
        #expect(report.status == 0)
        #expect(report.results == ["1.75", "-42"])
    }

    @Test func invokeRejectsBadArgumentsAsUsageErrors() throws {
        var request = RunRequest(modulePath: try assemble(Self.functions))
        request.invoke = "add"
        request.arguments = ["1"]
        #expect(runInMemory(request).0.status == ExitStatus.usage)
        request.arguments = ["1", "x"]
        let (bad, _) = runInMemory(request)
        #expect(bad.status == ExitStatus.usage)
        #expect(bad.error?.contains("'x' is not a valid i32") == true)
        request.arguments = ["1", "4294967296"]
        #expect(runInMemory(request).0.status == ExitStatus.usage)
        request.invoke = "nothing"
        request.arguments = []
        #expect(runInMemory(request).0.error?.contains("no function 'nothing'") == true)
    }

    @Test func aTrapNamesKindFunctionAndOffsetAndExits134() throws {
        var request = RunRequest(modulePath: try assemble(Self.functions))
        request.invoke = "div"
        request.arguments = ["1", "0"]
        let (report, _) = runInMemory(request)
        #expect(report.status == RunExitStatus.trap)
        let message = try #require(report.error)
        #expect(message.hasPrefix("perch: trap: integer divide by zero in function 2"))
        #expect(message.contains("divide"))
        #expect(message.contains("at offset 0x"))
    }

    @Test func fuelStopsARunawayModule() throws {
        var request = RunRequest(modulePath: try assemble(Self.functions))
        request.invoke = "spin"
        request.fuel = 100_000
        let (report, _) = runInMemory(request)
        #expect(report.status == RunExitStatus.outOfFuel)
        #expect(report.error?.contains("fuel exhausted") == true)
    }

    @Test func aSleepingGuestIsSuspendedAndTheRunLoopSleepsThroughThePlatform() throws {
        let sleeper = """
            (module
              (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              ;; one subscription: userdata 5, clock (tag 0), monotonic (1), 250 ms relative
              (data (i32.const 0) "\\05\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00\\00"
                                  "\\01\\00\\00\\00\\00\\00\\00\\00\\80\\b2\\e6\\0e\\00\\00\\00\\00")
              (func (export "_start")
                (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
                ;; exit status: number of events * 10 + the event's userdata
                (call $exit (i32.add (i32.mul (i32.load (i32.const 128)) (i32.const 10))
                                     (i32.load (i32.const 64))))))
            """
        let clock = SimulatedClock()
        let (report, _) = runInMemory(RunRequest(modulePath: try assemble(sleeper)), clock: clock)
        #expect(report.status == 15)
        #expect(clock.slept == 250_000_000)
        #expect(clock.monotonic == 250_000_000)
    }

    @Test func badFilesAndModulesAreReported() throws {
        // A file that cannot be read is a usage error (2), one line naming the file and why.
        let (missing, _) = runInMemory(RunRequest(modulePath: "/nonexistent/x.wasm"))
        #expect(missing.status == ExitStatus.usage)
        #expect(missing.error == "perch: cannot read '/nonexistent/x.wasm': No such file or directory")
        let (directory, _) = runInMemory(RunRequest(modulePath: FileManager.default.temporaryDirectory.path))
        #expect(directory.status == ExitStatus.usage)
        #expect(directory.error?.hasSuffix("Is a directory") == true)
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("perch-junk-\(UUID().uuidString).wasm")
        try Data([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]).write(to: junk)
        let (invalid, _) = runInMemory(RunRequest(modulePath: junk.path))
        #expect(invalid.status == ExitStatus.failure)
        #expect(invalid.error?.contains("invalid module") == true)
        let (noStart, _) = runInMemory(RunRequest(modulePath: try assemble(Self.functions)))
        #expect(noStart.error?.contains("no _start") == true)
        var tooSmall = RunRequest(modulePath: try assemble(Self.functions))
        tooSmall.arenaBytes = 64
        #expect(runInMemory(tooSmall).0.error?.contains("arena full") == true)
    }

    @Test func directoryFlagsSplitHostAndGuest() {
        #expect(splitDirectory("/tmp/a::/data") == ("/tmp/a", "/data"))
        #expect(splitDirectory("/tmp/a") == ("/tmp/a", "/tmp/a"))
        #expect(splitDirectory("a::") == ("a", ""))
    }
}

/// The guest programs in `examples/`, built with `make -f toolchain/examples.mk`.
@Suite(.serialized) struct ExampleTests {
    static func built(_ name: String) throws -> String {
        let output = Repository.root.appendingPathComponent("out/examples/\(name).wasm")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["make", "-s", "-C", Repository.root.path, "-f", "toolchain/examples.mk",
                             "out/examples/\(name).wasm"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "make examples failed")
        return output.path
    }

    @Test func helloPrintsArgumentsAndOnlyGrantedEnvironment() throws {
        var request = RunRequest(modulePath: try Self.built("hello"))
        request.arguments = ["exit", "7"]
        let (report, output) = runInMemory(request)
        #expect(report.status == 7)
        #expect(output.contains("arg 2: 7"))
        #expect(output.contains("GREETING is not granted"))
        request.environment = ["GREETING=hi"]
        request.arguments = []
        let (granted, text) = runInMemory(request)
        #expect(granted.status == 0)
        #expect(text.contains("GREETING is hi"))
    }

    @Test func filesStayInsideTheirDirectory() throws {
        let files = MemoryFileSystem()
        files.addDirectory("host/data")
        files.addFile("host/secret.txt", Array("secret".utf8))
        var request = RunRequest(modulePath: try Self.built("files"))
        request.directories = [("host/data", "/data")]
        let clock = SimulatedClock()
        let (report, output) = runInMemory(request, files: files, clock: clock)
        #expect(report.status == 0, "\(output)")
        #expect(output.contains("files: all checks passed"))
        #expect(output.contains("refused /data/../etc/passwd"))
        #expect(files.contents("host/data/log.txt")?.count ?? 0 > 0)
        #expect(!files.exists("host/data/scratch"))
        #expect(clock.slept == 20_000_000)
    }

    @Test func embeddedSwiftGuestRuns() throws {
        let clock = SimulatedClock()
        let (report, output) = runInMemory(RunRequest(modulePath: try Self.built("swift-hello")), clock: clock)
        #expect(report.status == 0)
        #expect(output.contains("fibonacci(50) = 12586269025"))
        #expect(output.contains("slept 10 ms"))
        #expect(clock.slept == 10_000_000)
    }
}

/// An import module a test can plug in beside WASI.
final class CounterModule: HostModule {
    var calls = 0
    var moduleName: StaticString { "counter" }
    func lookup(field: NameBytes) -> Int? { field == "bump" ? 0 : nil }
    func signature(of index: Int) -> HostSignature { HostSignature("i)i") }
    func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        calls += 1
        call.setI32(0, call.i32(0) &+ 1)
        return .done
    }
}

@Suite struct RunHostModuleAndBoardTests {
    @Test func extraHostModulesAreLinkedBesideWASI() throws {
        let wat = """
            (module
              (import "counter" "bump" (func $bump (param i32) (result i32)))
              (func (export "twice") (param i32) (result i32) (call $bump (call $bump (local.get 0)))))
            """
        let counter = CounterModule()
        var request = RunRequest(modulePath: try assemble(wat))
        request.invoke = "twice"
        request.arguments = ["40"]
        request.hostModules = [counter]
        #expect(runInMemory(request).0.results == ["42"])
        #expect(counter.calls == 2)
        request.hostModules = []
        let (unlinked, _) = runInMemory(request)
        #expect(unlinked.status == ExitStatus.failure)
        #expect(unlinked.error?.contains("counter") == true)
    }

    @Test func aBoardFolderOrFileGivesTheArenaSize() throws {
        let sim = Repository.root.appendingPathComponent("boards/sim")
        let board = try readBoard(sim.path)
        #expect(board.name == "sim")
        #expect(board.arenaBytes > 0)
        #expect(try readBoard(sim.appendingPathComponent("board.txt").path).arenaBytes == board.arenaBytes)
        #expect(throws: UsageError.self) { try readBoard("/nonexistent-board") }
    }
}
