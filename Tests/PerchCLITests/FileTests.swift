import Foundation
import PerchCore
import Testing

@testable import PerchCLI

@Suite struct FileTests {
    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "perch-file-test-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsAWholeFileIntoTheArena() throws {
        let path = try temporaryFile([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let arena = try Arena(capacity: 4096)
        let bytes = try readFile(path, into: arena, for: .moduleBytes)
        #expect(Array(bytes) == [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
        #expect(bytes.baseAddress == arena.base)
        #expect(try readFile(path) == [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
    }

    @Test func missingFileNamesThePathAndReason() {
        do {
            _ = try readFile("/nonexistent/perch.wasm")
            Issue.record("expected an error")
        } catch {
            guard case .system(let errno) = error.kind else { Issue.record("kind"); return }
            #expect(errno == ENOENT)
            #expect(error.message == "cannot read '/nonexistent/perch.wasm': No such file or directory")
        }
    }

    @Test func directoryIsAnError() {
        do {
            _ = try readFile("/")
            Issue.record("expected an error")
        } catch {
            guard case .system(let errno) = error.kind else { Issue.record("kind"); return }
            #expect(errno == EISDIR)
        }
    }

    @Test func fileLargerThanTheArenaLeavesItUntouched() throws {
        let path = try temporaryFile([UInt8](repeating: 7, count: 5000))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let arena = try Arena(capacity: 4096)
        let before = arena.mark
        do {
            _ = try readFile(path, into: arena, for: .moduleBytes)
            Issue.record("expected arena full")
        } catch {
            guard case .tooLarge(let arenaError?) = error.kind else { Issue.record("kind"); return }
            #expect(arenaError.use == .moduleBytes)
            #expect(error.message.contains("module bytes needs 5000 bytes"))
        }
        #expect(arena.mark == before)
    }
}
