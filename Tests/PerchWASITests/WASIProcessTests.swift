import PerchCore
import PerchPlatform
import Testing
@testable import PerchWASI

@Suite struct WASIFunctionTableTests {
    @Test func everyPreview1FunctionLinksAndTheUnimplementedAnswerENOSYS() throws {
        let sandbox = try Sandbox(.memory)
        #expect(WASIFunction.allCases.count == 46)
        var implemented = 0
        for function in WASIFunction.allCases {
            let name = String(decoding: UnsafeRawBufferPointer(start: function.name.utf8Start,
                                                                count: function.name.utf8CodeUnitCount), as: UTF8.self)
            #expect(sandbox.wasi.lookup(field: NameBytes(function.name)) == function.rawValue)
            // All-zero arguments: fd 0, null pointers, zero lengths.
            let outcome = sandbox.guest.invoke(name, [UInt64](repeating: 0, count: 10))
            if function.isUnimplemented {
                #expect(outcome == .done, "\(name)")
                #expect(sandbox.guest.slots[0] == UInt64(WASIErrno.nosys.rawValue), "\(name)")
            } else {
                implemented += 1
                if outcome == .done {
                    #expect(sandbox.guest.slots[0] != UInt64(WASIErrno.nosys.rawValue), "\(name)")
                }
            }
        }
        #expect(implemented == WASI.implementedFunctions.count)
        #expect(implemented == 35)
        #expect(sandbox.wasi.lookup(field: NameBytes("fd_frobnicate")) == nil)
    }

    @Test func signaturesMatchTheWitxTypes() throws {
        let sandbox = try Sandbox(.memory)
        let i32 = ValueType.i32.rawValue, i64 = ValueType.i64.rawValue
        func matches(_ name: StaticString, _ params: [UInt8], _ results: [UInt8]) -> Bool {
            let index = sandbox.wasi.lookup(field: NameBytes(name))!
            return params.withUnsafeBytes { p in
                results.withUnsafeBytes { r in sandbox.wasi.signature(of: index).matches(params: p, results: r) }
            }
        }
        #expect(matches("fd_write", [i32, i32, i32, i32], [i32]))
        #expect(matches("fd_seek", [i32, i64, i32, i32], [i32]))
        #expect(matches("clock_time_get", [i32, i64, i32], [i32]))
        #expect(matches("path_open", [i32, i32, i32, i32, i32, i64, i64, i32, i32], [i32]))
        #expect(matches("proc_exit", [i32], []))
        #expect(matches("sched_yield", [], [i32]))
        #expect(matches("fd_readdir", [i32, i32, i32, i64, i32], [i32]))
        #expect(matches("fd_pread", [i32, i32, i32, i64, i32], [i32]))
        #expect(matches("path_filestat_set_times", [i32, i32, i32, i32, i64, i64, i32], [i32]))
        #expect(!matches("fd_write", [i32, i32, i32], [i32]))
    }
}

@Suite struct WASIProcessTests {
    @Test func argumentsAreLaidOutAsPointersThenStrings() throws {
        let sandbox = try Sandbox(.memory, arguments: ["prog", "one", ""])
        let g = sandbox.guest
        let sizes = g.reserve(8)
        #expect(g.errno("args_sizes_get", UInt64(sizes), UInt64(sizes + 4)) == .success)
        #expect(g.u32(sizes) == 3)
        #expect(g.u32(sizes + 4) == 10)  // "prog\0one\0\0"
        let argv = g.reserve(12)
        let buffer = g.reserve(10)
        #expect(g.errno("args_get", UInt64(argv), UInt64(buffer)) == .success)
        #expect(g.u32(argv) == buffer)
        #expect(g.u32(argv + 4) == buffer + 5)
        #expect(g.u32(argv + 8) == buffer + 9)
        #expect(g.bytes(at: buffer, 10) == Array("prog\0one\0\0".utf8))
        // argv array or buffer outside memory: EFAULT, nothing written.
        #expect(g.errno("args_get", UInt64(GuestHarness.memorySize - 4), UInt64(buffer)) == .fault)
        #expect(g.errno("args_get", UInt64(argv), UInt64(GuestHarness.memorySize - 2)) == .fault)
        // The out-pointers of args_sizes_get are checked before the call: a trap.
        #expect(g.invoke("args_sizes_get", [UInt64(GuestHarness.memorySize), 0]) == .trap(.outOfBoundsPointer))
    }

