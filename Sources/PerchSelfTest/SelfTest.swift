/// The device self-test: checks that run unchanged in `perch selftest` on every Linux
/// build and on the bare-metal Cortex-M4 image, so each target proves the runtime works
/// where it will run. This module uses no files or platform calls; output goes through
/// `print`, which every build routes somewhere (stdout, semihosting).
///
/// Adding a check: one `t.check(condition, "what must hold")` line in a group function.
/// Adding a group: one row in `SelfTestGroup.all`.

/// Counts checks for one group and reports each failure as it happens.
public struct SelfTest {
    public let group: StaticString
    public private(set) var passed = 0
    public private(set) var failed = 0

    init(group: StaticString) { self.group = group }

    /// Records one check; a failure prints `FAIL group: what (file:line)`.
    public mutating func check(
        _ condition: Bool, _ what: StaticString, file: StaticString = #fileID, line: UInt = #line
    ) {
        if condition {
            passed += 1
        } else {
            fail("\(what)", file: file, line: line)
        }
    }

    /// Records a failed check whose description is built at run time (e.g. an error message).
    public mutating func fail(_ what: String, file: StaticString = #fileID, line: UInt = #line) {
        failed += 1
        print("FAIL \(group): \(what) (\(file):\(line))")
    }

    /// Checks that `body` throws an error `matches` accepts.
    public mutating func checkThrows<E: Error>(
        _ what: StaticString, file: StaticString = #fileID, line: UInt = #line,
        _ body: () throws(E) -> Void, matches: (E) -> Bool = { _ in true }
    ) {
        do throws(E) {
            try body()
            fail("\(what): no error", file: file, line: line)
        } catch {
            check(matches(error), what, file: file, line: line)
        }
    }
}

/// A named set of checks.
public struct SelfTestGroup {
    public let name: StaticString
    public let run: (inout SelfTest) -> Void

    public init(_ name: StaticString, _ run: @escaping (inout SelfTest) -> Void) {
        self.name = name
        self.run = run
    }

    /// Every group, in the order they run.
    public static var all: [SelfTestGroup] {
        [
            SelfTestGroup("compiler", compilerChecks),
            SelfTestGroup("bytesize", byteSizeChecks),
            SelfTestGroup("arena", arenaChecks),
            SelfTestGroup("guestmemory", guestMemoryChecks),
            SelfTestGroup("hostsignature", hostSignatureChecks),
            SelfTestGroup("boardfile", boardFileChecks),
            SelfTestGroup("decode", decodeChecks),
            SelfTestGroup("interp", interpreterChecks),
        ]
    }

    /// The group names, comma-separated, for usage messages.
    public static var names: String {
        var text = ""
        for group in all {
            if !text.isEmpty { text += ", " }
            text += "\(group.name)"
        }
        return text
    }
}

public struct SelfTestResults {
    public var passed = 0
    public var failed = 0
}

/// Runs the groups `include` accepts (all by default), printing one line per failed
/// check and then `selftest: N passed, N failed`. `willRun` hears each group's name
/// first, so a Swift trap (which ends an Embedded build silently) can be placed.
@discardableResult
public func runSelfTests(
    include: (StaticString) -> Bool = { _ in true }, willRun: (StaticString) -> Void = { _ in }
) -> SelfTestResults {
    var results = SelfTestResults()
    for group in SelfTestGroup.all where include(group.name) {
        willRun(group.name)
        var t = SelfTest(group: group.name)
        group.run(&t)
        results.passed += t.passed
        results.failed += t.failed
    }
    print("selftest: \(results.passed) passed, \(results.failed) failed")
    return results
}
