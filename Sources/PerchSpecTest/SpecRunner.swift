import PerchCore
import PerchDecode
import PerchValidate

/// One command of a `wast2json` script.
public struct SpecCommand {
    /// `module`, `assert_return`, `assert_malformed`, ...
    public let kind: String
    public let line: Int
    public let json: JSONValue

    public init(kind: String, line: Int, json: JSONValue) {
        self.kind = kind
        self.line = line
        self.json = json
    }

    /// The module file a module-carrying command names.
    public var filename: String? { json["filename"]?.string }
    /// The expected reason of an `assert_*` failure.
    public var text: String? { json["text"]?.string }
    /// `$name` of a `module` command, if it has one.
    public var name: String? { json["name"]?.string }
    /// `binary` or `text` (assert_malformed / assert_invalid).
    public var moduleType: String? { json["module_type"]?.string }
}

/// What became of one command.
public enum SpecVerdict {
    case passed
    /// Rejected as expected, but for another reason than the script's `text`.
    case passedWithWrongReason(expected: String, actual: String)
    case failed(String)
    /// Not run (the reason is shown in the summary).
    case skipped(String)
}

/// A module read, decoded and validated, in its own arena.
public struct LoadedModule {
    public let arena: Arena
    public var module: Module
}

public enum ModuleLoad {
    case loaded(LoadedModule)
    /// Decoding or validation rejected it.
    case rejected(ModuleError)
    case unreadable(String)
}

/// Reads a script's module files and takes them through decode and validation, each in a
/// fresh arena (design.md: each spec-test instance gets its own).
public struct SpecModuleLoader {
    public let directory: String
    public let readFile: (String) -> [UInt8]?
    /// Arena bytes to give a module, from its file bytes.
    public let arenaCapacity: ([UInt8]) -> Int

    public init(directory: String, readFile: @escaping (String) -> [UInt8]?, arenaCapacity: @escaping ([UInt8]) -> Int) {
        self.directory = directory
        self.readFile = readFile
        self.arenaCapacity = arenaCapacity
    }

    public func load(_ filename: String) -> ModuleLoad {
        let path = directory + "/" + filename
        guard let bytes = readFile(path) else { return .unreadable("cannot read \(path)") }
        let arena: Arena
        do {
            arena = try Arena(capacity: arenaCapacity(bytes))
        } catch {
            return .unreadable(error.message)
        }
        do throws(ModuleError) {
            return .loaded(LoadedModule(arena: arena, module: try loadModule(bytes, into: arena)))
        } catch {
            return .rejected(error)
        }
    }
}

/// The execution side of a script: instantiation, invocation and the assertions on them.
/// The interpreter implements this; the runner itself handles the validation commands.
public protocol SpecExecutionHooks {
    /// A new script starts: forget registered instances and the current module.
    mutating func beginScript(named name: String)
    /// A `module` command's module decoded and validated; instantiate it.
    mutating func moduleLoaded(_ module: LoadedModule, command: SpecCommand) -> SpecVerdict
    /// Any command the runner does not handle itself (`assert_return`, `assert_trap`,
    /// `register`, `action`, ...); nil means this kind is not supported (counted skipped).
    mutating func run(_ command: SpecCommand, loader: SpecModuleLoader) -> SpecVerdict?
}

/// Hooks for validation-only runs: every module is only decoded and validated.
public struct NoExecution: SpecExecutionHooks {
    public init() {}
    public mutating func beginScript(named name: String) {}
    public mutating func moduleLoaded(_ module: LoadedModule, command: SpecCommand) -> SpecVerdict { .passed }
    public mutating func run(_ command: SpecCommand, loader: SpecModuleLoader) -> SpecVerdict? { nil }
}

/// Counts for one script file.
public struct SpecFileResult {
    public var name: String
    public var passed = 0
    public var failed = 0
    /// Skipped commands, by reason (`assert_malformed (text)`, unsupported kinds...).
    public var skipped: [(reason: String, count: Int)] = []
    /// Rejected as expected but for another reason (included in `passed`).
    public var wrongReason = 0
    /// One line per failure (and per wrong reason), with the script line.
    public var messages: [String] = []
    /// The same counts split by command kind, in order of first appearance.
    public var kinds: [KindTally] = []

    public init(name: String) { self.name = name }

    public var skippedCount: Int {
        var total = 0
        for entry in skipped { total += entry.count }
        return total
    }

    mutating func tally(_ kind: String, _ verdict: SpecVerdict) {
        var index = 0
        while index < kinds.count && !kinds[index].kind.utf8.elementsEqual(kind.utf8) { index += 1 }
        if index == kinds.count { kinds.append(KindTally(kind: kind)) }
        switch verdict {
        case .passed: kinds[index].passed += 1
        case .passedWithWrongReason:
            kinds[index].passed += 1
            kinds[index].wrongReason += 1
        case .failed: kinds[index].failed += 1
        case .skipped: kinds[index].skipped += 1
        }
    }

    /// Counts for `kind`, zero if no command of that kind ran.
    public func tally(of kind: String) -> KindTally {
        for entry in kinds where entry.kind.utf8.elementsEqual(kind.utf8) { return entry }
        return KindTally(kind: kind)
    }

