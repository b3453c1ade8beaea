// blink in Embedded Swift: toggles the board's LED every 500 ms, three times.
//   make examples && perch run --board boards/sim --grant gpio:LED out/examples/swift-blink.wasm

import PerchGuest

@_expose(wasm, "_start")
@_cdecl("_start")
func start() {
    let led: GPIOLine
    do throws(DeviceStatus) {
        led = try GPIOLine.open("LED", .output)
        for _ in 0..<3 {
            try led.set(true)
            Guest.print(UInt64(BoardTime.monotonicMilliseconds()))
            Guest.print(" ms: LED on\n")
            BoardTime.sleep(milliseconds: 500)
            try led.set(false)
            Guest.print(UInt64(BoardTime.monotonicMilliseconds()))
            Guest.print(" ms: LED off\n")
            BoardTime.sleep(milliseconds: 500)
        }
    } catch {
        Guest.print("swift-blink: device status ")
        Guest.print(UInt64(error.code))
        Guest.print("\n")
        Guest.exit(1)
    }
    led.close()
}
