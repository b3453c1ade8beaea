import PerchCore

/// A flag a command accepts, written `--name` (or `--name VALUE` / `--name=VALUE` when it
/// takes a value). Repeating a flag is allowed; `values(_:)` returns every occurrence.
public struct Option {
    public let name: StaticString
    /// Placeholder for the value in help text (`"DIR"`, `"SIZE"`), or nil for a switch.
    public let value: StaticString?
    public let help: StaticString

    public init(_ name: StaticString, value: StaticString? = nil, help: StaticString) {
        self.name = name
        self.value = value
        self.help = help
    }
}

/// What the user typed after the command name, checked against the command's options.
public struct Arguments {
    public let command: Command
    /// Flags in the order given: index into `command.options`, and the value if it takes one.
    let flags: [(option: Int, value: String?)]
    public let positionals: [String]
    /// `--help` or `-h` appeared among the flags.
    public let wantsHelp: Bool

    /// True if the switch or flag `name` was given at least once.
    public func has(_ name: StaticString) -> Bool {
        guard let option = command.optionIndex(name) else { return false }
        return flags.contains { $0.option == option }
    }

    /// The value of the last `--name`, or nil if it was not given.
    public func value(_ name: StaticString) -> String? {
        guard let option = command.optionIndex(name) else { return nil }
        return flags.last { $0.option == option }?.value
    }

    /// Every value given for `--name`, in order (`--dir a --dir b` → `["a", "b"]`).
    public func values(_ name: StaticString) -> [String] {
        guard let option = command.optionIndex(name) else { return [] }
        return flags.compactMap { $0.option == option ? $0.value : nil }
    }

    /// The last `--name` as a byte count (`65536`, `512K`, `4M`, `1G`), or nil if absent.
    public func size(_ name: StaticString) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let bytes = parseByteSize(text.utf8) else {
            throw .badSize(flag: String(name), value: text)
        }
        return bytes
    }

    /// The last `--name` as a non-negative decimal integer, or nil if absent.
    public func integer(_ name: StaticString) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = parseDecimal(text.utf8) else {
            throw .badNumber(flag: String(name), value: text)
        }
        return number
    }

    /// Positional argument `index`, named `placeholder` in the error if it is missing.
    public func positional(_ index: Int, _ placeholder: StaticString) throws(UsageError) -> String {
        guard index < positionals.count else { throw .missingArgument(placeholder) }
        return positionals[index]
    }

    /// Fails if more than `count` positional arguments were given.
    public func expectPositionals(atMost count: Int) throws(UsageError) {
        if positionals.count > count { throw .extraArgument(positionals[count]) }
    }
}

/// A mistake in how perch was invoked. Printed as one line; the exit status is 2.
public enum UsageError: Error {
    case unknownCommand(String)
    case unknownFlag(String)
    case missingValue(flag: String)
    case unexpectedValue(flag: String)
    case badSize(flag: String, value: String)
    case badNumber(flag: String, value: String)
    case badValue(flag: String, value: String, expected: String)
    case missingArgument(StaticString)
    case extraArgument(String)
    case file(FileError)

    public var message: String {
        switch self {
        case .unknownCommand(let name): return "unknown command '\(name)'"
        case .unknownFlag(let flag): return "unknown option '\(flag)'"
        case .missingValue(let flag): return "option '--\(flag)' needs a value"
        case .unexpectedValue(let flag): return "option '--\(flag)' takes no value"
        case .badSize(let flag, let value):
            return "option '--\(flag)': '\(value)' is not a size (examples: 65536, 512K, 4M, 1G)"
        case .badNumber(let flag, let value):
            return "option '--\(flag)': '\(value)' is not a non-negative integer"
        case .badValue(let flag, let value, let expected):
            return "option '--\(flag)': '\(value)' is not one of \(expected)"
        case .missingArgument(let placeholder): return "missing \(placeholder)"
        case .extraArgument(let argument): return "unexpected argument '\(argument)'"
        case .file(let error): return error.message
        }
    }
}

/// Parses `arguments` (everything after the command name) against `command`'s options.
/// `--` ends the flags; with `command.flagsBeforePositionals`, so does the first positional
/// (so `perch run app.wasm --x` passes `--x` to the app). A lone `-` is a positional.
public func parseArguments(_ arguments: [String], for command: Command) throws(UsageError) -> Arguments {
    var flags: [(option: Int, value: String?)] = []
    var positionals: [String] = []
    var flagsEnded = false
    var wantsHelp = false
    var i = 0
    while i < arguments.count {
        let argument = arguments[i]
        i += 1
        let bytes = Array(argument.utf8)
        if flagsEnded || bytes.count < 2 || bytes[0] != UInt8(ascii: "-") {
            positionals.append(argument)
            if command.flagsBeforePositionals { flagsEnded = true }
            continue
        }
        if bytes.count == 2 && bytes[1] == UInt8(ascii: "-") {
            flagsEnded = true
            continue
        }
        if equalBytes(bytes, "--help".utf8) || equalBytes(bytes, "-h".utf8) {
            wantsHelp = true
            continue
        }
        guard bytes[1] == UInt8(ascii: "-") else { throw .unknownFlag(argument) }
        // "--name" or "--name=value"
        let body = bytes[2...]
        let equals = body.firstIndex(of: UInt8(ascii: "="))
        let nameBytes = equals.map { body[..<$0] } ?? body
        guard let option = command.optionIndex(nameBytes) else {
            throw .unknownFlag("--" + String(decoding: nameBytes, as: UTF8.self))
        }
        let name = String(command.options[option].name)
        if command.options[option].value == nil {
            guard equals == nil else { throw .unexpectedValue(flag: name) }
            flags.append((option, nil))
        } else if let equals {
            flags.append((option, String(decoding: body[(equals + 1)...], as: UTF8.self)))
        } else {
            guard i < arguments.count else { throw .missingValue(flag: name) }
            flags.append((option, arguments[i]))
            i += 1
        }
    }
    return Arguments(command: command, flags: flags, positionals: positionals, wantsHelp: wantsHelp)
}

/// Byte-wise equality: String `==` would pull Unicode tables into Embedded builds.
func equalBytes<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
where A.Element == UInt8, B.Element == UInt8 {
    a.count == b.count && a.elementsEqual(b)
}

extension String {
    init(_ text: StaticString) {
        self = String(decoding: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), as: UTF8.self)
    }
}

extension StaticString {
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: utf8Start, count: utf8CodeUnitCount) }
}
