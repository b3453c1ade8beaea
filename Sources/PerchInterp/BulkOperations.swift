import PerchCore

// The rarer instructions, out of the handlers: bulk memory and table operations, growing
// memories and tables.
//
// Unsafe-pointer code: relies on the invariants of `Records.swift` (records, segments,
// memory bytes, table capacity) and on validation (in-range indices); every guest range is
// checked against the current sizes here before it is touched.

/// Bulk memory, table and segment instructions (0xFC 8...17): rare enough to live
/// outside the handlers. Returns the new stack pointer.
func bulkOperation(
    _ sub: UInt32, _ pc: inout UnsafeRawPointer, sp: UnsafeMutablePointer<UInt64>,
    instance: UnsafeMutablePointer<InstanceRecord>,
    function: UnsafeMutablePointer<FunctionRecord>, op: UnsafeRawPointer
) throws(Trap) -> UnsafeMutablePointer<UInt64> {
    var sp = sp
    let inst = instance.pointee
    switch sub {
    case 8:  // memory.init data 0
        let segment = inst.data + Int(truncatingIfNeeded: readU32(&pc))
        pc += 1
        sp -= 3
        let d = UInt64(u32(sp[0])), s = UInt64(u32(sp[1])), n = UInt64(u32(sp[2]))
        let memory = inst.memory!.pointee
        guard s &+ n <= UInt64(segment.pointee.count), d &+ n <= UInt64(memory.byteCount) else {
            throw makeTrap(function, .outOfBoundsMemoryAccess, at: op)
        }
        if n > 0 {
            (memory.base + Int(d)).copyMemory(from: segment.pointee.start! + Int(s), byteCount: Int(n))
        }
    case 9:  // data.drop
        inst.data[Int(truncatingIfNeeded: readU32(&pc))].count = 0
    case 10:  // memory.copy 0 0
        pc += 2
        sp -= 3
        let d = UInt64(u32(sp[0])), s = UInt64(u32(sp[1])), n = UInt64(u32(sp[2]))
        let memory = inst.memory!.pointee
        guard s &+ n <= UInt64(memory.byteCount), d &+ n <= UInt64(memory.byteCount) else {
            throw makeTrap(function, .outOfBoundsMemoryAccess, at: op)
        }
        if n > 0 { (memory.base + Int(d)).copyMemory(from: memory.base + Int(s), byteCount: Int(n)) }
    case 11:  // memory.fill 0
        pc += 1
        sp -= 3
        let d = UInt64(u32(sp[0])), value = UInt8(truncatingIfNeeded: sp[1]), n = UInt64(u32(sp[2]))
        let memory = inst.memory!.pointee
        guard d &+ n <= UInt64(memory.byteCount) else { throw makeTrap(function, .outOfBoundsMemoryAccess, at: op) }
        if n > 0 { (memory.base + Int(d)).initializeMemory(as: UInt8.self, repeating: value, count: Int(n)) }
    case 12:  // table.init elem table
        let segment = inst.elements + Int(truncatingIfNeeded: readU32(&pc))
        let table = inst.tables[Int(truncatingIfNeeded: readU32(&pc))]
        sp -= 3
        let d = UInt64(u32(sp[0])), s = UInt64(u32(sp[1])), n = UInt64(u32(sp[2]))
        guard s &+ n <= UInt64(segment.pointee.count), d &+ n <= UInt64(table.pointee.count) else {
            throw makeTrap(function, .outOfBoundsTableAccess, at: op)
        }
        if n > 0 {
            let from = segment.pointee.start!.assumingMemoryBound(to: UInt64.self) + Int(s)
            (table.pointee.elements + Int(d)).update(from: from, count: Int(n))
        }
    case 13:  // elem.drop
        inst.elements[Int(truncatingIfNeeded: readU32(&pc))].count = 0
    case 14:  // table.copy dst src
        let dst = inst.tables[Int(truncatingIfNeeded: readU32(&pc))]
        let src = inst.tables[Int(truncatingIfNeeded: readU32(&pc))]
        sp -= 3
        let d = UInt64(u32(sp[0])), s = UInt64(u32(sp[1])), n = UInt64(u32(sp[2]))
        guard s &+ n <= UInt64(src.pointee.count), d &+ n <= UInt64(dst.pointee.count) else {
            throw makeTrap(function, .outOfBoundsTableAccess, at: op)
        }
        if n > 0 { (dst.pointee.elements + Int(d)).update(from: src.pointee.elements + Int(s), count: Int(n)) }
    case 15:  // table.grow
        let table = inst.tables[Int(truncatingIfNeeded: readU32(&pc))]
        sp -= 1
        sp[-1] = UInt64(growTable(table, by: u32(sp[0]), filling: sp[-1]))
    case 16:  // table.size
        let table = inst.tables[Int(truncatingIfNeeded: readU32(&pc))]
        sp[0] = UInt64(table.pointee.count)
        sp += 1
    case 17:  // table.fill
        let table = inst.tables[Int(truncatingIfNeeded: readU32(&pc))]
        sp -= 3
        let i = UInt64(u32(sp[0])), value = sp[1], n = UInt64(u32(sp[2]))
        guard i &+ n <= UInt64(table.pointee.count) else { throw makeTrap(function, .outOfBoundsTableAccess, at: op) }
        if n > 0 { (table.pointee.elements + Int(i)).update(repeating: value, count: Int(n)) }
    default:
        throw makeTrap(function, .unreachable, at: op)
    }
    return sp
}

/// `memory.grow` (spec 4.4.7): grows in place at the arena's low end; the old size in
/// pages, or -1 (as UInt32) when the maximum or the arena's room would be exceeded.
func growMemory(_ memory: UnsafeMutablePointer<MemoryRecord>, by delta: UInt32) -> UInt32 {
    let old = memory.pointee.pages
    if delta == 0 { return old }
    let (newPages, overflow) = old.addingReportingOverflow(delta)
    guard !overflow, newPages <= memory.pointee.maxPages else { return 0xFFFF_FFFF }
    let arena = memory.pointee.arena.takeUnretainedValue()
    // Only the last low-end allocation can grow in place.
    guard memory.pointee.base + memory.pointee.byteCount == arena.base + arena.lowTop else { return 0xFFFF_FFFF }
    let (extra, tooBig) = Int(delta).multipliedReportingOverflow(by: wasmPageSize)
    // The arena zeroes only bytes it handed out before: fresh pages stay untouched (no RSS).
    guard !tooBig, (try? arena.extendLow(by: extra, zeroed: true, for: .linearMemory)) != nil else { return 0xFFFF_FFFF }
    memory.pointee.byteCount &+= extra
    memory.pointee.pages = newPages
    return old
}

/// `table.grow` (spec 4.4.6): within the capacity reserved at instantiation.
func growTable(_ table: UnsafeMutablePointer<TableRecord>, by delta: UInt32, filling value: UInt64) -> UInt32 {
    let old = table.pointee.count
    let (newCount, overflow) = old.addingReportingOverflow(delta)
    guard !overflow, newCount <= table.pointee.capacity else { return 0xFFFF_FFFF }
    if let max = table.pointee.max, newCount > max { return 0xFFFF_FFFF }
    (table.pointee.elements + Int(old)).update(repeating: value, count: Int(delta))
    table.pointee.count = newCount
    return old
}

