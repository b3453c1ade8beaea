// An Embedded Swift guest for Perch: computes, sleeps through WASI, exits with a code.
//   make examples && perch run out/examples/swift-hello.wasm

import PerchGuest

func fibonacci(_ n: UInt64) -> UInt64 {
    var (a, b): (UInt64, UInt64) = (0, 1)
    for _ in 0..<n { (a, b) = (b, a &+ b) }
    return a
}

@_expose(wasm, "_start")
@_cdecl("_start")
func start() {
    Guest.print("hello from Embedded Swift on Perch\n")
    Guest.print("fibonacci(50) = ")
    Guest.print(fibonacci(50))
    Guest.print("\n")
    let before = Guest.monotonicNanoseconds()
    Guest.sleep(milliseconds: 10)
    let slept = (Guest.monotonicNanoseconds() &- before) / 1_000_000
    Guest.print("slept ")
    Guest.print(slept)
    Guest.print(" ms\n")
    Guest.exit(slept >= 10 ? 0 : 1)
}
