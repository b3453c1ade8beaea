import PerchCore

/// One `perch` subcommand. To add a command: write a file with a `static let`/function
/// returning its `Command`, and add one row to `Command.all` below.
public struct Command {
    public let name: StaticString
    /// One line for `perch help`.
    public let summary: StaticString
    /// Synopsis after `perch `, e.g. `"inspect [options] FILE"`.
    public let usage: StaticString
    public let options: [Option]
    /// When true, flags end at the first positional argument (for `run FILE ARGS...`,
    /// whose later arguments belong to the guest).
    public let flagsBeforePositionals: Bool
    /// Does the work; returns the process exit status (`ExitStatus`).
    public let run: (Arguments) throws(UsageError) -> Int32

    public init(
        name: StaticString, summary: StaticString, usage: StaticString, options: [Option] = [],
        flagsBeforePositionals: Bool = false,
        run: @escaping (Arguments) throws(UsageError) -> Int32
    ) {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.options = options
        self.flagsBeforePositionals = flagsBeforePositionals
        self.run = run
    }

    /// Every subcommand, in the order `perch help` lists them.
    static var all: [Command] {
        [
            Command.help,
            Command.inspect,
            Command.run,
            Command.selftest,
            Command.spectest,
            Command.serve,
            Command.push,
            Command.status,
            Command.logs,
            Command.stop,
            Command.start,
            Command.rollback,
            Command.remove,
            Command.keygen,
        ]
    }

    static func named<Name: Collection>(_ name: Name) -> Command? where Name.Element == UInt8 {
        all.first { equalBytes($0.name.bytes, name) }
    }

    func optionIndex<Name: Collection>(_ name: Name) -> Int? where Name.Element == UInt8 {
        options.firstIndex { equalBytes($0.name.bytes, name) }
    }

    func optionIndex(_ name: StaticString) -> Int? { optionIndex(name.bytes) }
}

/// Process exit statuses shared by every command.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// The command ran and found a failure (a failed check, a trap, an invalid module).
    public static let failure: Int32 = 1
    /// Bad usage: unknown command or option, missing value or argument, unreadable file.
    public static let usage: Int32 = 2
}

/// Entry point shared by every build of the `perch` executable.
public func perchMain(_ arguments: [String]) -> Int32 {
    guard let first = arguments.first else {
        printError("perch: missing command (see 'perch help')")
        return ExitStatus.usage
    }
    let firstBytes = Array(first.utf8)
    if equalBytes(firstBytes, "--version".utf8) || equalBytes(firstBytes, "version".utf8) {
        print(versionLine())
        return ExitStatus.success
    }
    if equalBytes(firstBytes, "--help".utf8) || equalBytes(firstBytes, "-h".utf8) {
        printOverview()
        return ExitStatus.success
    }
    guard let command = Command.named(firstBytes) else {
        printError("perch: \(UsageError.unknownCommand(first).message) (see 'perch help')")
        return ExitStatus.usage
    }
    do throws(UsageError) {
        let parsed = try parseArguments(Array(arguments.dropFirst()), for: command)
        if parsed.wantsHelp {
            printCommandHelp(command)
            return ExitStatus.success
        }
        return try command.run(parsed)
    } catch {
        printError("perch \(command.name): \(error.message) (usage: perch \(command.usage))")
        return ExitStatus.usage
    }
}

func versionLine() -> String {
    #if hasFeature(Embedded)
    let flavour = "Embedded Swift"
    #else
    let flavour = "Swift"
    #endif
    #if arch(arm64)
    let cpu = "aarch64"
    #elseif arch(arm)
    let cpu = "arm"
    #elseif arch(x86_64)
    let cpu = "x86_64"
    #else
    let cpu = "other"
    #endif
    return "perch \(perchVersion) (\(flavour), \(cpu))"
}

func printOverview() {
    print("perch \(perchVersion): a WebAssembly runtime for small ARM boards")
    print("")
    print("usage: perch COMMAND [options] [arguments]")
    print("")
    print("commands:")
    for command in Command.all {
        print("  \(padded(command.name, to: 10)) \(command.summary)")
    }
    print("")
    print("'perch help COMMAND' shows a command's options; 'perch --version' the version.")
    print("exit status: 0 success, 1 failure, 2 bad usage.")
}

func printCommandHelp(_ command: Command) {
    print("usage: perch \(command.usage)")
    print("")
    print(command.summary)
    if !command.options.isEmpty {
        print("")
        print("options:")
        for option in command.options {
            var flag = "--" + String(option.name)
            if let value = option.value { flag += " " + String(value) }
            print("  \(padded(flag, to: 18)) \(option.help)")
        }
    }
}

private func padded(_ text: StaticString, to width: Int) -> String {
    padded(String(text), to: width)
}

private func padded(_ text: String, to width: Int) -> String {
    var result = text
    var length = text.utf8.count
    while length < width {
        result += " "
        length += 1
    }
    return result
}
