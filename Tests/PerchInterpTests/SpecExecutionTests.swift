import Foundation
import PerchSpecTest
import Testing

/// `../shared` beside the package root, or $PERCH_SHARED.
private func sharedDirectory() -> URL {
    if let path = ProcessInfo.processInfo.environment["PERCH_SHARED"] { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
}

private func scriptFolders(_ parent: URL) throws -> [URL] {
    try FileManager.default.contentsOfDirectory(atPath: parent.path).sorted().map { parent.appendingPathComponent($0) }
        .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent($0.lastPathComponent + ".json").path) }
}

private let commandKinds = [
    "module", "assert_return", "assert_trap", "assert_exhaustion", "assert_invalid", "assert_malformed",
    "assert_unlinkable", "assert_uninstantiable", "register", "action",
]

/// Runs scripts through the executing runner; prints each file's line, per-kind totals and
/// every failure.
private func runScripts(_ folders: [URL], fuelPerSlice: Int = .max) -> (total: [KindTally], failures: [String]) {
    var runner = makeExecutingSpecRunner(fuelPerSlice: fuelPerSlice) { FileManager.default.contents(atPath: $0).map { [UInt8]($0) } }
    var totals = commandKinds.map { KindTally(kind: $0) }
    var failures: [String] = []
    for folder in folders {
        let result = runner.run(scriptNamed: folder.lastPathComponent, in: folder.path)
        print(result.summary)
        for (i, kind) in commandKinds.enumerated() { totals[i].add(result.tally(of: kind)) }
        for line in result.messages where !line.contains("wrong reason") { failures.append(line) }
    }
    for tally in totals {
        print("TOTAL \(tally.kind): \(tally.total) = \(tally.passed) passed, \(tally.failed) failed, \(tally.skipped) skipped")
    }
    for line in failures { print("FAIL " + line) }
    return (totals, failures)
}

@Suite struct SpecExecutionTests {
    /// The whole non-SIMD wasm2 suite (90 scripts, 28,018 commands) executes with no
    /// failure; the only skips are text-format `assert_malformed` (no text parser).
    @Test func wasm2NonSIMDSuitePasses() throws {
        let folders = try scriptFolders(sharedDirectory().appendingPathComponent("spec/wasm2/json"))
        #expect(folders.count == 90)
        let (totals, failures) = runScripts(folders)
        #expect(failures.isEmpty)
        var all = KindTally(kind: "all")
        for tally in totals { all.add(tally) }
        #expect(all.total == 28_018)
        #expect(all.failed == 0)
        for tally in totals where tally.kind != "assert_malformed" { #expect(tally.skipped == 0, "\(tally.kind)") }
        #expect(totals[1].passed == 21_453)  // assert_return
        #expect(totals[2].passed == 2_354)  // assert_trap
        #expect(totals[3].passed == 15)  // assert_exhaustion
    }

    /// The same suite with every action cut into slices of 3 units of fuel: suspending at
    /// any back-edge or call and resuming must not change a single result.
    @Test func wasm2NonSIMDSuitePassesWhenSuspendedEveryThreeUnits() throws {
        let folders = try scriptFolders(sharedDirectory().appendingPathComponent("spec/wasm2/json"))
        let (totals, failures) = runScripts(folders, fuelPerSlice: 3)
        #expect(failures.isEmpty)
        #expect(totals[1].passed == 21_453)
        #expect(totals[2].passed == 2_354)
        #expect(totals[3].passed == 15)
    }

    /// SIMD scripts: validation commands run; execution commands are counted as skipped.
    @Test func wasm2SIMDScriptsSkipExecutionVisibly() throws {
        let folders = try scriptFolders(sharedDirectory().appendingPathComponent("spec/wasm2/json/simd"))
        #expect(folders.count == 58)
        let (totals, failures) = runScripts(folders)
        #expect(failures.isEmpty)
        #expect(totals[1].skipped == 24_281)  // every SIMD assert_return is shown as skipped
        #expect(totals[1].failed == 0)
    }
}
