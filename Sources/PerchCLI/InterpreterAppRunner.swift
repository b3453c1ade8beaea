import PerchCore
import PerchDecode
import PerchDevices
import PerchHAL
import PerchInterp
import PerchLink
import PerchSupervisor
import PerchValidate
import PerchWASI

/// Stack sizes of a supervised app's execution context (taken from its own arena).
enum SupervisedBudget {
    static let valueStackSlots = 1 << 13
    static let callDepth = 512
    /// State handed from `perch_save` to `perch_restore`, at most.
    static let maxStateBytes = 64 << 10
    /// Fuel for one `perch_save` or `perch_restore` call: they must not stall a swap.
    static let stateCallFuel = 1_000_000
    /// How often an app waiting for a GPIO edge looks again when the board's GPIO has no
    /// event descriptors to wake it (the simulated board, `ServedGPIO`).
    static let edgePollNanoseconds: UInt64 = 5_000_000
}

/// The `perch` import module offered to supervised apps: `perch.ready()` ends the health
/// window of a freshly swapped-in module early ("I am up and working").
final class PerchReadyModule: HostModule {
    var readyCalled = false
    var moduleName: StaticString { "perch" }
    func lookup(field: NameBytes) -> Int? { field == "ready" ? 0 : nil }
    func signature(of index: Int) -> HostSignature { HostSignature(")") }
    func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        readyCalled = true
        // Give control back so the supervisor sees the call at once.
        return .suspend(wakeAfterNanoseconds: 0)
    }
}

/// Runs supervised apps with the in-place interpreter: each app gets its own arena of
/// the manifest's size, WASI whose only files are stdout/stderr (captured for `perch logs`),
/// the `perch` module, and device modules limited to the manifest's grants, over the
/// board seen through the app's own `ServedGPIO`.
final class InterpreterAppRunner: AppRunner {
    let clock: any PlatformClock
    let random: any RandomSource
    let board: DeviceBoard?

    init(clock: any PlatformClock, random: any RandomSource, board: DeviceBoard?) {
        self.clock = clock
        self.random = random
        self.board = board
    }

    func prepare(module bytes: [UInt8], manifest: Manifest) throws(PrepareFailure) -> any AppInstance {
        guard !bytes.isEmpty else { throw .invalidModule("empty module") }
        let arena: Arena
        let copy: UnsafeMutableRawPointer
        do throws(ArenaError) {
            arena = try Arena(capacity: manifest.arenaByteCount)
            copy = try arena.allocateLow(bytes.count, alignment: 16, for: .moduleBytes)
        } catch {
            throw .instantiateFailed(error.message)
        }
        bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let module: Module
        do throws(ModuleError) {
            var loader = try ModuleLoader(arena: arena, adopting: UnsafeMutableRawBufferPointer(start: copy, count: bytes.count))
            module = try loader.finish()
        } catch {
            throw .invalidModule(error.message)
        }
        var grants = DeviceGrants()
        for grant in manifest.grants {
            switch grants.add(grant) {
            case .added: break
            case .emptyLabel: throw .instantiateFailed("grant '\(grant)' names no device")
            case .notDevice: throw .instantiateFailed("grant '\(grant)' is not gpio:, i2c: or sensor:")
            }
        }
        let linker = Linker()
        let output = AppOutputFiles()
        let wasi = WASI(platform: Platform(clock: clock, random: random, files: output), arguments: [manifest.app], environment: [])
        linker.register(host: wasi)
        let ready = PerchReadyModule()
        linker.register(host: ready)
        var devices: DeviceHost? = nil
        var edges: ServedGPIO? = nil
        if let board {
            let served = board.served()
            edges = served.gpio
            do throws(DeviceSetupError) {
                devices = try DeviceHost(board: served.board, grants: grants)
            } catch {
                throw .instantiateFailed(error.message)
            }
            devices?.gpio.pollIntervalNanoseconds = SupervisedBudget.edgePollNanoseconds
            // A refused device call (no such chip, line busy) goes to the app's log.
            devices?.diagnostics.onFailure = { [output] failure in output.note("perch: " + failure.message) }
            for m in devices?.modules ?? [] { linker.register(host: m) }
        } else if !manifest.grants.isEmpty {
            throw .instantiateFailed("device grants need a board (serve --board)")
        }
        let machine: Machine
        do throws(ArenaError) {
            machine = try Machine(arena: arena, valueStackSlots: SupervisedBudget.valueStackSlots, callDepth: SupervisedBudget.callDepth)
        } catch {
            throw .instantiateFailed(error.message)
        }
        let instance: Instance
        do throws(InstantiationError) {
            instance = try Instance.instantiate(module, in: arena, linker: linker, machine: machine)
        } catch {
            devices?.closeAll()
            throw .instantiateFailed(error.message)
        }
        guard let entry = instance.exportedFunction(NameBytes("_start")) else {
            devices?.closeAll()
            throw .instantiateFailed("module exports no _start function")
        }
        return InterpretedApp(
            arena: arena, instance: instance, machine: machine, entry: entry, ready: ready, devices: devices,
            edges: edges, output: output)
    }
}

