import CPerchSys
import PerchCore
import PerchDecode
import PerchInterp
import PerchValidate
import PerchWASI

/// Budgets of one `perch run`, in one place.
public enum RunBudget {
    /// Arena when neither `--arena` nor a board gives one.
    public static let defaultArena = 64 << 20
    /// Value-stack slots (8 bytes each) of the one execution context.
    public static let valueStackSlots = 1 << 17
    /// Nested wasm calls before the trap "call stack exhausted".
    public static let callDepth = 1 << 14
    /// Fuel per slice: between slices the run loop checks the `--fuel` budget.
    public static let fuelSlice = 1 << 22
    /// Bytes read from the module file per `read` into the arena.
    public static let readChunk = 1 << 16
}

/// Process exit statuses of `perch run` beyond the shared ones (`ExitStatus`).
public enum RunExitStatus {
    /// The guest trapped (like a process killed by SIGABRT: 128 + 6).
    public static let trap: Int32 = 134
    /// `--fuel` ran out before the guest finished (as `timeout(1)` reports).
    public static let outOfFuel: Int32 = 124
}

/// What `perch run` was asked to do.
public struct RunRequest {
    public var modulePath: String
    /// The guest's arguments after argv[0] (which is the module path); for `--invoke`,
    /// the function's arguments.
    public var arguments: [String] = []
    /// `KEY=VALUE`, exactly what the guest may see.
    public var environment: [String] = []
    public var directories: [(host: String, guest: String)] = []
    public var arenaBytes = RunBudget.defaultArena
    /// Total fuel; nil for no limit.
    public var fuel: Int? = nil
    public var invoke: String? = nil
    /// More import modules beside WASI (devices, the supervisor's `perch` module).
    public var hostModules: [any HostModule] = []

    public init(modulePath: String) { self.modulePath = modulePath }
}

/// How a run ended: the exit status, the one line for stderr if any, and `--invoke`'s
/// results (one printed value each).
public struct RunReport {
    public var status: Int32
    public var error: String?
    public var results: [String] = []

    static func failure(_ message: String, status: Int32 = ExitStatus.failure) -> RunReport {
        RunReport(status: status, error: message)
    }
}

