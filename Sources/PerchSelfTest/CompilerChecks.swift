/// Stores `below` one slot under `slot` and then `at` into it: the value stack's
/// `sp[-1] = a; sp[0] = b`. Swift 6.3's SIL dead-store elimination deletes the first store
/// (swiftlang/swift#77558); Package.swift turns that pass off, and this checks that the
/// build did. Not inlined, so the optimizer sees the two stores alone, as in the bug.
@inline(never) func storeBelowThenAt(_ slot: UnsafeMutablePointer<UInt64>, _ below: UInt64, _ at: UInt64) {
    slot[-1] = below
    slot[0] = at
}

func compilerChecks(_ t: inout SelfTest) {
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2) { buffer in
        guard let base = buffer.baseAddress else { return }
        base.initialize(repeating: 0, count: 2)
        storeBelowThenAt(base + 1, 7, 9)
        t.check(base[0] == 7, "a store at a negative pointer index survives a store at index 0")
        t.check(base[1] == 9, "the store at index 0 lands")
    }
}
