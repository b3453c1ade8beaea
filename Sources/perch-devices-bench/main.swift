// Device host-call benchmark (host-only; heap allocations counted by CPerchAllocCount).
//
// 1. Guest loop: a wasm module run by the interpreter calls gpio.toggle N times on the
//    simulated board's LED; its peer, measured in the same run, is the same loop calling
//    a host function that does nothing (the interpreter's own host-call cost).
// 2. Host loop: HostModule.call(toggle) N times from Swift; its peer is the same toggle
//    made directly on the HAL (the host module's own cost).
// Heap allocations are counted over every measured loop and must be zero.
import CPerchAllocCount
import Glibc
import PerchCore
import PerchDecode
import PerchDevices
import PerchHAL
import PerchHALSim
import PerchInterp
import PerchValidate

func nowNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

/// `bench.nop`: takes an i32, returns 0.
final class NopModule: HostModule {
    var moduleName: StaticString { "bench" }
    func lookup(field: NameBytes) -> Int? { field == "nop" ? 0 : nil }
    func signature(of index: Int) -> HostSignature { HostSignature("i)i") }
    func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        call.setI32(0, 0)
        return .done
    }
}

struct Measurement {
    var times: [UInt64] = []
    var allocations: UInt64 = 0
    var failures: UInt64 = 0

    init(rounds: Int) { times.reserveCapacity(rounds) }

    mutating func measure(_ body: () -> UInt64) {
        let before = perch_alloc_count()
        let start = nowNanoseconds()
        let failed = body()
        let elapsed = nowNanoseconds() - start
        allocations += perch_alloc_count() - before
        failures += failed
        times.append(elapsed)
    }

    func nanosecondsPer(_ iterations: Int) -> Double {
        Double(times.sorted()[times.count / 2]) / Double(iterations)
    }
}

enum BenchError: Error {
    case setup(String)
}

func transitions(_ board: SimBoard) -> Int {
    board.line("LED").map { board.gpio.transitionCount($0) } ?? 0
}

