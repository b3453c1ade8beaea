import PerchCore
import PerchHAL

/// The `sensor` host module: the sensors a board declares, read as fixed-point SI values
/// through host-side drivers. Listing is open to all; opening needs a grant.
public final class SensorModule: HostModule {
    public var moduleName: StaticString { "sensor" }

    private struct OpenSensor {
        let sensor: Int
    }

    private static let functions: [DeviceFunction] = [
        DeviceFunction(name: "count", signature: ")i"),
        DeviceFunction(name: "name", signature: "iiii)i"),
        DeviceFunction(name: "open", signature: "iii)i"),
        DeviceFunction(name: "close", signature: "i)i"),
        DeviceFunction(name: "channels", signature: "ii)i"),
        DeviceFunction(name: "read", signature: "iii)i"),
    ]

    private let access: DeviceAccess<OpenSensor>
    private var board: DeviceBoard { access.board }
    /// One driver per declared sensor, made at construction, started at first open.
    private let drivers: [any SensorDriver]
    private var started: [Bool]
    /// How long a guest told `pending` (no measurement yet) is suspended before retrying.
    public var pendingRetryNanoseconds: UInt64 = 1_000_000

    public init(board: DeviceBoard, grants: DeviceGrants, diagnostics: DeviceDiagnostics, capacity: Int = 8) {
        self.access = DeviceAccess(board: board, resource: .sensor, grants: grants, diagnostics: diagnostics, capacity: capacity)
        self.drivers = board.sensors.map { sensor -> any SensorDriver in
            let bus = board.buses[sensor.busIndex].bus
            switch sensor.kind {
            case .bme280: return BME280Driver(bus: bus, address: sensor.address)
            case .tmp102: return TMP102Driver(bus: bus, address: sensor.address)
            }
        }
        self.started = Array(repeating: false, count: board.sensors.count)
    }

    public func lookup(field: NameBytes) -> Int? { lookupFunction(field, in: Self.functions) }

    public func signature(of index: Int) -> HostSignature { HostSignature(Self.functions[index].signature) }

    public func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        let c = access.call(call, .sensor, Self.functions[index].name)
        switch index {
        case 0:
            call.setI32(0, UInt32(truncatingIfNeeded: board.sensors.count))
            return .done
        case 1: return name(c, call.i32(0), call.i32(1), call.i32(2), call.i32(3))
        case 2: return open(c, call.i32(0), call.i32(1), call.i32(2))
        case 3: return close(c, call.i32(0))
        case 4: return channels(c, call.i32(0), call.i32(1))
        default: return read(c, call.i32(0), call.i32(1), call.i32(2))
        }
    }

    public func closeAll() { access.closeAll { _ in } }

    // MARK: Functions

    /// Copies sensor `index`'s label into the buffer and its full length to `lengthOut`;
    /// `invalid` (with the length written) when the buffer is too small.
    private func name(
        _ c: DeviceCall, _ index: UInt32, _ bufferPointer: UInt32, _ capacity: UInt32, _ lengthOut: UInt32
    ) -> HostOutcome {
        guard let buffer = c.bytes(bufferPointer, capacity), c.checkOut(lengthOut, 4) else { return .done }
        guard index < UInt32(board.sensors.count) else { return c.fail(.notFound, "sensor index", value: UInt64(index)) }
        let label = board.sensors[Int(index)].label.bytes
        c.store32(UInt32(label.count), at: lengthOut)
        guard label.count <= buffer.count else { return c.fail(.invalid, "buffer length", value: UInt64(capacity)) }
        for offset in 0..<label.count { buffer[offset] = label[offset] }
        return c.ok()
    }

    private func open(_ c: DeviceCall, _ labelPointer: UInt32, _ labelLength: UInt32, _ handleOut: UInt32) -> HostOutcome {
        guard let label = c.name(labelPointer, labelLength), c.checkOut(handleOut, 4),
              let sensor = access.grantedIndex(c, label)
        else { return .done }
        if !started[sensor] {
            do throws(SensorError) {
                try drivers[sensor].start()
            } catch {
                return c.fail(status(error), "sensor", name: label)
            }
            started[sensor] = true
        }
        guard access.open(c, OpenSensor(sensor: sensor), label: label, handleOut: handleOut) else { return .done }
        return c.ok()
    }

    private func close(_ c: DeviceCall, _ handle: UInt32) -> HostOutcome {
        access.close(c, handle) == nil ? .done : c.ok()
    }

    private func channels(_ c: DeviceCall, _ handle: UInt32, _ maskOut: UInt32) -> HostOutcome {
        guard let (_, open) = access.find(c, handle), c.checkOut(maskOut, 4) else { return .done }
        c.store32(drivers[open.sensor].channelMask, at: maskOut)
        return c.ok()
    }

    private func read(_ c: DeviceCall, _ handle: UInt32, _ channelNumber: UInt32, _ valueOut: UInt32) -> HostOutcome {
        guard let (_, open) = access.find(c, handle), c.checkOut(valueOut, 8) else { return .done }
        let label = board.sensors[open.sensor].label
        guard let channel = SensorChannel(rawValue: channelNumber),
              drivers[open.sensor].channelMask & channel.bit != 0
        else { return label.withNameBytes { c.fail(.unsupported, "sensor", name: $0, value: UInt64(channelNumber)) } }
        do throws(SensorError) {
            let value = try drivers[open.sensor].read(channel)
            c.store64(UInt64(bitPattern: value), at: valueOut)
        } catch {
            if error == .notReady {
                // A chip's first measurement takes milliseconds: let the runtime wait.
                c.call.setI32(0, DeviceStatus.pending.rawValue)
                return .suspend(wakeAfterNanoseconds: pendingRetryNanoseconds)
            }
            return label.withNameBytes { c.fail(status(error), "sensor", name: $0) }
        }
        return c.ok()
    }

    private func status(_ error: SensorError) -> DeviceStatus {
        switch error {
        case .bus(let failure): return DeviceStatus(failure)
        case .wrongChip: return .wrongDevice
        case .notReady: return .pending
        case .unsupportedChannel: return .unsupported
        }
    }
}
