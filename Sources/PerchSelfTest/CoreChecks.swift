import PerchCore

func byteSizeChecks(_ t: inout SelfTest) {
    t.check(parseByteSize("65536".utf8) == 65536, "plain bytes")
    t.check(parseByteSize("512K".utf8) == 512 * 1024, "K suffix")
    t.check(parseByteSize("4M".utf8) == 4 << 20, "M suffix")
    t.check(parseByteSize("4mib".utf8) == 4 << 20, "MiB suffix, any case")
    t.check(parseByteSize("1G".utf8) == 1 << 30, "G suffix")
    t.check(parseByteSize("".utf8) == nil, "empty rejected")
    t.check(parseByteSize("M".utf8) == nil, "unit without digits rejected")
    t.check(parseByteSize("4X".utf8) == nil, "unknown unit rejected")
    t.check(parseByteSize("4MBB".utf8) == nil, "trailing junk rejected")
    t.check(parseByteSize("99999999999999999999".utf8) == nil, "overflow rejected")
    t.check(parseByteSize("9999999999999G".utf8) == nil, "overflow by unit rejected")
}

func arenaChecks(_ t: inout SelfTest) {
    let arena: Arena
    do throws(ArenaError) {
        arena = try Arena(capacity: 4096)
    } catch {
        t.fail(error.message)
        return
    }
    do throws(ArenaError) {
        let low = try arena.allocateLow(100, for: .moduleBytes)
        let high = try arena.allocateHigh(200, for: .moduleMetadata)
        t.check(low == arena.base, "first low allocation at the base")
        t.check(high + 200 == arena.base + arena.capacity, "first high allocation at the top")
        t.check(arena.used == 300, "used counts both ends")
        let mark = arena.mark
        let words = try arena.allocateHigh(UInt64.self, count: 16, for: .globals)
        t.check(words.allSatisfy { $0 == 0 }, "typed allocation is zero-filled")
        t.check(Int(bitPattern: words.baseAddress) % MemoryLayout<UInt64>.alignment == 0, "typed allocation aligned")
        arena.reset(to: mark)
        t.check(arena.mark == mark, "reset returns to the mark")
        t.check(arena.highWaterMark >= 300 + 16 * 8, "high-water mark remembers the peak")
    } catch {
        t.fail(error.message)
    }
    t.checkThrows("full arena names the use", { () throws(ArenaError) in
        _ = try arena.allocateLow(8192, for: .linearMemory)
    }, matches: { $0.use == .linearMemory && $0.requested == 8192 })
    t.checkThrows("ends never cross", { () throws(ArenaError) in
        _ = try arena.allocateHigh(arena.free + 1, for: .valueStack)
    }, matches: { $0.use == .valueStack })
    t.checkThrows("negative size rejected", { () throws(ArenaError) in
        _ = try arena.allocateLow(-1, for: .table)
    })
    t.checkThrows("overflowing typed count rejected", { () throws(ArenaError) in
        _ = try arena.allocateHigh(UInt64.self, count: Int.max / 4, for: .table)
    })
    t.checkThrows("zero-capacity arena rejected", { () throws(ArenaError) in
        _ = try Arena(capacity: 0)
    })
}

func guestMemoryChecks(_ t: inout SelfTest) {
    withUnsafeTemporaryAllocation(byteCount: 100, alignment: 8) { buffer in
        guard let base = buffer.baseAddress else { return }
        let memory = GuestMemory(base: base, size: 100)
        t.check(memory.range(96, 4) != nil, "range ending at the last byte")
        t.check(memory.range(97, 4) == nil, "range past the end")
        t.check(memory.range(100, 0) != nil, "empty range at the end")
        t.check(memory.range(101, 0) == nil, "empty range past the end")
        t.check(memory.range(UInt32.max, 2) == nil, "range wrapping 32 bits")
        t.check(memory.store(UInt32(0xdead_beef), at: 8), "store inside")
        t.check(memory.load(UInt32.self, at: 8) == 0xdead_beef, "load what was stored")
        t.check(memory.load(UInt8.self, at: 8) == 0xef, "little-endian order")
        t.check(memory.load(UInt64.self, at: 96) == nil, "load past the end")
        t.check(!memory.store(UInt16(1), at: 99), "store past the end")
    }
    let empty = GuestMemory(base: nil, size: 0)
    t.check(empty.range(0, 0) != nil && empty.range(0, 1) == nil, "memoryless instance")
}

func hostSignatureChecks(_ t: inout SelfTest) {
    withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
        guard let base = buffer.baseAddress else { return }
        let memory = GuestMemory(base: base, size: 64)
        var slots: [UInt64] = [0, 0, 0, 0]
        slots.withUnsafeMutableBufferPointer { slotBuffer in
            guard let slotBase = slotBuffer.baseAddress else { return }
            let call = HostCall(slots: slotBase, memory: memory)
            let signature = HostSignature("*~4)i")
            call.setI32(0, 16); call.setI32(1, 32); call.setI32(2, 60)
            t.check(signature.firstBadPointer(in: call) == nil, "pointers inside memory pass")
            call.setI32(1, 49)
            t.check(signature.firstBadPointer(in: call) == 0, "buffer running past the end is caught")
            call.setI32(1, 8); call.setI32(2, 61)
            t.check(signature.firstBadPointer(in: call) == 2, "4-byte out-pointer past the end is caught")
        }
    }
    let i32 = ValueType.i32.rawValue, i64 = ValueType.i64.rawValue
    let params: [UInt8] = [i32, i32, i32]
    let results: [UInt8] = [i32]
    let wrong: [UInt8] = [i64]
    params.withUnsafeBytes { p in
        results.withUnsafeBytes { r in
            t.check(HostSignature("*~4)i").matches(params: p, results: r), "signature matches its wasm type")
        }
        wrong.withUnsafeBytes { r in
            t.check(!HostSignature("*~4)i").matches(params: p, results: r), "wrong result type rejected")
        }
    }
}
