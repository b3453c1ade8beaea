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
/// the `perch` module, and device modules limited to the manifest's grants.
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
            arena = try Arena(capacity: Int(manifest.arenaSize))
            copy = try arena.allocateLow(bytes.count, alignment: 16, for: .moduleBytes)
        } catch {
            throw .instantiateFailed(error.message)
        }
        bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        var module: Module
        do throws(ModuleError) {
            var decoder = try ModuleDecoder(arena: arena, adopting: UnsafeMutableRawBufferPointer(start: copy, count: bytes.count))
            module = try decoder.finish()
            try validate(&module, arena: arena)
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
        if let board {
            do throws(DeviceSetupError) {
                devices = try DeviceHost(board: board, grants: grants)
            } catch {
                throw .instantiateFailed(error.message)
            }
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
        do throws(Trap) {
            try machine.start(entry, arguments: UnsafeBufferPointer(start: nil, count: 0))
        } catch {
            devices?.closeAll()
            throw .instantiateFailed(error.message)
        }
        return InterpretedApp(arena: arena, instance: instance, machine: machine, ready: ready, devices: devices, output: output)
    }
}

/// One app under the interpreter. Holds its arena, so dropping the app frees it all.
final class InterpretedApp: AppInstance {
    let arena: Arena
    let instance: Instance
    let machine: Machine
    let ready: PerchReadyModule
    var devices: DeviceHost?
    let output: AppOutputFiles

    init(arena: Arena, instance: Instance, machine: Machine, ready: PerchReadyModule, devices: DeviceHost?,
         output: AppOutputFiles) {
        self.output = output
        self.arena = arena
        self.instance = instance
        self.machine = machine
        self.ready = ready
        self.devices = devices
    }

    func run(fuel: UInt64) -> SliceOutcome {
        let outcome: RunOutcome
        do throws(Trap) {
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

    // perch_save/perch_restore state hand-over is not wired to the interpreter yet.
    func saveState() -> [UInt8]? { nil }
    func restoreState(_ state: [UInt8]) -> Bool { false }
    func takeOutput() -> [String] { output.take() }

    func pauseForSwap() -> Bool {
        guard let devices else { return true }
        devices.closeAll()
        return false
    }

    func discard() {
        devices?.closeAll()
        devices = nil
        machine.abandon()
    }
}
