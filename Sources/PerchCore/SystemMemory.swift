import CPerchSys

/// The arena's single request to the system for memory.
@inline(never)
func arenaSystemAllocate(_ byteCount: Int) -> (pointer: UnsafeMutableRawPointer, isZeroFilled: Bool)? {
    var zeroFilled: Int32 = 0
    guard let pointer = perch_sys_alloc(byteCount, &zeroFilled) else { return nil }
    return (pointer, zeroFilled != 0)
}

@inline(never)
func arenaSystemFree(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
    perch_sys_free(pointer, byteCount)
}
