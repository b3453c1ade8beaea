import PerchCore
import PerchHAL
import PerchDevices

/// A fake guest: 64 KiB of linear memory and a value stack, to call host modules the way
/// the interpreter does (arguments in slots, results written over them).
final class GuestHarness {
    static let memorySize = 65536
    let memory: UnsafeMutableRawPointer
    let slots: UnsafeMutablePointer<UInt64>
    var guest: GuestMemory { GuestMemory(base: memory, size: Self.memorySize) }
    private var nextFree: UInt32 = 1024

    init() {
        memory = UnsafeMutableRawPointer.allocate(byteCount: Self.memorySize, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: Self.memorySize)
        slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 16)
        slots.initialize(repeating: 0, count: 16)
    }

    deinit {
        memory.deallocate()
        slots.deallocate()
    }

    /// Copies `text` into guest memory; its pointer and length.
    func string(_ text: String) -> (UInt32, UInt32) {
        let bytes = Array(text.utf8)
        let pointer = reserve(UInt32(bytes.count))
        for (i, byte) in bytes.enumerated() { memory.storeBytes(of: byte, toByteOffset: Int(pointer) + i, as: UInt8.self) }
        return (pointer, UInt32(bytes.count))
    }

    /// A fresh zeroed area of guest memory.
    func reserve(_ count: UInt32) -> UInt32 {
        let pointer = nextFree
        nextFree = (nextFree + count + 15) & ~15
        return pointer
    }

    func bytes(at pointer: UInt32, count: Int) -> [UInt8] {
        (0..<count).map { memory.load(fromByteOffset: Int(pointer) + $0, as: UInt8.self) }
    }

    func setBytes(_ bytes: [UInt8], at pointer: UInt32) {
        for (i, byte) in bytes.enumerated() { memory.storeBytes(of: byte, toByteOffset: Int(pointer) + i, as: UInt8.self) }
    }

    func u32(at pointer: UInt32) -> UInt32 { guest.load(UInt32.self, at: pointer)! }
    func u64(at pointer: UInt32) -> UInt64 { guest.load(UInt64.self, at: pointer)! }
    func setU32(_ value: UInt32, at pointer: UInt32) { guest.store(value, at: pointer) }

    /// Calls `name` of `module` with i32/i64 arguments; the outcome and slot 0 afterwards.
    @discardableResult
    func call(_ module: any HostModule, _ name: StaticString, _ arguments: [UInt64]) -> (result: UInt64, outcome: HostOutcome) {
        guard let index = module.lookup(field: NameBytes(name)) else { fatalError("no import \(name)") }
        for (i, argument) in arguments.enumerated() { slots[i] = argument }
        let call = HostCall(slots: slots, memory: guest)
        let outcome = module.call(index, call)
        return (slots[0], outcome)
    }

    /// Calls a function returning a status; the status.
    func status(_ module: any HostModule, _ name: StaticString, _ arguments: [UInt64]) -> DeviceStatus? {
        DeviceStatus(rawValue: UInt32(truncatingIfNeeded: call(module, name, arguments).result))
    }
}

extension UInt32 {
    var arg: UInt64 { UInt64(self) }
}

extension Int {
    var arg: UInt64 { UInt64(UInt32(truncatingIfNeeded: self)) }
}
