import PerchCore
import PerchDecode
import PerchInterp
import PerchValidate

/// The execution side of spec scripts: instantiates modules, links `register`ed ones,
/// runs actions and checks `assert_return`, `assert_trap`, `assert_exhaustion`,
/// `assert_unlinkable` and `assert_uninstantiable`.
///
/// SIMD scripts (named `simd_*`) have their execution commands skipped (counted and shown
/// as skipped) until Perch executes SIMD; their validation commands still run.
public struct InterpreterHooks: SpecExecutionHooks {
    /// Limits for every script's execution context.
    public var valueStackSlots = 1 << 20
    public var callDepth = 20_000
    /// Fuel per slice for actions: a small value makes every call suspend and resume
    /// many times, which must not change any result.
    public var fuelPerSlice = Int.max

    var linker = Linker()
    var current: Instance?
    var named: [(name: String, instance: Instance)] = []
    var machine: Machine?
    var skipExecution = false

    public init() {}

    public mutating func beginScript(named name: String) {
        linker = Linker()
        current = nil
        named = []
        skipExecution = name.utf8.starts(with: "simd".utf8)
        if machine == nil {
            // One context for all scripts: its arena holds only the stacks.
            let slots = valueStackSlots, depth = callDepth
            if let arena = try? Arena(capacity: slots * 8 + depth * 64 + 4096) {
                machine = try? Machine(arena: arena, valueStackSlots: slots, callDepth: depth)
            }
        }
        if let machine, let spectest = try? SpectestModule.instantiate(machine: machine) {
            linker.register(spectest, as: Array("spectest".utf8))
        }
    }

    public mutating func moduleLoaded(_ module: LoadedModule, command: SpecCommand) -> SpecVerdict {
        if skipExecution {
            current = nil
            return .skipped("module (SIMD execution not supported yet)")
        }
        guard let machine else { return .failed("no execution context") }
        do {
            let instance = try Instance.instantiate(module.module, in: module.arena, linker: linker, machine: machine)
            current = instance
            if let name = command.name { named.append((name: name, instance: instance)) }
            return .passed
        } catch {
            current = nil
            return .failed("instantiation: \(error.message)")
        }
    }

    public mutating func run(_ command: SpecCommand, loader: SpecModuleLoader) -> SpecVerdict? {
        let kind = command.kind
        func isKind(_ name: StaticString) -> Bool { kind.utf8.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)) }
        let known = isKind("assert_return") || isKind("assert_trap") || isKind("assert_exhaustion") || isKind("action")
            || isKind("register") || isKind("assert_unlinkable") || isKind("assert_uninstantiable")
        guard known else { return nil }
        if skipExecution { return .skipped("\(kind) (SIMD execution not supported yet)") }
        guard let machine else { return .failed("no execution context") }

        if isKind("register") {
            guard let name = command.json["as"]?.string else { return .failed("register without \"as\"") }
            guard let instance = instance(named: command.json["name"]?.string) else { return .failed("no module to register") }
            linker.register(instance, as: Array(name.utf8))
            return .passed
        }
        if isKind("assert_unlinkable") || isKind("assert_uninstantiable") {
            guard let filename = command.filename else { return .failed("no filename") }
            let expected = command.text ?? ""
            let module: LoadedModule
            switch loader.load(filename) {
            case .loaded(let m): module = m
            case .rejected(let error): return .failed("\(filename) rejected: \(error.message)")
            case .unreadable(let why): return .failed(why)
            }
            do {
                _ = try Instance.instantiate(module.module, in: module.arena, linker: linker, machine: machine)
                return .failed("instantiated, expected \"\(expected)\"")
            } catch {
                let actual = error.reason
                return actual.utf8.starts(with: expected.utf8)
                    ? .passed : .passedWithWrongReason(expected: expected, actual: actual)
            }
        }

        guard let action = command.json["action"] else { return .failed("no action") }
        let outcome = perform(action, machine: machine)
        if isKind("action") {
            if case .trapped(let trap) = outcome { return .failed("trapped: \(trap.message)") }
            if case .error(let why) = outcome { return .failed(why) }
            return .passed
        }
        if isKind("assert_trap") || isKind("assert_exhaustion") {
            let expected = command.text ?? ""
            switch outcome {
            case .trapped(let trap):
                // The scripts sometimes add detail ("uninitialized element 2").
                let actual = "\(trap.kind.message)"
                return actual.utf8.starts(with: expected.utf8) || expected.utf8.starts(with: actual.utf8)
                    ? .passed : .passedWithWrongReason(expected: expected, actual: actual)
            case .values: return .failed("returned, expected trap \"\(expected)\"")
            case .error(let why): return .failed(why)
            }
        }
        // assert_return
        switch outcome {
        case .trapped(let trap): return .failed("trapped: \(trap.message)")
        case .error(let why): return .failed(why)
        case .values(let values):
            let expected = command.json["expected"]?.array ?? []
            guard expected.count == values.count else {
                return .failed("expected \(expected.count) results, got \(values.count)")
            }
            for (i, spec) in expected.enumerated() where !SpecValue.matches(values[i], spec) {
                return .failed("result \(i): got \(SpecValue.describe(values[i], spec)), expected \(spec["type"]?.string ?? "?") \(spec["value"]?.string ?? "")")
            }
            return .passed
        }
    }

    enum ActionOutcome {
        case values([UInt64])
        case trapped(Trap)
        case error(String)
    }

    func instance(named name: String?) -> Instance? {
        guard let name else { return current }
        for entry in named.reversed() where entry.name.utf8.elementsEqual(name.utf8) { return entry.instance }
        return nil
    }

    func perform(_ action: JSONValue, machine: Machine) -> ActionOutcome {
        guard let instance = instance(named: action["module"]?.string) else { return .error("no module instance") }
        guard let field = action["field"]?.string else { return .error("action without field") }
        let fieldBytes = Array(field.utf8)
        let export = fieldBytes.withUnsafeBytes { bytes in
            instance.export(NameBytes(start: bytes.baseAddress, count: bytes.count))
        }
        if (action["type"]?.string ?? "").utf8.elementsEqual("get".utf8) {
            guard case .global(let global)? = export else { return .error("no global \"\(field)\"") }
            return .values([global.pointee.value])
        }
        guard case .function(let function)? = export else { return .error("no function \"\(field)\"") }
        var args: [UInt64] = []
        for arg in action["args"]?.array ?? [] {
            guard let value = SpecValue.parse(arg) else { return .error("bad argument") }
            args.append(value)
        }
        do {
            try args.withUnsafeBufferPointer { buffer throws(Trap) in try machine.start(function, arguments: buffer) }
            var outcome = try machine.run(fuel: fuelPerSlice)
            while outcome == .outOfFuel { outcome = try machine.run(fuel: fuelPerSlice) }
            guard outcome == .finished else { return .error("run ended with \(outcome)") }
            return .values(Array(machine.results))
        } catch {
            return .trapped(error)
        }
    }
}

