import Foundation
import Testing
@testable import PerchCore
@testable import PerchDecode
@testable import PerchSpecTest

/// `../shared` beside the package root, or $PERCH_SHARED.
func sharedDirectory() -> URL {
    if let path = ProcessInfo.processInfo.environment["PERCH_SHARED"] { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
}

/// Folders holding one `<name>/<name>.json` script each, SIMD ones included.
func wasm2ScriptFolders() throws -> [URL] {
    let json = sharedDirectory().appendingPathComponent("spec/wasm2/json")
    var folders: [URL] = []
    for parent in [json, json.appendingPathComponent("simd")] {
        for name in try FileManager.default.contentsOfDirectory(atPath: parent.path).sorted() {
            let folder = parent.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(name + ".json").path) {
                folders.append(folder)
            }
        }
    }
    return folders
}

func readWholeFile(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}

@Suite struct SpecValidationTests {
    /// Runs the validation commands of all 148 wasm2 scripts (SIMD included): every
    /// `module` decodes and validates, every binary `assert_malformed` and every
    /// `assert_invalid` is rejected; text-format modules are counted as skipped.
    @Test func wasm2ScriptsValidationCommands() throws {
        let folders = try wasm2ScriptFolders()
        #expect(folders.count == 148)
        var runner = SpecScriptRunner(hooks: NoExecution(), readFile: readWholeFile)
        var module = KindTally(kind: "module")
        var malformed = KindTally(kind: "assert_malformed")
        var invalid = KindTally(kind: "assert_invalid")
        var failures: [String] = []
        for folder in folders {
            let result = runner.run(scriptNamed: folder.lastPathComponent, in: folder.path)
            print(result.summary)
            let fileModules = result.tally(of: "module")
            let fileInvalid = result.tally(of: "assert_invalid")
            print("VALIDATION \(folder.lastPathComponent): module \(fileModules.passed)/\(fileModules.total), "
                + "assert_invalid \(fileInvalid.passed - fileInvalid.wrongReason)/\(fileInvalid.total)")
            module.add(result.tally(of: "module"))
            malformed.add(result.tally(of: "assert_malformed"))
            invalid.add(result.tally(of: "assert_invalid"))
            for line in result.messages {
                print("  " + line)
                if !line.contains("wrong reason") { failures.append(line) }
            }
        }
        for tally in [module, malformed, invalid] {
            print("TOTAL \(tally.kind): \(tally.total) = \(tally.passed) passed (\(tally.wrongReason) wrong reason), "
                + "\(tally.failed) failed, \(tally.skipped) skipped (text format)")
        }
        #expect(module.total == 1599)
        #expect(module.passed == 1599)
        #expect(malformed.total == 1810)
        #expect(malformed.passed == 1810 - 1091)
        #expect(malformed.skipped == 1091)
        #expect(invalid.total == 2146)
        #expect(invalid.passed == 2146)
        // Every invalid module is rejected for the script's reason; a few malformed ones
        // are rejected for a neighbouring reason where the reference interpreter reads
        // past a section's end (listed above as "wrong reason").
        #expect(invalid.wrongReason == 0)
        #expect(malformed.wrongReason <= 9)
        #expect(failures.isEmpty)
    }
}