    mutating func skip(_ reason: String) {
        for index in skipped.indices where skipped[index].reason.utf8.elementsEqual(reason.utf8) {
            skipped[index].count += 1
            return
        }
        skipped.append((reason: reason, count: 1))
    }

    /// e.g. "binary: 120 passed (3 wrong reason), 0 failed, 2 skipped [assert_malformed (text): 2]".
    public var summary: String {
        var line = "\(name): \(passed) passed"
        if wrongReason > 0 { line += " (\(wrongReason) wrong reason)" }
        line += ", \(failed) failed, \(skippedCount) skipped"
        if !skipped.isEmpty {
            line += " ["
            for (index, entry) in skipped.enumerated() {
                if index > 0 { line += ", " }
                line += "\(entry.reason): \(entry.count)"
            }
            line += "]"
        }
        return line
    }
}

/// Counts of one command kind in a script.
public struct KindTally {
    public var kind: String
    public var passed = 0
    public var wrongReason = 0
    public var failed = 0
    public var skipped = 0

    public init(kind: String) { self.kind = kind }

    public var total: Int { passed + failed + skipped }

    public mutating func add(_ other: KindTally) {
        passed += other.passed
        wrongReason += other.wrongReason
        failed += other.failed
        skipped += other.skipped
    }
}

/// Runs `wast2json` scripts (`<directory>/<name>.json` plus the module files beside it).
///
/// Handled here: `module` (decode + validate, then `hooks.moduleLoaded`),
/// `assert_malformed` (binary modules; text-format ones are counted skipped) and
/// `assert_invalid`. Everything else goes to `hooks.run`; kinds it does not know are
/// counted skipped under their name, so nothing is left out silently.
public struct SpecScriptRunner<Hooks: SpecExecutionHooks> {
    public var hooks: Hooks
    public let readFile: (String) -> [UInt8]?
    public let arenaCapacity: ([UInt8]) -> Int

    public init(
        hooks: Hooks, readFile: @escaping (String) -> [UInt8]?,
        arenaCapacity: @escaping ([UInt8]) -> Int = { bytes in 16 * bytes.count + (1 << 20) }
    ) {
        self.hooks = hooks
        self.readFile = readFile
        self.arenaCapacity = arenaCapacity
    }

    /// Runs `<directory>/<name>.json`. A script that cannot be read or parsed counts as one
    /// failure.
    public mutating func run(scriptNamed name: String, in directory: String) -> SpecFileResult {
        var result = SpecFileResult(name: name)
        let path = directory + "/" + name + ".json"
        guard let bytes = readFile(path) else {
            result.failed += 1
            result.messages.append("\(path): cannot read")
            return result
        }
        let script: JSONValue
        do {
            script = try parseJSON(bytes)
        } catch {
            result.failed += 1
            result.messages.append("\(path): bad JSON at byte \(error.offset): \(error.message)")
            return result
        }
        guard let commands = script["commands"]?.array else {
            result.failed += 1
            result.messages.append("\(path): no commands")
            return result
        }
        let loader = SpecModuleLoader(directory: directory, readFile: readFile, arenaCapacity: arenaCapacity)
        hooks.beginScript(named: name)
        for json in commands {
            let command = SpecCommand(kind: json["type"]?.string ?? "?", line: json["line"]?.int ?? 0, json: json)
            let verdict = run(command, loader: loader)
            result.tally(command.kind, verdict)
            switch verdict {
            case .passed:
                result.passed += 1
            case .passedWithWrongReason(let expected, let actual):
                result.passed += 1
                result.wrongReason += 1
                result.messages.append("\(name):\(command.line): \(command.kind): wrong reason: expected \"\(expected)\", got \"\(actual)\"")
            case .failed(let why):
                result.failed += 1
                result.messages.append("\(name):\(command.line): \(command.kind): \(why)")
            case .skipped(let reason):
                result.skip(reason)
            }
        }
        return result
    }

    private mutating func run(_ command: SpecCommand, loader: SpecModuleLoader) -> SpecVerdict {
        if same(command.kind, "module") {
            guard let filename = command.filename else { return .failed("no filename") }
            switch loader.load(filename) {
            case .loaded(let module):
                return hooks.moduleLoaded(module, command: command)
            case .rejected(let error):
                return .failed("\(filename) rejected: \(error.message)")
            case .unreadable(let why):
                return .failed(why)
            }
        }
        if same(command.kind, "assert_malformed") || same(command.kind, "assert_invalid") {
            if let type = command.moduleType, same(type, "text") {
                return .skipped("\(command.kind) (text)")
            }
            guard let filename = command.filename else { return .failed("no filename") }
            let expected = command.text ?? ""
            switch loader.load(filename) {
            case .rejected(let error):
                let actual = error.kind.message
                return actual.utf8.starts(with: expected.utf8)
                    ? .passed : .passedWithWrongReason(expected: expected, actual: actual)
            case .loaded:
                return .failed("\(filename) accepted, expected \"\(expected)\"")
            case .unreadable(let why):
                return .failed(why)
            }
        }
        return hooks.run(command, loader: loader) ?? .skipped(command.kind)
    }
}

/// Byte equality: `String ==` would pull Unicode tables into Embedded builds.
func same(_ text: String, _ literal: StaticString) -> Bool {
    text.utf8.elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
}
