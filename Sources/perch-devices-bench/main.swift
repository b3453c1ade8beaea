// Device host-call benchmark: toggles the simulated board's LED 1,000,000 times through
// the `gpio` host module (the interpreter's entry point, `HostModule.call`), counts heap
// allocations during the loop, and reports time per toggle next to the same toggles made
// directly on the HAL, measured in the same run (the ratio is the host module's cost).
import CPerchAllocCount
import Glibc
import PerchCore
import PerchDevices
import PerchHAL
import PerchHALSim

func nowNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

func requestLED(_ board: SimBoard) throws(GPIOError) -> GPIOLineID {
    try Label("sim-gpio").withNameBytes { chip in
        Result { () throws(GPIOError) in
            try board.gpio.request(chip: chip, line: .offset(0), settings: GPIOLineSettings(direction: .output))
        }
    }.get()
}

func run() throws -> Int32 {
    let iterations = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000_000 : 1_000_000
    let rounds = 5

    // The host-module path: a guest granted LED, with 64 KiB of linear memory.
    let board = SimBoard()
    let devices = try DeviceHost(board: board.devices, grants: DeviceGrants(pins: ["LED"]))
    let memory = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 16)
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: 65536)
    let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 8)
    let guest = GuestMemory(base: memory, size: 65536)
    for (i, byte) in "LED".utf8.enumerated() { memory.storeBytes(of: byte, toByteOffset: 16 + i, as: UInt8.self) }
    let call = HostCall(slots: slots, memory: guest)
    guard let open = devices.gpio.lookup(field: NameBytes("open")),
          let toggle = devices.gpio.lookup(field: NameBytes("toggle"))
    else { return 2 }
    slots[0] = 16; slots[1] = 3; slots[2] = UInt64(GPIOModule.Flag.output); slots[3] = 64
    _ = devices.gpio.call(open, call)
    guard slots[0] == 0, let handle = guest.load(UInt32.self, at: 64) else { return 2 }

    // The peer: the same toggle straight on a second simulated board's HAL.
    let directBoard = SimBoard()
    let directLine = try requestLED(directBoard)

    var hostTimes: [UInt64] = []
    var directTimes: [UInt64] = []
    var allocations: UInt64 = 0
    var failures = 0
    for _ in 0..<rounds {
        let before = perch_alloc_count()
        var start = nowNanoseconds()
        for _ in 0..<iterations {
            slots[0] = UInt64(handle)
            _ = devices.gpio.call(toggle, call)
            if slots[0] != 0 { failures &+= 1 }
        }
        let elapsed = nowNanoseconds() - start
        allocations += perch_alloc_count() - before
        hostTimes.append(elapsed)

        let gpio = directBoard.gpio
        start = nowNanoseconds()
        for _ in 0..<iterations {
            let value = (try? gpio.value(directLine)) ?? false
            try? gpio.setValue(directLine, !value)
        }
        directTimes.append(nowNanoseconds() - start)
    }
    let perToggle = Double(hostTimes.sorted()[rounds / 2]) / Double(iterations)
    let perDirect = Double(directTimes.sorted()[rounds / 2]) / Double(iterations)
    print("gpio.toggle through the host module: \(iterations) toggles x \(rounds) rounds, median \(perToggle) ns/toggle")
    print("the same toggle directly on the HAL: median \(perDirect) ns/toggle")
    print("ratio host module / HAL: \(perToggle / perDirect)")
    print("heap allocations during the host-module loops: \(allocations)")
    print("failed calls: \(failures); LED transitions seen by the board: \(board.gpio.transitionCount(board.led))")
    return allocations == 0 && failures == 0 ? 0 : 1
}

exit(try run())
