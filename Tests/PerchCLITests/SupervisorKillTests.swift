import Foundation
import PerchLink
import PerchSupervisor
import Testing
@testable import PerchCLI

/// The built `perch` executable: $PERCH_BIN, else .build/debug/perch beside this package.
let perchBinary: String? = {
    if let path = ProcessInfo.processInfo.environment["PERCH_BIN"] { return path }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = root.appendingPathComponent(".build/debug/perch").path
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

/// A `perch serve` child process on a free loopback port (or on the given link).
final class ServeProcess {
    let process = Process()
    /// The TCP port, 0 when serving a serial line only.
    let port: Int

    init(store: String, trust: String, link: [String] = ["--listen", "127.0.0.1:0"], board: String = "sim") throws {
        process.executableURL = URL(fileURLWithPath: perchBinary!)
        process.arguments = ["serve", "--store", store, "--board", board, "--trust", trust,
                             "--health-slices", "3", "--exit-after", "60"] + link
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line names the port or the serial line.
        var text = ""
        let handle = out.fileHandleForReading
        while !text.contains("\n") {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        let line = text.split(separator: "\n").first ?? ""
        if line.hasPrefix("listening on 127.0.0.1:"), let port = Int(line.dropFirst("listening on 127.0.0.1:".count)) {
            self.port = port
        } else if line.hasPrefix("serial link on ") {
            self.port = 0
        } else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile)
        }
    }

    func kill9() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var target: LinkTarget { .tcp(host: "127.0.0.1", port: port) }
}

@Suite(.enabled(if: perchBinary != nil, "needs the perch executable (swift build, or PERCH_BIN)"))
struct SupervisorKillTests {
    let signer = Ed25519.keyPair(seed: [UInt8](repeating: 9, count: 32))!

    func status(_ target: LinkTarget) throws -> AppStatus? {
        let c = try LinkClient.connect(target)
        guard case .statusReply(let apps) = try c.request(.status(app: "blinky")) else { return nil }
        return apps.first
    }

    /// kill -9 of `perch serve` after every chunk of an upload and right after the commit
    /// request; each time, the restarted supervisor runs a committed version.
    @Test func killDuringUploadAndSwapThenRestartRunsACommittedVersion() throws {
        let dir = NSTemporaryDirectory() + "perch-kill-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let trust = dir + "/k.pub"
        try KeyFile.render(publicKey: signer.publicKey).write(toFile: trust, atomically: true, encoding: .utf8)
        let store = dir + "/store"
        let v1 = SupervisedInterpreterTests.sleeper
        // v2: the same program with a different sleep (50 -> 51 ms), so its hash differs.
        var v2 = v1
        v2[v2.count - 8] = 0x33
        let d1 = makeDeploy(module: v1, app: "blinky", version: 1, grants: [], arenaSize: 1 << 20, fuelSlice: 10_000, signer: signer)!
        let d2 = makeDeploy(module: v2, app: "blinky", version: 2, grants: [], arenaSize: 1 << 20, fuelSlice: 10_000, signer: signer)!

        var server = try ServeProcess(store: store, trust: trust)
        guard case .success = push(module: v1, deploy: d1, connect: { () throws(LinkIOError) in try LinkClient.connect(server.target) }) else {
            Issue.record("v1 push failed"); server.kill9(); return
        }
        let chunk = 16
        let chunks = (v2.count + chunk - 1) / chunk
        var sawV2 = false
        var kills = 0
        var killedAtOffsets: [UInt32] = []
        for _ in 0...(chunks + 1) {
            let client = try LinkClient.connect(server.target)
            _ = try client.request(.hello(client: "kill test"))
            guard case .uploadAccepted(let offset) = try client.request(.uploadBegin(manifest: d2.manifestBytes, signature: d2.signature)) else {
                Issue.record("upload refused after \(kills) kills"); break
            }
            killedAtOffsets.append(offset)
            if Int(offset) < v2.count {
                // One more chunk, acknowledged, then the kill.
                let end = min(v2.count, Int(offset) + chunk)
                let reply = try Array(v2[Int(offset)..<end]).withUnsafeBytes { try client.request(.chunk(offset: offset, data: $0)) }
                guard case .chunkAck = reply else { Issue.record("no ack"); break }
            } else {
                // Everything is there: ask for the swap and kill while it may be in its health window.
                var frame: [UInt8] = []
                _ = Message.commit(app: "blinky").encode(sequence: 999, into: &frame)
                _ = frame.withUnsafeBytes { client.writeRaw($0) }
            }
            server.kill9()
            kills += 1
            server = try ServeProcess(store: store, trust: trust)
            let s = try #require(try status(server.target), "after kill \(kills)")
            #expect(s.state == .running, "after kill \(kills): \(s.lastError)")
            #expect(s.committedVersion == 1 || s.committedVersion == 2)
            if s.committedVersion == 2 { sawV2 = true; break }
        }
        // Each restart resumed the upload where the previous process had written it.
        #expect(killedAtOffsets.prefix(chunks + 1) == (0...chunks).map { UInt32(min($0 * chunk, v2.count)) }[...].prefix(killedAtOffsets.count))
        #expect(kills >= chunks)
        if !sawV2 {
            // The partial upload is still in the spare slot: finishing it works.
            let result = push(module: v2, deploy: d2, connect: { () throws(LinkIOError) in try LinkClient.connect(server.target) })
            if case .failure(let e) = result {
                // A swap killed inside its health window raised the floor: v2 is spent.
                #expect(e.message.contains("replay"), "\(e.message)")
            }
        }
        let final = try #require(try status(server.target))
        #expect(final.state == .running)
        server.kill9()
    }
}