    @Test func environmentHoldsOnlyWhatWasGiven() throws {
        let empty = try Sandbox(.memory)
        let sizes = empty.guest.reserve(8)
        #expect(empty.guest.errno("environ_sizes_get", UInt64(sizes), UInt64(sizes + 4)) == .success)
        #expect(empty.guest.u32(sizes) == 0)
        #expect(empty.guest.u32(sizes + 4) == 0)

        let given = try Sandbox(.memory, environment: ["A=1", "PATH=/x"])
        let g = given.guest
        #expect(g.errno("environ_sizes_get", UInt64(sizes), UInt64(sizes + 4)) == .success)
        #expect(g.u32(sizes) == 2)
        #expect(g.u32(sizes + 4) == 12)
        let environ = g.reserve(8)
        let buffer = g.reserve(12)
        #expect(g.errno("environ_get", UInt64(environ), UInt64(buffer)) == .success)
        #expect(g.u32(environ + 4) == buffer + 4)
        #expect(g.bytes(at: buffer, 12) == Array("A=1\0PATH=/x\0".utf8))
    }

    @Test func clocksReadThePlatformClock() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        let out = g.reserve(8)
        sandbox.clock.monotonic = 5_000
        sandbox.clock.advance(cpu: 777)
        #expect(g.errno("clock_time_get", 1, 0, UInt64(out)) == .success)
        #expect(g.u64(out) == 5_000)
        #expect(g.errno("clock_time_get", 0, 0, UInt64(out)) == .success)
        #expect(g.u64(out) == sandbox.clock.realtime)
        #expect(g.errno("clock_time_get", 2, 0, UInt64(out)) == .success)
        #expect(g.u64(out) == 777)
        #expect(g.errno("clock_time_get", 3, 0, UInt64(out)) == .success)
        #expect(g.u64(out) == 777)
        #expect(g.errno("clock_res_get", 1, UInt64(out)) == .success)
        #expect(g.u64(out) == 1_000)
        #expect(g.errno("clock_time_get", 4, 0, UInt64(out)) == .inval)
        #expect(g.errno("clock_res_get", 99, UInt64(out)) == .inval)
        #expect(g.invoke("clock_time_get", [1, 0, UInt64(GuestHarness.memorySize - 4)]) == .trap(.outOfBoundsPointer))
    }

    @Test func realClocksAdvance() throws {
        let linux = LinuxPlatform()
        let first = try #require(linux.now(.monotonic))
        let second = try #require(linux.now(.monotonic))
        #expect(second >= first)
        #expect(try #require(linux.now(.realtime)) > 1_600_000_000_000_000_000)
        #expect(linux.now(.processCPU) != nil)
        #expect(try #require(linux.resolution(.monotonic)) > 0)
    }

    @Test func randomFillsTheBufferOrReportsEIO() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        let buffer = g.reserve(32)
        #expect(g.errno("random_get", UInt64(buffer), 32) == .success)
        #expect(g.bytes(at: buffer, 32) != [UInt8](repeating: 0, count: 32))
        #expect(g.errno("random_get", UInt64(buffer), 0) == .success)
        sandbox.random.failing = true
        #expect(g.errno("random_get", UInt64(buffer), 8) == .io)
        #expect(g.invoke("random_get", [UInt64(GuestHarness.memorySize - 4), 8]) == .trap(.outOfBoundsPointer))

        var bytes = [UInt8](repeating: 0, count: 64)
        #expect(bytes.withUnsafeMutableBytes { LinuxPlatform().fill($0) })
        #expect(bytes != [UInt8](repeating: 0, count: 64))
    }

    @Test func procExitEndsWithTheCodeAndYieldSuspends() throws {
        let sandbox = try Sandbox(.memory)
        #expect(sandbox.guest.invoke("proc_exit", [42]) == .exit(code: 42))
        #expect(sandbox.guest.invoke("sched_yield", []) == .suspend(wakeAfterNanoseconds: 0))
        #expect(sandbox.guest.slots[0] == 0)
    }
}

