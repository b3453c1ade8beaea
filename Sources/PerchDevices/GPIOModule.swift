import PerchCore
import PerchHAL

/// The `gpio` host module: lines opened by board label, deny by default
/// (docs/devices-abi.md has the ABI).
public final class GPIOModule: HostModule {
    public var moduleName: StaticString { "gpio" }

    /// `open` flags.
    public enum Flag {
        public static let output: UInt32 = 1 << 0
        public static let biasShift: UInt32 = 1
        public static let biasMask: UInt32 = 3 << 1
        public static let activeLow: UInt32 = 1 << 3
        public static let initialHigh: UInt32 = 1 << 4
        public static let risingEdge: UInt32 = 1 << 5
        public static let fallingEdge: UInt32 = 1 << 6
        static let all: UInt32 = 0x7F
    }

    /// Bytes `wait_edge` writes: u64 timestamp (ns, board clock), u32 edge (1 rising,
    /// 2 falling), u32 zero.
    public static let edgeEventSize: UInt32 = 16

    private struct OpenLine {
        let line: GPIOLineID
        let pin: Int
        let settings: GPIOLineSettings
        /// An edge wait in progress: true after a call answered `pending`.
        var waiting = false
        /// When that wait times out; nil waits for ever.
        var deadline: UInt64? = nil
    }

    private static let functions: [DeviceFunction] = [
        DeviceFunction(name: "open", signature: "iiii)i"),
        DeviceFunction(name: "close", signature: "i)i"),
        DeviceFunction(name: "set", signature: "ii)i"),
        DeviceFunction(name: "get", signature: "ii)i"),
        DeviceFunction(name: "toggle", signature: "i)i"),
        DeviceFunction(name: "wait_edge", signature: "iiii)i"),
    ]

    private let access: DeviceAccess<OpenLine>
    private var board: DeviceBoard { access.board }
    /// How long a guest waiting for an edge sleeps between looks at the line, when the
    /// board cannot wake it at the edge.
    public var pollIntervalNanoseconds: UInt64 = 1_000_000
    /// The longest single suspension of a wait the board wakes at the edge (a wait for
    /// ever is resumed this often, and suspended again).
    public static let longestSuspensionNanoseconds: UInt64 = 60_000_000_000

    public init(board: DeviceBoard, grants: DeviceGrants, diagnostics: DeviceDiagnostics, capacity: Int = 16) {
        self.access = DeviceAccess(board: board, resource: .pin, grants: grants, diagnostics: diagnostics, capacity: capacity)
    }

    public func lookup(field: NameBytes) -> Int? { lookupFunction(field, in: Self.functions) }

    public func signature(of index: Int) -> HostSignature {
        HostSignature(Self.functions[index].signature)
    }