/// Loads, validates, instantiates and runs a module with WASI over `platform`.
/// A host call that suspends (a guest sleeping in `poll_oneoff`) is slept through with
/// the platform's clock, then the run resumes.
public func runModule(_ request: RunRequest, platform: Platform) -> RunReport {
    let arena: Arena
    do {
        arena = try Arena(capacity: request.arenaBytes)
    } catch {
        return .failure("perch: \(error.message)")
    }
    var module: Module
    switch loadModule(request.modulePath, into: arena) {
    case .success(let loaded): module = loaded
    case .failure(let failure): return .failure(failure.message, status: failure.status)
    }
    do throws(ModuleError) {
        try validate(&module, arena: arena)
    } catch {
        return .failure("perch: invalid module '\(request.modulePath)': \(error.message)")
    }

    let wasi = WASI(platform: platform, arguments: [request.modulePath] + request.arguments,
                    environment: request.environment)
    for directory in request.directories {
        do throws(WASIErrno) {
            try wasi.addPreopen(hostPath: directory.host, guestPath: directory.guest)
        } catch {
            return .failure("perch: cannot open directory '\(directory.host)' for --dir (WASI errno \(error.rawValue))",
                            status: ExitStatus.usage)
        }
    }
    let linker = Linker()
    linker.register(host: wasi)
    for module in request.hostModules { linker.register(host: module) }
    let machine: Machine
    let instance: Instance
    do {
        machine = try Machine(arena: arena, valueStackSlots: RunBudget.valueStackSlots, callDepth: RunBudget.callDepth)
    } catch {
        return .failure("perch: \(error.message)")
    }
    do throws(InstantiationError) {
        instance = try Instance.instantiate(module, in: arena, linker: linker, machine: machine)
    } catch {
        if case .trap(let trap) = error { return trapReport(trap) }
        return .failure("perch: cannot instantiate '\(request.modulePath)': \(error.message)")
    }

    // `if let`, not `== nil`: comparing a `String?` can pull in Unicode tables in Embedded builds.
    var invoking = false
    if let _ = request.invoke { invoking = true }
    let entryName = request.invoke ?? "_start"
    let entry = entryName.utf8CString.withUnsafeBufferPointer { name in
        instance.exportedFunction(NameBytes(start: UnsafeRawPointer(name.baseAddress), count: name.count - 1))
    }
    guard let entry else {
        if !invoking {
            return .failure("perch: '\(request.modulePath)' exports no _start function (use --invoke NAME)")
        }
        return .failure("perch: '\(request.modulePath)' exports no function '\(entryName)'", status: ExitStatus.usage)
    }
    let type = entry.pointee.type.pointee
    var arguments: [UInt64] = []
    if invoking {
        switch parseInvokeArguments(request.arguments, types: type.params) {
        case .success(let values): arguments = values
        case .failure(let failure): return .failure("perch: \(failure.message)", status: ExitStatus.usage)
        }
    }

    var fuelLeft = request.fuel
    do throws(Trap) {
        try arguments.withUnsafeBufferPointer { (buffer) throws(Trap) in try machine.start(entry, arguments: buffer) }
        while true {
            let slice = min(fuelLeft ?? RunBudget.fuelSlice, RunBudget.fuelSlice)
            switch try machine.run(fuel: slice) {
            case .finished:
                var report = RunReport(status: ExitStatus.success, error: nil)
                if invoking { report.results = formatResults(machine.results, types: type.results) }
                return report
            case .exited(let code):
                return RunReport(status: Int32(truncatingIfNeeded: code), error: nil)
            case .hostSuspended(let nanoseconds):
                if nanoseconds > 0 { platform.clock.sleep(nanoseconds: nanoseconds) }
            case .outOfFuel:
                if let left = fuelLeft {
                    fuelLeft = left - slice
                    if left - slice <= 0 {
                        return .failure("perch: fuel exhausted after \(request.fuel ?? 0) units",
                                        status: RunExitStatus.outOfFuel)
                    }
                }
            }
        }
    } catch {
        return trapReport(error)
    }
}

private func trapReport(_ trap: Trap) -> RunReport {
    .failure("perch: trap: \(trap.message)", status: RunExitStatus.trap)
}

/// Streams the file at `path` into the decoder, which keeps the bytes in the arena.
/// A file that cannot be opened or read is a usage error (exit status 2, as for every
/// command); bytes that are not a valid module are a failure (1).
private func loadModule(_ path: String, into arena: Arena) -> Result<Module, RunFailure> {
    let fd = path.withCString { perch_sys_open_read($0) }
    guard fd >= 0 else {
        return .failure(RunFailure("perch: cannot read '\(path)': \(systemErrorText(-fd))", status: ExitStatus.usage))
    }
    defer { perch_sys_close(fd) }
    do throws(ModuleError) {
        var decoder = try ModuleDecoder(arena: arena)
        while true {
            let room = try decoder.reserve(RunBudget.readChunk)
            let count = perch_sys_read(fd, room.baseAddress, room.count)
            if count < 0 {
                let reason = systemErrorText(Int32(truncatingIfNeeded: -count))
                return .failure(RunFailure("perch: cannot read '\(path)': \(reason)", status: ExitStatus.usage))
            }
            try decoder.commit(Int(count))
            if count == 0 { break }
        }
        return .success(try decoder.finish())
    } catch {
        return .failure(RunFailure("perch: invalid module '\(path)': \(error.message)"))
    }
}

/// A failure described by one line of text, and the exit status it ends `perch run` with.
struct RunFailure: Error {
    let message: String
    let status: Int32
    init(_ message: String, status: Int32 = ExitStatus.failure) {
        self.message = message
        self.status = status
    }
}