func run() throws -> Int32 {
    let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
    let rounds = 5

    // --- Guest loop through the interpreter.
    let guestBoard = SimBoard()
    let guestDevices = try DeviceHost(board: guestBoard.devices, grants: DeviceGrants(pins: ["LED"]))
    let arena = try Arena(capacity: 4 << 20)
    let linker = Linker()
    for module in guestDevices.modules { linker.register(host: module) }
    linker.register(host: NopModule())
    let machine = try Machine(arena: arena, valueStackSlots: 1024, callDepth: 64)
    let module = try loadModule(toggleModule, into: arena)
    let instance: Instance
    do throws(InstantiationError) {
        instance = try Instance.instantiate(module, in: arena, linker: linker, machine: machine)
    } catch {
        throw BenchError.setup(error.message)
    }
    guard let toggle = instance.exportedFunction(NameBytes("toggle")),
          let nop = instance.exportedFunction(NameBytes("nop"))
    else { throw BenchError.setup("exports missing") }
    var argument = [UInt64(iterations)]

    func invoke(_ function: UnsafeMutablePointer<FunctionRecord>) -> UInt64 {
        let outcome = argument.withUnsafeBufferPointer { arguments in
            Result { () throws(Trap) in try machine.invoke(function, arguments: arguments) }
        }
        guard case .success(.finished) = outcome else { return UInt64(iterations) }
        return UInt64(UInt32(truncatingIfNeeded: machine.results[0]))
    }

    // Warm-up: the first open/toggle/close of a process sets up one-time runtime state.
    argument[0] = 1
    let warmUpBefore = perch_alloc_count()
    _ = invoke(toggle)
    _ = invoke(nop)
    let warmUpAllocations = perch_alloc_count() - warmUpBefore
    argument[0] = UInt64(iterations)

    var guestToggle = Measurement(rounds: rounds)
    var guestNop = Measurement(rounds: rounds)
    for _ in 0..<rounds {
        guestToggle.measure { invoke(toggle) }
        guestNop.measure { invoke(nop) }
    }
    argument[0] = 0

    // --- Host loop: HostModule.call from Swift, against direct HAL calls.
    let board = SimBoard()
    let devices = try DeviceHost(board: board.devices, grants: DeviceGrants(pins: ["LED"]))
    let memory = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 16)
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: 65536)
    let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 8)
    let guest = GuestMemory(base: memory, size: 65536)
    for (i, byte) in "LED".utf8.enumerated() { memory.storeBytes(of: byte, toByteOffset: 16 + i, as: UInt8.self) }
    let call = HostCall(slots: slots, memory: guest)
    guard let openIndex = devices.gpio.lookup(field: NameBytes("open")),
          let toggleIndex = devices.gpio.lookup(field: NameBytes("toggle"))
    else { throw BenchError.setup("gpio imports missing") }
    slots[0] = 16; slots[1] = 3; slots[2] = UInt64(GPIOModule.Flag.output); slots[3] = 64
    _ = devices.gpio.call(openIndex, call)
    guard slots[0] == 0, let handle = guest.load(UInt32.self, at: 64) else { throw BenchError.setup("open failed") }

    let directBoard = SimBoard()
    let directLine = try Label("sim-gpio").withNameBytes { chip in
        Result { () throws(GPIOError) in
            try directBoard.gpio.request(chip: chip, line: .offset(0), settings: GPIOLineSettings(direction: .output))
        }
    }.get()

    var hostToggle = Measurement(rounds: rounds)
    var direct = Measurement(rounds: rounds)
    for _ in 0..<rounds {
        hostToggle.measure {
            var failed: UInt64 = 0
            for _ in 0..<iterations {
                slots[0] = UInt64(handle)
                _ = devices.gpio.call(toggleIndex, call)
                if slots[0] != 0 { failed &+= 1 }
            }
            return failed
        }
        direct.measure {
            let gpio = directBoard.gpio
            var failed: UInt64 = 0
            for _ in 0..<iterations {
                do throws(GPIOError) {
                    try gpio.setValue(directLine, !(try gpio.value(directLine)))
                } catch {
                    failed &+= 1
                }
            }
            return failed
        }
    }

    let guestTogglePer = guestToggle.nanosecondsPer(iterations)
    let guestNopPer = guestNop.nanosecondsPer(iterations)
    let hostPer = hostToggle.nanosecondsPer(iterations)
    let directPer = direct.nanosecondsPer(iterations)
    print("\(iterations) iterations x \(rounds) rounds, medians (x86_64 host, full Swift release build)")
    print("guest loop, gpio.toggle through the interpreter: \(guestTogglePer) ns/toggle")
    print("guest loop, no-op host call (peer):               \(guestNopPer) ns/call")
    print("  ratio toggle / no-op host call: \(guestTogglePer / guestNopPer)")
    print("host loop, HostModule.call(gpio.toggle):          \(hostPer) ns/toggle")
    print("host loop, the same toggle on the HAL (peer):     \(directPer) ns/toggle")
    print("  ratio host module / HAL: \(hostPer / directPer)")
    let allocations = guestToggle.allocations + guestNop.allocations + hostToggle.allocations
    let failures = guestToggle.failures + guestNop.failures + hostToggle.failures + direct.failures
    print("heap allocations in the one-call warm-up (one-time set-up, not per call): \(warmUpAllocations)")
    print("heap allocations in measured loops: \(allocations) (guest toggle \(guestToggle.allocations), guest no-op \(guestNop.allocations), host toggle \(hostToggle.allocations))")
    print("failed calls: \(failures); LED transitions seen by the boards: guest \(transitions(guestBoard)), host \(transitions(board))")
    return allocations == 0 && failures == 0 ? 0 : 1
}

exit(try run())