    public func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        let context = access.call(call, .gpio, Self.functions[index].name)
        switch index {
        case 0: return open(context, call.i32(0), call.i32(1), call.i32(2), call.i32(3))
        case 1: return close(context, call.i32(0))
        case 2: return set(context, call.i32(0), call.i32(1))
        case 3: return get(context, call.i32(0), call.i32(1))
        case 4: return toggle(context, call.i32(0))
        default: return waitEdge(context, call.i32(0), call.i32(1), Int32(bitPattern: call.i32(2)), call.i32(3))
        }
    }

    /// Releases every line this module holds (when its instance ends).
    public func closeAll() {
        let gpio = board.gpio
        access.closeAll { gpio?.release($0.line) }
    }

    // MARK: Functions

    private func open(
        _ c: DeviceCall, _ labelPointer: UInt32, _ labelLength: UInt32, _ flags: UInt32, _ handleOut: UInt32
    ) -> HostOutcome {
        guard let label = c.name(labelPointer, labelLength), c.checkOut(handleOut, 4) else { return .done }
        guard flags & ~Flag.all == 0,
              flags & Flag.output == 0 || flags & (Flag.risingEdge | Flag.fallingEdge) == 0,
              let bias = GPIOBias(rawValue: UInt8((flags & Flag.biasMask) >> Flag.biasShift))
        else { return c.fail(.invalid, "flags", name: label, value: UInt64(flags)) }
        guard let pin = access.grantedIndex(c, label) else { return .done }
        guard let gpio = board.gpio else { return c.fail(.unavailable, "pin", name: label) }
        var edges: GPIOEdges = []
        if flags & Flag.risingEdge != 0 { edges.insert(.rising) }
        if flags & Flag.fallingEdge != 0 { edges.insert(.falling) }
        let settings = GPIOLineSettings(
            direction: flags & Flag.output != 0 ? .output : .input, bias: bias,
            activeLow: flags & Flag.activeLow != 0, edges: edges, initialValue: flags & Flag.initialHigh != 0)
        let entry = board.pins[pin]
        let result: Result<GPIOLineID, GPIOError> = entry.chip.withNameBytes { chip in
            let selector: GPIOLineSelector
            switch entry.line {
            case .offset(let offset):
                selector = .offset(offset)
                return Result { () throws(GPIOError) in try gpio.request(chip: chip, line: selector, settings: settings) }
            case .name(let lineName):
                return lineName.withNameBytes { name in
                    Result { () throws(GPIOError) in try gpio.request(chip: chip, line: .name(name), settings: settings) }
                }
            }
        }
        let line: GPIOLineID
        switch result {
        case .success(let requested): line = requested
        case .failure(let error): return c.fail(DeviceStatus(error), "pin", name: label)
        }
        guard access.open(c, OpenLine(line: line, pin: pin, settings: settings), label: label, handleOut: handleOut) else {
            gpio.release(line)
            return .done
        }
        return c.ok()
    }

    private func close(_ c: DeviceCall, _ handle: UInt32) -> HostOutcome {
        guard let open = access.close(c, handle) else { return .done }
        board.gpio?.release(open.line)
        return c.ok()
    }

    private func set(_ c: DeviceCall, _ handle: UInt32, _ value: UInt32) -> HostOutcome {
        guard let (_, open) = access.find(c, handle) else { return .done }
        guard open.settings.direction == .output else { return failOnPin(c, .unsupported, open) }
        guard let gpio = board.gpio else { return failOnPin(c, .unavailable, open) }
        do throws(GPIOError) {
            try gpio.setValue(open.line, value != 0)
        } catch {
            return failOnPin(c, DeviceStatus(error), open)
        }
        return c.ok()
    }

    private func get(_ c: DeviceCall, _ handle: UInt32, _ valueOut: UInt32) -> HostOutcome {
        guard let (_, open) = access.find(c, handle) else { return .done }
        guard c.checkOut(valueOut, 4) else { return .done }
        guard let gpio = board.gpio else { return failOnPin(c, .unavailable, open) }
        do throws(GPIOError) {
            c.store32(try gpio.value(open.line) ? 1 : 0, at: valueOut)
        } catch {
            return failOnPin(c, DeviceStatus(error), open)
        }
        return c.ok()
    }

    private func toggle(_ c: DeviceCall, _ handle: UInt32) -> HostOutcome {
        guard let (_, open) = access.find(c, handle) else { return .done }
        guard open.settings.direction == .output else { return failOnPin(c, .unsupported, open) }
        guard let gpio = board.gpio else { return failOnPin(c, .unavailable, open) }
        do throws(GPIOError) {
            try gpio.setValue(open.line, !(try gpio.value(open.line)))
        } catch {
            return failOnPin(c, DeviceStatus(error), open)
        }
        return c.ok()
    }

    /// Answers at once with an edge, `timed_out`, or `pending` plus a suspension of the
    /// guest; the guest repeats the call while it gets `pending` (the SDK does the loop).
    private func waitEdge(
        _ c: DeviceCall, _ handle: UInt32, _ wanted: UInt32, _ timeoutMilliseconds: Int32, _ eventOut: UInt32
    ) -> HostOutcome {
        guard let (slot, open) = access.find(c, handle) else { return .done }
        let edges = GPIOEdges(rawValue: UInt8(truncatingIfNeeded: wanted))
        guard wanted != 0, wanted & ~3 == 0, open.settings.edges.isSuperset(of: edges) else {
            return failOnPin(c, .invalid, open)
        }
        guard c.checkOut(eventOut, Self.edgeEventSize) else { return .done }
        guard let gpio = board.gpio else { return failOnPin(c, .unavailable, open) }
        var state = open
        do throws(GPIOError) {
            while let event = try gpio.nextEdge(open.line) {
                guard edges.contains(event.edge) else { continue }
                c.store64(event.timestampNanoseconds, at: eventOut)
                c.store32(UInt32(event.edge.rawValue), at: eventOut &+ 8)
                c.store32(0, at: eventOut &+ 12)
                state.waiting = false
                access.update(slot: slot, state)
                return c.ok()
            }
        } catch {
            return failOnPin(c, DeviceStatus(error), open)
        }
        let now = board.clock.now(.monotonic) ?? 0
        if !state.waiting {
            if timeoutMilliseconds == 0 {
                c.call.setI32(0, DeviceStatus.timedOut.rawValue)
                return .done
            }
            state.waiting = true
            state.deadline = timeoutMilliseconds < 0
                ? nil : now &+ UInt64(timeoutMilliseconds) &* 1_000_000
        }
        var sleep = gpio.wakeOnEdge(open.line) ? Self.longestSuspensionNanoseconds : pollIntervalNanoseconds
        if let deadline = state.deadline {
            if now >= deadline {
                state.waiting = false
                access.update(slot: slot, state)
                c.call.setI32(0, DeviceStatus.timedOut.rawValue)
                return .done
            }
            sleep = min(sleep, deadline &- now)
        }
        access.update(slot: slot, state)
        c.call.setI32(0, DeviceStatus.pending.rawValue)
        return .suspend(wakeAfterNanoseconds: sleep)
    }

    private func failOnPin(_ c: DeviceCall, _ status: DeviceStatus, _ open: OpenLine) -> HostOutcome {
        board.pins[open.pin].label.withNameBytes { c.fail(status, "pin", name: $0) }
    }
}
