import CPerchSys

/// The arena's single request to the system allocator.
@inline(never)
func arenaSystemAllocate(_ byteCount: Int) -> UnsafeMutableRawPointer? {
    perch_sys_alloc(byteCount)
}

@inline(never)
func arenaSystemFree(_ pointer: UnsafeMutableRawPointer) {
    perch_sys_free(pointer)
}