/// Values as `wast2json` writes them: decimal bit patterns, `nan:canonical` /
/// `nan:arithmetic` patterns, and references (`null`, or an externref's host value).
enum SpecValue {
    static func parse(_ json: JSONValue) -> UInt64? {
        let type = json["type"]?.string ?? ""
        guard let text = json["value"]?.string else { return nil }
        if text.utf8.elementsEqual("null".utf8) { return 0 }
        guard let number = UInt64(text) else { return nil }
        if type.utf8.elementsEqual("externref".utf8) { return number &+ 1 }
        return number
    }

    static func matches(_ value: UInt64, _ json: JSONValue) -> Bool {
        let type = json["type"]?.string ?? ""
        let text = json["value"]?.string ?? ""
        let isF32 = type.utf8.elementsEqual("f32".utf8)
        if text.utf8.elementsEqual("nan:canonical".utf8) {
            if isF32 { return UInt32(truncatingIfNeeded: value) & 0x7FFF_FFFF == 0x7FC0_0000 }
            return value & 0x7FFF_FFFF_FFFF_FFFF == 0x7FF8_0000_0000_0000
        }
        if text.utf8.elementsEqual("nan:arithmetic".utf8) {
            if isF32 {
                let bits = UInt32(truncatingIfNeeded: value)
                return bits & 0x7FC0_0000 == 0x7FC0_0000
            }
            return value & 0x7FF8_0000_0000_0000 == 0x7FF8_0000_0000_0000
        }
        if type.utf8.elementsEqual("funcref".utf8) {
            return text.utf8.elementsEqual("null".utf8) ? value == 0 : value != 0
        }
        guard let expected = parse(json) else { return false }
        if type.utf8.elementsEqual("i32".utf8) || isF32 {
            return UInt32(truncatingIfNeeded: value) == UInt32(truncatingIfNeeded: expected)
        }
        return value == expected
    }

    static func describe(_ value: UInt64, _ json: JSONValue) -> String {
        let type = json["type"]?.string ?? ""
        if type.utf8.elementsEqual("i32".utf8) || type.utf8.elementsEqual("f32".utf8) {
            return "\(UInt32(truncatingIfNeeded: value))"
        }
        return "\(value)"
    }
}

