import PerchCore
import Testing

@testable import PerchCLI

private var probe: Command { Command(
    name: "probe", summary: "test command", usage: "probe [options] FILE...",
    options: [
        Option("dir", value: "DIR", help: "a directory"),
        Option("arena", value: "SIZE", help: "arena size"),
        Option("count", value: "N", help: "a count"),
        Option("verbose", help: "a switch"),
    ]
) { _ throws(UsageError) in 0 } }

private var runLike: Command { Command(
    name: "runlike", summary: "flags stop at the file", usage: "runlike [options] FILE [ARGS...]",
    options: [Option("verbose", help: "a switch")], flagsBeforePositionals: true
) { _ throws(UsageError) in 0 } }

private func parse(_ arguments: [String], _ command: Command = probe) throws(UsageError) -> Arguments {
    try parseArguments(arguments, for: command)
}

@Suite struct ArgumentTests {
    @Test func flagsWithSeparateAndAttachedValues() throws {
        let a = try parse(["--dir", "a", "x.wasm", "--dir=b", "--verbose", "--arena=4M", "--count", "12"])
        #expect(a.values("dir") == ["a", "b"])
        #expect(a.value("dir") == "b")
        #expect(a.has("verbose"))
        #expect(a.has("count"))
        #expect(try a.size("arena") == 4 << 20)
        #expect(try a.integer("count") == 12)
        #expect(a.positionals == ["x.wasm"])
        #expect(try a.positional(0, "FILE") == "x.wasm")
    }

    @Test func absentFlagsAreNil() throws {
        let a = try parse([])
        #expect(a.value("dir") == nil)
        #expect(a.values("dir").isEmpty)
        #expect(try a.size("arena") == nil)
        #expect(!a.has("verbose"))
    }

    @Test func doubleDashEndsFlags() throws {
        let a = try parse(["--verbose", "--", "--dir", "-", "--x"])
        #expect(a.has("verbose"))
        #expect(a.positionals == ["--dir", "-", "--x"])
        #expect(!a.has("dir"))
    }

    @Test func firstPositionalEndsFlagsWhenTheCommandSaysSo() throws {
        let a = try parse(["--verbose", "app.wasm", "--verbose", "--unknown"], runLike)
        #expect(a.has("verbose"))
        #expect(a.positionals == ["app.wasm", "--verbose", "--unknown"])
    }

    @Test func helpFlagIsRecognisedAnywhereBeforeDoubleDash() throws {
        #expect(try parse(["x", "--help"]).wantsHelp)
        #expect(try parse(["-h"]).wantsHelp)
        #expect(try !parse(["--", "--help"]).wantsHelp)
    }

    @Test func eachUsageErrorIsTyped() {
        func error(_ arguments: [String]) -> UsageError? {
            do throws(UsageError) {
                _ = try parse(arguments)
                return nil
            } catch { return error }
        }
        guard case .unknownFlag("--frob")? = error(["--frob"]) else { Issue.record("unknown flag"); return }
        guard case .unknownFlag("-x")? = error(["-x"]) else { Issue.record("short flag"); return }
        guard case .unknownFlag("--frob")? = error(["--frob=1"]) else { Issue.record("unknown with value"); return }
        guard case .missingValue(flag: "dir")? = error(["--dir"]) else { Issue.record("missing value"); return }
        guard case .unexpectedValue(flag: "verbose")? = error(["--verbose=yes"]) else {
            Issue.record("switch with value"); return
        }
        #expect(error(["--dir="]) == nil, "an explicit empty value is a value")
    }

    @Test func badSizesAndNumbersNameTheFlag() throws {
        let a = try parse(["--arena", "4X", "--count", "-3"])
        #expect(throws: UsageError.self) { try a.size("arena") }
        do {
            _ = try a.integer("count")
            Issue.record("expected a bad number")
        } catch {
            #expect(error.message == "option '--count': '-3' is not a non-negative integer")
        }
    }

    @Test func missingAndExtraPositionals() throws {
        let a = try parse(["one", "two"])
        #expect(throws: UsageError.self) { try a.positional(2, "FILE") }
        #expect(throws: UsageError.self) { try a.expectPositionals(atMost: 1) }
        try a.expectPositionals(atMost: 2)
        do {
            _ = try parse([]).positional(0, "FILE")
        } catch {
            #expect(error.message == "missing FILE")
        }
    }

    @Test func sizesInEveryAcceptedSpelling() {
        #expect(parseByteSize("512K".utf8) == 524_288)
        #expect(parseByteSize("512kb".utf8) == 524_288)
        #expect(parseByteSize("512KiB".utf8) == 524_288)
        #expect(parseByteSize("100b".utf8) == 100)
        #expect(parseByteSize("1G".utf8) == 1 << 30)
        #expect(parseByteSize("1.5M".utf8) == nil)
        #expect(parseByteSize("4 M".utf8) == nil)
        #expect(parseByteSize("-4M".utf8) == nil)
        #expect(parseByteSize("Kb".utf8) == nil)
    }
}

@Suite struct DispatchTests {
    @Test func exitStatuses() {
        #expect(perchMain(["--version"]) == ExitStatus.success)
        #expect(perchMain(["help"]) == ExitStatus.success)
        #expect(perchMain(["help", "selftest"]) == ExitStatus.success)
        #expect(perchMain(["selftest", "--help"]) == ExitStatus.success)
        #expect(perchMain([]) == ExitStatus.usage)
        #expect(perchMain(["frobnicate"]) == ExitStatus.usage)
        #expect(perchMain(["help", "frobnicate"]) == ExitStatus.usage)
        #expect(perchMain(["help", "a", "b"]) == ExitStatus.usage)
        #expect(perchMain(["selftest", "--frob"]) == ExitStatus.usage)
        #expect(perchMain(["selftest", "--group"]) == ExitStatus.usage)
        #expect(perchMain(["selftest", "--group", "nosuchgroup"]) == ExitStatus.usage)
        #expect(perchMain(["selftest", "extra"]) == ExitStatus.usage)
    }

    @Test func selftestPassesOnTheHost() {
        #expect(perchMain(["selftest"]) == ExitStatus.success)
        #expect(perchMain(["selftest", "--group", "arena", "--group=bytesize"]) == ExitStatus.success)
        #expect(perchMain(["selftest", "--verbose", "--group", "arena"]) == ExitStatus.success)
    }

    @Test func commandNamesAreUnique() {
        let names = Command.all.map { String($0.name) }
        #expect(Set(names).count == names.count)
    }
}