@Suite struct PollTests {
    /// Writes subscriptions: (userdata, tag, clock id or fd, timeout, flags).
    func subscriptions(_ g: GuestHarness, _ items: [(UInt64, UInt8, UInt32, UInt64, UInt16)]) -> UInt32 {
        var bytes = [UInt8](repeating: 0, count: 48 * items.count)
        for (i, item) in items.enumerated() {
            func put<T: FixedWidthInteger>(_ value: T, _ offset: Int) {
                withUnsafeBytes(of: value.littleEndian) { for (k, b) in $0.enumerated() { bytes[i * 48 + offset + k] = b } }
            }
            put(item.0, 0)
            put(item.1, 8)
            put(item.2, 16)
            put(item.3, 24)
            put(item.4, 40)
        }
        return g.place(bytes)
    }

    @Test func aRelativeClockSuspendsForItsTimeout() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        let input = subscriptions(g, [(7, 0, 1, 2_000_000, 0), (8, 0, 1, 5_000_000, 0)])
        let events = g.reserve(64)
        let count = g.reserve(4)
        let outcome = g.invoke("poll_oneoff", [UInt64(input), UInt64(events), 2, UInt64(count)])
        #expect(outcome == .suspend(wakeAfterNanoseconds: 2_000_000))
        #expect(g.slots[0] == 0)
        #expect(g.u32(count) == 1)
        #expect(g.u64(events) == 7)
        #expect(g.u16(events + 8) == 0)
        #expect(g.u8(events + 10) == 0)
    }

    @Test func anAbsoluteClockSleepsUntilItsDeadline() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        sandbox.clock.monotonic = 1_000
        let input = subscriptions(g, [(1, 0, 1, 4_000, 1)])
        let events = g.reserve(32)
        let count = g.reserve(4)
        #expect(g.invoke("poll_oneoff", [UInt64(input), UInt64(events), 1, UInt64(count)])
            == .suspend(wakeAfterNanoseconds: 3_000))
        // A deadline already past fires at once.
        let past = subscriptions(g, [(2, 0, 1, 500, 1)])
        #expect(g.invoke("poll_oneoff", [UInt64(past), UInt64(events), 1, UInt64(count)]) == .done)
        #expect(g.u32(count) == 1)
        #expect(g.u64(events) == 2)
    }

    @Test func readyDescriptorsAndErrorsAreReportedWithoutWaiting() throws {
        let sandbox = try Sandbox(.memory, stdin: Array("x".utf8))
        let g = sandbox.guest
        let input = subscriptions(g, [(1, 0, 1, 1_000_000, 0), (2, 1, 0, 0, 0), (3, 2, 1, 0, 0), (4, 1, 99, 0, 0),
                                      (5, 0, 17, 10, 0)])
        let events = g.reserve(32 * 5)
        let count = g.reserve(4)
        #expect(g.invoke("poll_oneoff", [UInt64(input), UInt64(events), 5, UInt64(count)]) == .done)
        #expect(g.slots[0] == 0)
        #expect(g.u32(count) == 4)
        let reported = (0..<4).map { (g.u64(events + UInt32($0 * 32)), g.u16(events + UInt32($0 * 32) + 8)) }
        #expect(reported.map(\.0) == [2, 3, 4, 5])
        #expect(reported.map(\.1) == [0, 0, WASIErrno.badf.rawValue, WASIErrno.inval.rawValue])
    }

    @Test func badArgumentsAreErrors() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        let count = g.reserve(4)
        #expect(g.errno("poll_oneoff", 0, 0, 0, UInt64(count)) == .inval)
        #expect(g.errno("poll_oneoff", UInt64(GuestHarness.memorySize - 40), 0, 1, UInt64(count)) == .fault)
        #expect(g.errno("poll_oneoff", 0, 0, 0x1000_0000, UInt64(count)) == .fault)
    }
}