/// One app under the interpreter. Holds its arena, so dropping the app frees it all.
///
/// State hand-over at a swap (both exports optional):
/// - old module: `perch_save() -> i64` returns `(address << 32) | length` of its state in
///   its memory (at most 64 KiB);
/// - new module: `perch_restore(length i32) -> i32` returns where to put that many bytes;
///   the supervisor copies them there before the new module's `_start` runs.
final class InterpretedApp: AppInstance {
    let arena: Arena
    let instance: Instance
    let machine: Machine
    let entry: UnsafeMutablePointer<FunctionRecord>
    var started = false
    let ready: PerchReadyModule
    var devices: DeviceHost?
    /// The edge waits of its current suspension (nil without a board).
    let edges: ServedGPIO?
    let output: AppOutputFiles

    init(arena: Arena, instance: Instance, machine: Machine, entry: UnsafeMutablePointer<FunctionRecord>,
         ready: PerchReadyModule, devices: DeviceHost?, edges: ServedGPIO?, output: AppOutputFiles) {
        self.arena = arena
        self.instance = instance
        self.machine = machine
        self.entry = entry
        self.ready = ready
        self.devices = devices
        self.edges = edges
        self.output = output
    }

    func run(fuel: UInt64) -> SliceOutcome {
        // The last suspension is over, edge or not; a wait that goes on arms again.
        edges?.disarm()
        let outcome: RunOutcome
        do throws(Trap) {
            if !started {
                // `_start` begins at the first slice, so `perch_restore` can run before it.
                try machine.start(entry, arguments: UnsafeBufferPointer(start: nil, count: 0))
                started = true
            }
            outcome = try machine.run(fuel: Int(min(fuel, UInt64(Int.max))))
        } catch {
            return .trapped(reason: error.message)
        }
        if ready.readyCalled {
            ready.readyCalled = false
            return .ready
        }
        switch outcome {
        case .finished: return .exited(code: 0)
        case .outOfFuel: return .outOfFuel
        case .hostSuspended(let ns): return .suspended(wakeAfterNanoseconds: ns)
        case .exited(let code): return .exited(code: code)
        }
    }

    func saveState() -> [UInt8]? {
        guard let save = export("perch_save", params: [], result: .i64) else { return nil }
        // The app's own machine is paused mid-`_start`; the call gets a small machine of
        // its own from the app's arena (nil if the arena has no room for it).
        guard let side = try? Machine(arena: arena, valueStackSlots: 1024, callDepth: 64),
            let packed = call(save, on: side, argument: nil)
        else { return nil }
        let address = UInt32(truncatingIfNeeded: packed >> 32)
        let length = UInt32(truncatingIfNeeded: packed)
        guard UInt(length) <= UInt(SupervisedBudget.maxStateBytes), let bytes = instance.memory.range(address, length) else {
            return nil
        }
        return Array(UnsafeRawBufferPointer(bytes))
    }

    func restoreState(_ state: [UInt8]) -> Bool {
        guard !started, state.count <= SupervisedBudget.maxStateBytes,
            let restore = export("perch_restore", params: [.i32], result: .i32),
            let address = call(restore, on: machine, argument: UInt64(state.count)),
            let target = instance.memory.range(UInt32(truncatingIfNeeded: address), UInt32(state.count))
        else { return false }
        state.withUnsafeBytes { target.copyMemory(from: $0) }
        return true
    }

    private func export(_ name: StaticString, params: [ValueType], result: ValueType) -> UnsafeMutablePointer<FunctionRecord>? {
        guard let f = instance.exportedFunction(NameBytes(name)) else { return nil }
        let type = f.pointee.type.pointee
        guard type.params.count == params.count, type.results.count == 1, type.results[0] == result.rawValue else {
            return nil
        }
        for (i, p) in params.enumerated() where type.params[i] != p.rawValue { return nil }
        return f
    }

    /// Runs a state export to completion within `stateCallFuel`; its one result, or nil on
    /// a trap, an exit, or fuel running out.
    private func call(_ f: UnsafeMutablePointer<FunctionRecord>, on m: Machine, argument: UInt64?) -> UInt64? {
        let arguments: [UInt64] = argument.map { [$0] } ?? []
        do throws(Trap) {
            try arguments.withUnsafeBufferPointer { (buffer) throws(Trap) in try m.start(f, arguments: buffer) }
            // A host call that suspends (a sleep) is resumed at once, a few times at most.
            for _ in 0..<8 {
                switch try m.run(fuel: SupervisedBudget.stateCallFuel) {
                case .finished: return m.results.first
                case .hostSuspended: continue
                case .outOfFuel, .exited: break
                }
                break
            }
        } catch {}
        m.abandon()
        return nil
    }
    func takeOutput() -> [String] { output.take() }

    func wakeDescriptors(into descriptors: inout [Int32]) {
        if let edges { descriptors += edges.armedDescriptors }
    }

    func pauseForSwap() -> Bool {
        guard let devices else { return true }
        edges?.disarm()
        devices.closeAll()
        return false
    }

    func discard() {
        edges?.disarm()
        devices?.closeAll()
        devices = nil
        machine.abandon()
    }
}
