import Foundation
import PerchPlatform
import Testing
@testable import PerchCLI

/// Every program in `../shared/bench/wasm` must print the checksum in
/// `../shared/bench/suite/expected.txt` under `perch run`: one test case a program, over
/// the programs of both lists, so one missing from either fails by name.
///
/// `hello` and `bigmodule` run in-process. The compute programs are sized for timing and
/// take minutes in a debug build, so they run through an optimised `perch` binary:
/// `$PERCH_BIN`, else `.build/release/perch` (`swift build -c release`). Without one
/// they are reported as skipped, by name, with this reason.
@Suite struct BenchChecksumTests {
    static let expected: [String: String] = {
        guard let text = try? String(contentsOf: Repository.expected, encoding: .utf8) else { return [:] }
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { table[String(parts[0])] = String(parts[1]) }
        }
        return table
    }()

    static let inProcess = ["hello", "bigmodule"]
    /// Programs in the module folder or the expected list (or both).
    static var programs: Set<String> {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Repository.benchModules.path)) ?? []
        return Set(files.filter { $0.hasSuffix(".wasm") }.map { String($0.dropLast(5)) }).union(expected.keys)
    }
    static var compute: [String] { programs.subtracting(inProcess).sorted() }

    static var releaseBinary: URL? {
        if let path = ProcessInfo.processInfo.environment["PERCH_BIN"] { return URL(fileURLWithPath: path) }
        let release = Repository.root.appendingPathComponent(".build/release/perch")
        return FileManager.default.isExecutableFile(atPath: release.path) ? release : nil
    }

    static func checksum(in output: String, of name: String) -> String? {
        for line in output.split(separator: "\n") where line.hasPrefix("\(name) checksum=") {
            return String(line.dropFirst("\(name) checksum=".count))
        }
        return nil
    }

    /// The program's expected checksum, failing the case if the program is in only one list.
    static func expectedChecksum(of name: String) throws -> String {
        let module = Repository.benchModules.appendingPathComponent("\(name).wasm").path
        #expect(FileManager.default.fileExists(atPath: module), "\(name).wasm is missing")
        return try #require(expected[name], "\(name) has no line in expected.txt")
    }

    @Test(arguments: inProcess)
    func startUpProgramsPrintTheirChecksum(_ name: String) throws {
        let want = try Self.expectedChecksum(of: name)
        let path = Repository.benchModules.appendingPathComponent("\(name).wasm").path
        let (report, output) = runInMemory(RunRequest(modulePath: path))
        #expect(report.status == 0, "\(report.error ?? "")")
        #expect(Self.checksum(in: output, of: name) == want)
    }

    @Test(.enabled(if: releaseBinary != nil, "no optimised perch: run `swift build -c release` or set PERCH_BIN"),
          arguments: compute)
    func computeProgramsPrintTheirChecksum(_ name: String) throws {
        let binary = try #require(Self.releaseBinary)
        let want = try Self.expectedChecksum(of: name)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", Repository.benchModules.appendingPathComponent("\(name).wasm").path]
        let pipe = Pipe()
        let errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(name): \(errorText)")
        #expect(Self.checksum(in: output, of: name) == want, "\(name): \(errorText)")
    }
}
