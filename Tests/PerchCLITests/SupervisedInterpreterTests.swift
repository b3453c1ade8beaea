import Foundation
import PerchHALSim
import PerchLink
import PerchPlatform
import PerchSupervisor
import Testing
@testable import PerchCLI

/// The supervisor's swap protocol with the real decoder, validator and interpreter
/// (modules from wat2wasm, bytes inlined so the test needs no tools).
@Suite struct SupervisedInterpreterTests {
    /// time.sleep_ms + perch.ready, then sleeps 50 ms forever.
    static let sleeper: [UInt8] = [0x00,0x61,0x73,0x6d,0x01,0x00,0x00,0x00,0x01,0x09,0x02,0x60,0x01,0x7f,0x01,0x7f,0x60,0x00,0x00,0x02,0x1f,0x02,0x04,0x74,0x69,0x6d,0x65,0x08,0x73,0x6c,0x65,0x65,0x70,0x5f,0x6d,0x73,0x00,0x00,0x05,0x70,0x65,0x72,0x63,0x68,0x05,0x72,0x65,0x61,0x64,0x79,0x00,0x01,0x03,0x02,0x01,0x01,0x07,0x0a,0x01,0x06,0x5f,0x73,0x74,0x61,0x72,0x74,0x00,0x02,0x0a,0x10,0x01,0x0e,0x00,0x10,0x01,0x03,0x40,0x41,0x32,0x10,0x00,0x1a,0x0c,0x00,0x0b,0x0b]
    /// `_start` is `unreachable`.
    static let trap: [UInt8] = [0x00,0x61,0x73,0x6d,0x01,0x00,0x00,0x00,0x01,0x04,0x01,0x60,0x00,0x00,0x03,0x02,0x01,0x00,0x07,0x0a,0x01,0x06,0x5f,0x73,0x74,0x61,0x72,0x74,0x00,0x00,0x0a,0x05,0x01,0x03,0x00,0x00,0x0b]
    /// `_start` is `(loop (br 0))`.
    static let spin: [UInt8] = [0x00,0x61,0x73,0x6d,0x01,0x00,0x00,0x00,0x01,0x04,0x01,0x60,0x00,0x00,0x03,0x02,0x01,0x00,0x07,0x0a,0x01,0x06,0x5f,0x73,0x74,0x61,0x72,0x74,0x00,0x00,0x0a,0x09,0x01,0x07,0x00,0x03,0x40,0x0c,0x00,0x0b,0x0b]
    /// Four pages of memory: 256 KiB, more than a 64 KiB arena holds.
    static let bigMemory: [UInt8] = [0x00,0x61,0x73,0x6d,0x01,0x00,0x00,0x00,0x01,0x04,0x01,0x60,0x00,0x00,0x03,0x02,0x01,0x00,0x05,0x03,0x01,0x00,0x04,0x07,0x0a,0x01,0x06,0x5f,0x73,0x74,0x61,0x72,0x74,0x00,0x00,0x0a,0x04,0x01,0x02,0x00,0x0b]

    let signer = Ed25519.keyPair(seed: [UInt8](repeating: 3, count: 32))!

    func deploy(_ module: [UInt8], _ version: UInt64, arena: UInt32 = 1 << 20, grants: [String] = []) -> Deploy {
        makeDeploy(module: module, app: "blinky", version: version, grants: grants, arenaSize: arena, fuelSlice: 10_000, signer: signer)!
    }

    /// Uploads over direct `handle` calls, then runs rounds until the swap resolves.
    func swap(_ s: Supervisor, _ module: [UInt8], _ d: Deploy, sim: SimBoard) -> Message? {
        s.handle(.uploadBegin(manifest: d.manifestBytes, signature: d.signature), session: 1, sequence: 1)
        module.withUnsafeBytes { s.handle(.chunk(offset: 0, data: $0), session: 1, sequence: 2) }
        s.handle(.commit(app: "blinky"), session: 1, sequence: 3)
        for _ in 0..<50 {
            if let r = s.takeOutbox().first(where: { $0.sequence == 3 }) { return r.message }
            _ = s.runRound()
            sim.clock.advance(nanoseconds: 60_000_000)
            Thread.sleep(forTimeInterval: 0.001)
        }
        return nil
    }

    @Test func realModulesSwapRollBackAndFailSafely() throws {
        let dir = NSTemporaryDirectory() + "perch-cli-sup-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sim = SimBoard()
        let runner = InterpreterAppRunner(platform: LinuxPlatform.makePlatform(), board: sim.devices)
        var config = SupervisorConfig()
        config.healthSlices = 5
        let s = Supervisor(store: try Store(root: dir, files: PosixStoreFiles()), trustedKeys: [signer.publicKey],
                           runner: runner, config: config, clock: { sim.clock.nanoseconds })

        guard case .swapResult(let v, let note)? = swap(s, Self.sleeper, deploy(Self.sleeper, 1), sim: sim) else {
            Issue.record("v1 did not commit: \(s.logs(app: "", since: 0).text)"); return
        }
        #expect(v == 1 && note.contains("perch_ready"))

        guard case .error(let code, let reason)? = swap(s, Self.trap, deploy(Self.trap, 2), sim: sim) else {
            Issue.record("trap not reported"); return
        }
        #expect(code == .healthCheckFailed && reason.contains("unreachable"))
        #expect(s.status(app: "blinky").first?.committedVersion == 1)
        #expect(s.status(app: "blinky").first?.state == .running)

        guard case .error(let spinCode, let spinReason)? = swap(s, Self.spin, deploy(Self.spin, 3), sim: sim) else {
            Issue.record("spin not reported"); return
        }
        #expect(spinCode == .healthCheckFailed && spinReason.contains("did not yield"))

        var garbage = Self.trap
        garbage[garbage.count - 3] = 0xFF  // not an opcode
        guard case .error(let invalidCode, _)? = swap(s, garbage, deploy(garbage, 4), sim: sim) else {
            Issue.record("invalid module not reported"); return
        }
        #expect(invalidCode == .invalidModule)

        guard case .error(let arenaCode, let arenaReason)? = swap(s, Self.bigMemory, deploy(Self.bigMemory, 5, arena: 65536), sim: sim) else {
            Issue.record("arena exhaustion not reported"); return
        }
        #expect(arenaCode == .instantiateFailed && arenaReason.contains("arena"))

        guard case .error(let grantCode, _)? = swap(s, Self.sleeper, deploy(Self.sleeper, 6, grants: ["gpio:NOPE"]), sim: sim) else {
            Issue.record("unknown grant not reported"); return
        }
        #expect(grantCode == .instantiateFailed)
        #expect(s.status(app: "blinky").first?.committedVersion == 1)
        #expect(s.status(app: "blinky").first?.state == .running)
    }
}
