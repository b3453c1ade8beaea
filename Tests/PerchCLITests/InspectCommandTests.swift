import Foundation
import Testing

@testable import PerchCLI

@Suite struct InspectCommandTests {
    private func temporaryModule(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "perch-inspect-test-\(UUID().uuidString).wasm"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

    @Test func validModuleSucceeds() throws {
        let path = try temporaryModule(header + [0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                                                 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B])
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(perchMain(["inspect", path]) == ExitStatus.success)
    }

    @Test func malformedAndInvalidModulesFail() throws {
        let malformed = try temporaryModule(header + [0x0D, 0x00])
        // A function returning i32 whose body is empty: decodes, fails validation.
        let invalid = try temporaryModule(header + [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F, 0x03, 0x02, 0x01, 0x00,
                                                    0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B])
        defer {
            try? FileManager.default.removeItem(atPath: malformed)
            try? FileManager.default.removeItem(atPath: invalid)
        }
        #expect(perchMain(["inspect", malformed]) == ExitStatus.failure)
        #expect(perchMain(["inspect", invalid]) == ExitStatus.failure)
    }

    @Test func missingFileIsAUsageError() {
        #expect(perchMain(["inspect", "/nonexistent/perch.wasm"]) == ExitStatus.usage)
        #expect(perchMain(["inspect"]) == ExitStatus.usage)
    }

    @Test func benchmarkModulesInspect() throws {
        let shared = ProcessInfo.processInfo.environment["PERCH_SHARED"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared").path
        #expect(perchMain(["inspect", shared + "/bench/wasm/bigmodule.wasm"]) == ExitStatus.success)
    }
}
