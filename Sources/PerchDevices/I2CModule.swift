import PerchCore
import PerchHAL

/// The `i2c` host module: buses opened by board label, deny by default; transfers follow
/// wasi-i2c (read, write, write-read with a repeated start, general transactions).
public final class I2CModule: HostModule {
    public var moduleName: StaticString { "i2c" }

    /// Most segments one `transaction` may have.
    public static let maxSegments = 8
    /// Bytes of one `transaction` segment record: u32 kind (0 write, 1 read), u32 pointer, u32 length.
    public static let segmentRecordSize: UInt32 = 12
    /// Longest segment (Linux `i2c_msg.len` is 16 bits).
    public static let maxSegmentLength: UInt32 = 0xFFFF

    private struct OpenBus {
        let bus: Int
    }

    private static let functions: [DeviceFunction] = [
        DeviceFunction(name: "open", signature: "iii)i"),
        DeviceFunction(name: "close", signature: "i)i"),
        DeviceFunction(name: "read", signature: "iiii)i"),
        DeviceFunction(name: "write", signature: "iiii)i"),
        DeviceFunction(name: "write_read", signature: "iiiiii)i"),
        DeviceFunction(name: "transaction", signature: "iiii)i"),
    ]

    private let access: DeviceAccess<OpenBus>
    /// Made once; a transfer fills its first segments.
    private var segments: [I2CMessage]

    public init(board: DeviceBoard, grants: DeviceGrants, diagnostics: DeviceDiagnostics, capacity: Int = 8) {
        self.access = DeviceAccess(board: board, resource: .bus, grants: grants, diagnostics: diagnostics, capacity: capacity)
        self.segments = Array(
            repeating: I2CMessage(address: 0, isRead: false, buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0)),
            count: Self.maxSegments)
    }

    public func lookup(field: NameBytes) -> Int? { lookupFunction(field, in: Self.functions) }

    public func signature(of index: Int) -> HostSignature { HostSignature(Self.functions[index].signature) }

    public func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        let c = access.call(call, .i2c, Self.functions[index].name)
        switch index {
        case 0: return open(c, call.i32(0), call.i32(1), call.i32(2))
        case 1: return close(c, call.i32(0))
        case 2: return simple(c, call.i32(0), call.i32(1), isRead: true, call.i32(2), call.i32(3))
        case 3: return simple(c, call.i32(0), call.i32(1), isRead: false, call.i32(2), call.i32(3))
        case 4: return writeRead(c, call.i32(0), call.i32(1), call.i32(2), call.i32(3), call.i32(4), call.i32(5))
        default: return transaction(c, call.i32(0), call.i32(1), call.i32(2), call.i32(3))
        }
    }

    public func closeAll() { access.closeAll { _ in } }

    // MARK: Functions

    private func open(_ c: DeviceCall, _ labelPointer: UInt32, _ labelLength: UInt32, _ handleOut: UInt32) -> HostOutcome {
        guard let label = c.name(labelPointer, labelLength), c.checkOut(handleOut, 4),
              let bus = access.grantedIndex(c, label),
              access.open(c, OpenBus(bus: bus), label: label, handleOut: handleOut)
        else { return .done }
        return c.ok()
    }

    private func close(_ c: DeviceCall, _ handle: UInt32) -> HostOutcome {
        access.close(c, handle) == nil ? .done : c.ok()
    }

    private func simple(
        _ c: DeviceCall, _ handle: UInt32, _ address: UInt32, isRead: Bool, _ pointer: UInt32, _ length: UInt32
    ) -> HostOutcome {
        guard let bus = openBus(c, handle), let target = checkAddress(c, address) else { return .done }
        guard let buffer = segmentBuffer(c, pointer, length) else { return .done }
        segments[0] = I2CMessage(address: target, isRead: isRead, buffer: buffer)
        return transfer(c, bus, target, count: 1)
    }

    private func writeRead(
        _ c: DeviceCall, _ handle: UInt32, _ address: UInt32,
        _ writePointer: UInt32, _ writeLength: UInt32, _ readPointer: UInt32, _ readLength: UInt32
    ) -> HostOutcome {
        guard let bus = openBus(c, handle), let target = checkAddress(c, address) else { return .done }
        guard let written = segmentBuffer(c, writePointer, writeLength),
              let read = segmentBuffer(c, readPointer, readLength)
        else { return .done }
        segments[0] = I2CMessage(address: target, isRead: false, buffer: written)
        segments[1] = I2CMessage(address: target, isRead: true, buffer: read)
        return transfer(c, bus, target, count: 2)
    }

    private func transaction(
        _ c: DeviceCall, _ handle: UInt32, _ address: UInt32, _ recordsPointer: UInt32, _ count: UInt32
    ) -> HostOutcome {
        guard let bus = openBus(c, handle), let target = checkAddress(c, address) else { return .done }
        guard count >= 1, count <= UInt32(Self.maxSegments) else {
            return c.fail(.invalid, "segment count", value: UInt64(count))
        }
        guard c.bytes(recordsPointer, count &* Self.segmentRecordSize) != nil else { return .done }
        for index in 0..<Int(count) {
            let record = recordsPointer &+ UInt32(index) &* Self.segmentRecordSize
            // In range: the whole record array was checked above.
            let kind = c.call.memory.load(UInt32.self, at: record) ?? 0
            let pointer = c.call.memory.load(UInt32.self, at: record &+ 4) ?? 0
            let length = c.call.memory.load(UInt32.self, at: record &+ 8) ?? 0
            guard kind <= 1 else { return c.fail(.invalid, "segment kind", value: UInt64(kind)) }
            guard let buffer = segmentBuffer(c, pointer, length) else { return .done }
            segments[index] = I2CMessage(address: target, isRead: kind == 1, buffer: buffer)
        }
        return transfer(c, bus, target, count: Int(count))
    }

    // MARK: Helpers

    private func openBus(_ c: DeviceCall, _ handle: UInt32) -> Int? { access.find(c, handle)?.entry.bus }

    private func checkAddress(_ c: DeviceCall, _ address: UInt32) -> UInt8? {
        if address <= 0x7F { return UInt8(address) }
        _ = c.fail(.invalid, "address", value: UInt64(address))
        return nil
    }

    private func segmentBuffer(_ c: DeviceCall, _ pointer: UInt32, _ length: UInt32) -> UnsafeMutableRawBufferPointer? {
        guard length <= Self.maxSegmentLength else {
            _ = c.fail(.invalid, "length", value: UInt64(length))
            return nil
        }
        return c.bytes(pointer, length)
    }

    private func transfer(_ c: DeviceCall, _ busIndex: Int, _ address: UInt8, count: Int) -> HostOutcome {
        let entry = access.board.buses[busIndex]
        let failure: I2CError? = segments.withUnsafeMutableBufferPointer { all in
            do throws(I2CError) {
                try entry.bus.transfer(UnsafeMutableBufferPointer(rebasing: all[0..<count]))
                return nil
            } catch {
                return error
            }
        }
        guard let failure else { return c.ok() }
        return entry.label.withNameBytes { c.fail(DeviceStatus(failure), "bus", name: $0, value: UInt64(address)) }
    }
}
