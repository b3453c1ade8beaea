import CAllocCounter
import Foundation
import PerchCore
import PerchDecode
import PerchPlatform
import PerchValidate
import PerchWASI
import Testing
@testable import PerchInterp

/// Zero heap allocations after instantiation: the test binary's malloc family counts the
/// calls this thread makes (Tests/CAllocCounter) while benchmark modules run.
///
/// Each workload runs once uncounted first: this full-Swift debug build instantiates
/// generic type metadata lazily, once per process, on first use (the Embedded device
/// builds have no runtime metadata). The counted second run is the steady state.
@Suite struct AllocationTests {
    static func benchmark(_ name: String) throws -> [UInt8] {
        let shared = ProcessInfo.processInfo.environment["PERCH_SHARED"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
        return try [UInt8](Data(contentsOf: shared.appendingPathComponent("bench/wasm/\(name).wasm")))
    }

    /// Instantiates a WASI benchmark, then runs `_start` for at most `fuel` units (the
    /// compute benchmarks take seconds in a debug build; a slice exercises every path)
    /// and returns the mallocs counted during the run.
    func allocationsWhileRunning(_ name: String, fuel: Int) throws -> (allocations: Int, outcome: RunOutcome) {
        _ = try runOnce(name, fuel: fuel)
        return try runOnce(name, fuel: fuel)
    }

    func runOnce(_ name: String, fuel: Int) throws -> (allocations: Int, outcome: RunOutcome) {
        let bytes = try Self.benchmark(name)
        let arena = try Arena(capacity: 32 << 20)
        var module: Module = try bytes.withUnsafeBytes { chunk in
            var decoder = try ModuleDecoder(arena: arena)
            try decoder.feed(chunk)
            return try decoder.finish()
        }
        try validate(&module, arena: arena)
        let wasi = WASI(platform: makeSimulatedPlatform(), arguments: [name], environment: [])
        let linker = Linker()
        linker.register(host: wasi)
        let machine = try Machine(arena: arena, valueStackSlots: 1 << 14, callDepth: 1024)
        let instance = try Instance.instantiate(module, in: arena, linker: linker, machine: machine)
        let start = try #require(instance.exportedFunction(NameBytes("_start")))
        let none = UnsafeBufferPointer<UInt64>(start: nil, count: 0)

        perch_alloc_counting(1)
        var outcome: RunOutcome = .outOfFuel
        do {
            try machine.start(start, arguments: none)
            outcome = try machine.run(fuel: fuel)
        } catch {
            perch_alloc_counting(0)
            throw error
        }
        perch_alloc_counting(0)
        machine.abandon()
        return (perch_alloc_count(), outcome)
    }

    /// hello prints through WASI `fd_write` into the simulated platform's stdout, whose
    /// reserved capacity holds the output: the whole run, host calls included, allocates nothing.
    @Test func helloRunsToTheEndWithoutAllocating() throws {
        let result = try allocationsWhileRunning("hello", fuel: .max)
        #expect(result.outcome == .finished || result.outcome == .exited(code: 0))
        #expect(result.allocations == 0)
    }

    @Test(arguments: ["fib", "sieve", "calls", "memops", "matmul_f64", "mulmod64", "quicksort", "sha256", "crc32"])
    func computeBenchmarksRunWithoutAllocating(_ name: String) throws {
        let result = try allocationsWhileRunning(name, fuel: 200_000)
        #expect(result.outcome == .outOfFuel || result.outcome == .finished || result.outcome == .exited(code: 0))
        #expect(result.allocations == 0)
    }

    /// Calls into a host module (arguments off the value stack, a suspension) allocate
    /// nothing in the interpreter.
    @Test func hostCallsAndSuspensionDoNotAllocate() throws {
        let host = TestHost()
        let linker = Linker()
        linker.register(host: host)
        let (instance, machine) = try instantiate(MachineTests.module, linker: linker)
        let callhost = instance.function("callhost"), sleepy = instance.function("sleepy"), fib = instance.function("fib")
        let args: [UInt64] = [40, 2, 10]
        var outcomes: [RunOutcome] = []
        outcomes.reserveCapacity(16)
        for pass: Int32 in 0..<2 {
        outcomes.removeAll(keepingCapacity: true)
        perch_alloc_counting(pass)
        try args.withUnsafeBufferPointer { buffer in
            try machine.start(callhost, arguments: buffer)
            outcomes.append(try machine.run(fuel: .max))
            try machine.start(sleepy, arguments: UnsafeBufferPointer(rebasing: buffer[0..<0]))
            outcomes.append(try machine.run(fuel: .max))
            outcomes.append(try machine.run(fuel: .max))
            try machine.start(fib, arguments: UnsafeBufferPointer(rebasing: buffer[2..<3]))
            outcomes.append(try machine.run(fuel: 2))
            outcomes.append(try machine.run(fuel: .max))
        }
        perch_alloc_counting(0)
        }
        #expect(perch_alloc_count() == 0)
        #expect(outcomes == [.finished, .hostSuspended(wakeAfterNanoseconds: 5), .finished, .outOfFuel, .finished])
        #expect(host.calls == 4)
    }

    /// The counter itself works: a Swift array allocation is seen.
    @Test func theCounterSeesAnAllocation() {
        perch_alloc_counting(1)
        let array = [UInt8](repeating: 1, count: Int.random(in: 100...200))
        perch_alloc_counting(0)
        #expect(array.count >= 100)
        #expect(perch_alloc_count() >= 1)
    }
}