/// The spec suite's `spectest` module (the reference interpreter's conventions): globals
/// of each number type (666 / 666.6), a table of 10..20 funcrefs, a memory of 1..2 pages
/// and `print*` functions, here silent. Built from a small wasm module, so it links like
/// any other instance.
enum SpectestModule {
    /// wat2wasm of:
    /// (module
    ///   (global (export "global_i32") i32 (i32.const 666))
    ///   (global (export "global_i64") i64 (i64.const 666))
    ///   (global (export "global_f32") f32 (f32.const 666.6))
    ///   (global (export "global_f64") f64 (f64.const 666.6))
    ///   (table (export "table") 10 20 funcref)
    ///   (memory (export "memory") 1 2)
    ///   (func (export "print")) (func (export "print_i32") (param i32))
    ///   (func (export "print_i64") (param i64)) (func (export "print_f32") (param f32))
    ///   (func (export "print_f64") (param f64)) (func (export "print_i32_f32") (param i32 f32))
    ///   (func (export "print_f64_f64") (param f64 f64)))
    static let bytes: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1e, 0x07, 0x60, 0x00, 0x00, 0x60,
        0x01, 0x7f, 0x00, 0x60, 0x01, 0x7e, 0x00, 0x60, 0x01, 0x7d, 0x00, 0x60, 0x01, 0x7c, 0x00,
        0x60, 0x02, 0x7f, 0x7d, 0x00, 0x60, 0x02, 0x7c, 0x7c, 0x00, 0x03, 0x08, 0x07, 0x00, 0x01,
        0x02, 0x03, 0x04, 0x05, 0x06, 0x04, 0x05, 0x01, 0x70, 0x01, 0x0a, 0x14, 0x05, 0x04, 0x01,
        0x01, 0x01, 0x02, 0x06, 0x21, 0x04, 0x7f, 0x00, 0x41, 0x9a, 0x05, 0x0b, 0x7e, 0x00, 0x42,
        0x9a, 0x05, 0x0b, 0x7d, 0x00, 0x43, 0x66, 0xa6, 0x26, 0x44, 0x0b, 0x7c, 0x00, 0x44, 0xcd,
        0xcc, 0xcc, 0xcc, 0xcc, 0xd4, 0x84, 0x40, 0x0b, 0x07, 0x9e, 0x01, 0x0d, 0x0a, 0x67, 0x6c,
        0x6f, 0x62, 0x61, 0x6c, 0x5f, 0x69, 0x33, 0x32, 0x03, 0x00, 0x0a, 0x67, 0x6c, 0x6f, 0x62,
        0x61, 0x6c, 0x5f, 0x69, 0x36, 0x34, 0x03, 0x01, 0x0a, 0x67, 0x6c, 0x6f, 0x62, 0x61, 0x6c,
        0x5f, 0x66, 0x33, 0x32, 0x03, 0x02, 0x0a, 0x67, 0x6c, 0x6f, 0x62, 0x61, 0x6c, 0x5f, 0x66,
        0x36, 0x34, 0x03, 0x03, 0x05, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x01, 0x00, 0x06, 0x6d, 0x65,
        0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x05, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x00, 0x00, 0x09,
        0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x69, 0x33, 0x32, 0x00, 0x01, 0x09, 0x70, 0x72, 0x69,
        0x6e, 0x74, 0x5f, 0x69, 0x36, 0x34, 0x00, 0x02, 0x09, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f,
        0x66, 0x33, 0x32, 0x00, 0x03, 0x09, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x66, 0x36, 0x34,
        0x00, 0x04, 0x0d, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x69, 0x33, 0x32, 0x5f, 0x66, 0x33,
        0x32, 0x00, 0x05, 0x0d, 0x70, 0x72, 0x69, 0x6e, 0x74, 0x5f, 0x66, 0x36, 0x34, 0x5f, 0x66,
        0x36, 0x34, 0x00, 0x06, 0x0a, 0x16, 0x07, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00,
        0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b
    ]

    static func instantiate(machine: Machine) throws(InstantiationError) -> Instance {
        let arena: Arena
        do { arena = try Arena(capacity: 4 << 20) } catch { throw .arenaFull(error) }
        let module: Module
        do throws(ModuleError) {
            module = try loadModule(bytes, into: arena)
        } catch {
            // The module is fixed and valid: only room can be missing.
            throw .arenaFull(ArenaError(use: .moduleMetadata, requested: 0, available: arena.free))
        }
        return try Instance.instantiate(module, in: arena, linker: Linker(), machine: machine)
    }
}

/// A script runner that executes: what `perch spectest` and the spec tests use.
/// Each module that defines a memory gets an arena with room for the suite's largest
/// memory (memory_grow grows to 804 pages); the arena is reserved, and only the pages used
/// are touched. Others get 1 MiB over their size: a script keeps every instance alive, and
/// 80 MiB for each of const's 402 modules would exhaust a 32-bit address space.
public func makeExecutingSpecRunner(
    fuelPerSlice: Int = .max, readFile: @escaping (String) -> [UInt8]?
) -> SpecScriptRunner<InterpreterHooks> {
    var hooks = InterpreterHooks()
    hooks.fuelPerSlice = fuelPerSlice
    return SpecScriptRunner(hooks: hooks, readFile: readFile, arenaCapacity: { bytes in
        16 * bytes.count + (definesMemory(bytes) ? 80 << 20 : 1 << 20)
    })
}

/// Whether the module has a memory section (id 5). An imported memory lives in its
/// exporter's arena. A malformed module answers false, and its decoder reports why.
private func definesMemory(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
        guard let base = raw.baseAddress, raw.count >= 8 else { return false }
        var reader = ByteReader(base: base, position: base + 8, end: base + raw.count)
        while !reader.isAtEnd {
            guard let id = try? reader.readByte(), let size = try? reader.readLength(), size <= reader.remaining else {
                return false
            }
            if id == 5 { return true }
            reader.position += size
        }
        return false
    }
}
