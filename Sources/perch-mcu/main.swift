import PerchCore
import PerchMCURuntime
import PerchSelfTest

// The bare-metal image's entry, called by the reset handler (toolchain/cortex-m4): runs
// the device self-test from flash; the exit status (semihosting) is the failure count.
@_cdecl("perch_mcu_main")
func mcuMain() -> Int32 {
    print("perch \(perchVersion) on Cortex-M4 (mps2-an386), heap \(perch_mcu_heap_size() / 1024) KB")
    let results = runSelfTests(willRun: { group in
        perch_mcu_set_context(group.utf8Start, group.utf8CodeUnitCount)
    })
    print("heap peak \(perch_mcu_heap_peak()) bytes")
    return Int32(min(results.failed, 255))
}
