import Foundation
import Testing

/// Which shared libraries a perch command loads, as glibc's loader reports them
/// (`LD_DEBUG=files` lists each object it opens on stderr).
@Suite(.enabled(if: perchBinary != nil, "needs the perch executable (swift build, or PERCH_BIN)"))
struct LibraryLoadingTests {
    /// `_start` returns at once.
    static let nop: [UInt8] = [0x00,0x61,0x73,0x6d,0x01,0x00,0x00,0x00,0x01,0x04,0x01,0x60,0x00,0x00,0x03,0x02,0x01,0x00,0x07,0x0a,0x01,0x06,0x5f,0x73,0x74,0x61,0x72,0x74,0x00,0x00,0x0a,0x04,0x01,0x02,0x00,0x0b]

    /// libsodium is loaded at the first signature call: `perch run` never maps it, the
    /// key and supervisor commands do.
    @Test func runDoesNotLoadLibsodiumAndKeygenDoes() throws {
        let dir = NSTemporaryDirectory() + "perch-libraries-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(Self.nop).write(to: URL(fileURLWithPath: dir + "/nop.wasm"))
        let trace = ["LD_DEBUG": "files"]

        let run = try runPerch(["run", dir + "/nop.wasm"], environment: trace)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("file=libc.so.6"), "the loader's trace is there")
        #expect(!run.output.contains("libsodium"))

        let keygen = try runPerch(["keygen", dir + "/deploy.key"], environment: trace)
        #expect(keygen.status == 0, "\(keygen.output)")
        #expect(keygen.output.contains("file=libsodium.so.23"))
    }
}
