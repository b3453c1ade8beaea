import Testing
@testable import PerchLink
@testable import PerchSupervisor

/// A supervisor over a temp store, a fake runner and a manual clock, driven by direct
/// message calls (the link layer is tested separately).
final class Harness {
    let dir: TempDirectory
    let runner = FakeRunner()
    let clock = TestClock()
    var supervisor: Supervisor
    var sequence: UInt16 = 0
    let session = 1

    init(config: SupervisorConfig = Harness.config) throws {
        dir = try TempDirectory()
        supervisor = try Harness.make(dir, runner, clock, config)
    }

    /// A supervisor over `files` (e.g. the power-cut model) with its store at `root`.
    init(files: any StoreFiles, root: String) throws {
        dir = try TempDirectory()
        supervisor = Supervisor(store: try Store(root: root, files: files), trustedKeys: [testSigner.publicKey],
                                runner: runner, config: Harness.config, clock: { [clock] in clock.now })
    }

    static var config: SupervisorConfig {
        var c = SupervisorConfig()
        c.healthSlices = 3
        c.maxStrikes = 3
        c.maxRestarts = 2
        return c
    }

    static func make(_ dir: TempDirectory, _ runner: FakeRunner, _ clock: TestClock, _ config: SupervisorConfig) throws -> Supervisor {
        let store = try Store(root: dir.path, files: PosixStoreFiles())
        return Supervisor(store: store, trustedKeys: [testSigner.publicKey], runner: runner, config: config, clock: { clock.now })
    }

    /// Simulates a supervisor restart (process killed): a new one over the same store.
    func restart() throws {
        supervisor = try Harness.make(dir, runner, clock, Harness.config)
        supervisor.startInstalledApps()
    }

    @discardableResult
    func ask(_ m: Message) -> [Message] {
        sequence &+= 1
        supervisor.handle(m, session: session, sequence: sequence)
        return supervisor.takeOutbox().map(\.message)
    }

    /// Upload + commit; returns the immediate replies to commit (empty when the swap started).
    func upload(_ module: [UInt8], _ deploy: Deploy, chunk: Int = 1000) -> [Message] {
        guard case .uploadAccepted(let start)? = ask(.uploadBegin(manifest: deploy.manifestBytes, signature: deploy.signature)).first else {
            return ask(.uploadBegin(manifest: deploy.manifestBytes, signature: deploy.signature))
        }
        var offset = Int(start)
        while offset < module.count {
            let end = min(module.count, offset + chunk)
            let replies = Array(module[offset..<end]).withUnsafeBytes { ask(.chunk(offset: UInt32(offset), data: $0)) }
            guard case .chunkAck(let next)? = replies.first else { return replies }
            offset = Int(next)
        }
        return ask(.commit(app: deploy.manifest.app))
    }

    /// Runs rounds (advancing the clock 1 ms each) and collects deferred replies.
    func run(rounds: Int) -> [Message] {
        var out: [Message] = []
        for _ in 0..<rounds {
            _ = supervisor.runRound()
            clock.advance(ms: 1)
            out += supervisor.takeOutbox().map(\.message)
        }
        return out
    }

    func status(_ app: String = "blinky") -> AppStatus? { supervisor.status(app: app).first }

    /// Installs `module` as version `version` and waits for the swap to commit.
    func install(_ behaviour: FakeBehaviour, version: UInt64, seed: UInt8 = 0) throws {
        let module = fakeModule(behaviour, seed: seed)
        let immediate = upload(module, signedDeploy(module, version: version))
        #expect(immediate.isEmpty, "\(immediate)")
        let later = run(rounds: 5)
        guard case .swapResult(let v, _)? = later.first else {
            Issue.record("no swap result: \(later)")
            return
        }
        #expect(v == version)
    }
}

func errorCode(_ replies: [Message]) -> LinkErrorCode? {
    for r in replies { if case .error(let code, _) = r { return code } }
    return nil
}

@Suite struct SupervisorTests {
    @Test func firstInstallAndUpdateSwapAtAFuelBoundaryAndCommit() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let v1 = try #require(h.runner.latest(1))
        #expect(h.status()?.state == .running && h.status()?.committedVersion == 1)
        try h.install(.healthy, version: 2, seed: 9)
        let v2 = try #require(h.runner.latest(2))
        // State went from the old instance to the new one at the swap.
        #expect(v2.restored?.first == 1)
        let oldSlices = v1.slices
        _ = h.run(rounds: 5)
        #expect(v1.slices == oldSlices, "the old instance must not run after the commit")
        #expect(v1.discarded)
        #expect(v2.slices > 3)
        let s = try #require(h.status())
        #expect(s.committedVersion == 2 && s.previousVersion == 1)
        #expect(h.supervisor.logs(app: "blinky", since: 0).text.contains("hello from v2"))
        #expect(h.supervisor.lastSwapLatency.first?.nanoseconds != nil)
    }

    @Test func wrongKeyIsRefusedBeforeAnythingIsStored() throws {
        let h = try Harness()
        let module = fakeModule(.healthy)
        let replies = h.upload(module, signedDeploy(module, version: 1, signer: otherSigner))
        #expect(errorCode(replies) == .untrustedSignature)
        #expect(h.supervisor.store.apps.isEmpty)
    }

    @Test func tamperedModuleWithValidManifestFailsTheHashAndOldKeepsRunning() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let module = fakeModule(.healthy, seed: 3)
        var tampered = module
        tampered[100] ^= 1
        let replies = h.upload(tampered, signedDeploy(module, version: 2))
        #expect(errorCode(replies) == .hashMismatch)
        #expect(h.status()?.state == .running && h.status()?.committedVersion == 1)
        let v1 = try #require(h.runner.latest(1))
        let before = v1.slices
        _ = h.run(rounds: 3)
        #expect(v1.slices > before)
    }

    @Test func replayedOrOlderVersionsAreRefused() throws {
        let h = try Harness()
        try h.install(.healthy, version: 5)
        for v in [UInt64(5), 4, 1] {
            let module = fakeModule(.healthy, seed: UInt8(v))
            #expect(errorCode(h.upload(module, signedDeploy(module, version: v))) == .replayedVersion)
        }
        // A version that failed its health window can never be replayed either.
        let bad = fakeModule(.trapsAtStart)
        #expect(h.upload(bad, signedDeploy(bad, version: 6)).isEmpty)
        #expect(errorCode(h.run(rounds: 3)) == .healthCheckFailed)
        #expect(errorCode(h.upload(bad, signedDeploy(bad, version: 6))) == .replayedVersion)
    }

    @Test func invalidAndUninstantiableModulesAreRejectedWithTheOldRunning() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let invalid = fakeModule(.invalid)
        #expect(errorCode(h.upload(invalid, signedDeploy(invalid, version: 2))) == .invalidModule)
        let big = fakeModule(.arenaTooSmall)
        #expect(errorCode(h.upload(big, signedDeploy(big, version: 3))) == .instantiateFailed)
        #expect(h.status()?.state == .running && h.status()?.committedVersion == 1)
        // A rejected module did not burn its version number: a fixed v2 is accepted.
        try h.install(.healthy, version: 2, seed: 1)
    }

    /// A first install whose module fails (rejected before it runs, traps at start, never
    /// yields, needs more arena than it has) leaves the app failed with no version: the
    /// refused version and reason are in status and logs, also after a restart, nothing
    /// runs, `start` says why, and a later good push installs normally.
    @Test(arguments: [
        (FakeBehaviour.trapsAtStart, LinkErrorCode.healthCheckFailed, "unreachable"),
        (.loopsForever, .healthCheckFailed, "did not yield"),
        (.arenaTooSmall, .instantiateFailed, "arena full"),
        (.invalid, .invalidModule, "type mismatch"),
    ])
    func firstInstallThatFailsLeavesTheAppFailedWithNoVersion(_ behaviour: FakeBehaviour, _ code: LinkErrorCode, _ reason: String) throws {
        let h = try Harness()
        let bad = fakeModule(behaviour)
        let replies = h.upload(bad, signedDeploy(bad, version: 3)) + h.run(rounds: 5)
        #expect(errorCode(replies) == code, "\(replies)")
        func expectFailed(_ when: String) throws {
            let s = try #require(h.status(), "\(when)")
            #expect(s.state == .failed && s.committedVersion == 0 && s.previousVersion == 0, "\(when): \(s)")
            #expect(s.refusedVersion == 3 && s.lastError.contains(reason), "\(when): \(s)")
            // Nothing runs: every instance made was discarded and none is stepped.
            #expect(h.runner.instances.allSatisfy { $0.discarded }, "\(when)")
            let slices = h.runner.instances.map(\.slices)
            _ = h.run(rounds: 5)
            #expect(h.runner.instances.map(\.slices) == slices, "\(when)")
        }
        try expectFailed("after the push")
        #expect(h.supervisor.logs(app: "blinky", since: 0).text.contains("no version installed, nothing runs"))
        try h.restart()
        try expectFailed("after a restart")
        let start = h.ask(.start(app: "blinky"))
        #expect(errorCode(start) == .notInstalled)
        if case .error(_, let text)? = start.first { #expect(text.contains("v3 was refused") && text.contains(reason)) }
        #expect(errorCode(h.ask(.rollback(app: "blinky"))) == .nothingToRollBack)
        // A good version installs normally and clears the record.
        try h.install(.healthy, version: 4)
        let s = try #require(h.status())
        #expect(s.state == .running && s.committedVersion == 4 && s.refusedVersion == 0 && s.lastError.isEmpty, "\(s)")
        try h.restart()
        #expect(h.status()?.state == .running && h.status()?.refusedVersion == 0)
    }

    @Test func refusedUpdateIsReportedBesideTheRunningVersion() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let bad = fakeModule(.trapsAtStart)
        _ = h.upload(bad, signedDeploy(bad, version: 2))
        _ = h.run(rounds: 3)
        try h.restart()
        let s = try #require(h.status())
        #expect(s.state == .running && s.committedVersion == 1 && s.refusedVersion == 2 && s.lastError.contains("unreachable"), "\(s)")
    }

    @Test func moduleThatTrapsAtStartIsSwappedBackOut() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let v1 = try #require(h.runner.latest(1))
        let module = fakeModule(.trapsAtStart)
        #expect(h.upload(module, signedDeploy(module, version: 2)).isEmpty)
        let frozen = v1.slices
        let replies = h.run(rounds: 4)
        #expect(errorCode(replies) == .healthCheckFailed)
        #expect(v1.slices > frozen, "v1 resumed")
        #expect(h.status()?.committedVersion == 1 && h.status()?.state == .running)
        #expect(h.supervisor.logs(app: "", since: 0).text.contains("v1 resumed"))
    }

    @Test func oldInstanceThatGaveUpALineIsRestartedFromTheStoreAfterAFailedSwap() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let v1 = try #require(h.runner.latest(1))
        v1.holdsLine = true
        let module = fakeModule(.trapsAtStart)
        #expect(h.upload(module, signedDeploy(module, version: 2)).isEmpty)
        #expect(errorCode(h.run(rounds: 3)) == .healthCheckFailed)
        #expect(v1.discarded)
        let fresh = try #require(h.runner.latest(1))
        #expect(fresh !== v1)
        #expect(h.runner.latest(2)?.discarded == true)
        #expect(h.status()?.state == .running && h.status()?.committedVersion == 1)
        #expect(h.supervisor.logs(app: "", since: 0).text.contains("v1 restarted"))
    }

    @Test func moduleThatLoopsForeverFailsAfterItsStrikes() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let module = fakeModule(.loopsForever)
        #expect(h.upload(module, signedDeploy(module, version: 2)).isEmpty)
        let replies = h.run(rounds: 5)
        #expect(errorCode(replies) == .healthCheckFailed)
        #expect(h.runner.latest(2)?.slices == 3)
        #expect(h.status()?.committedVersion == 1 && h.status()?.state == .running)
    }

    @Test func committedAppThatKeepsTrappingRestartsWithBackoffThenStops() throws {
        var config = Harness.config
        config.healthSlices = 2
        let h = try Harness(config: config)
        try h.install(.trapsLater, version: 1)
        // Each restart waits 100 ms << n; run long enough for two restarts and a final trap.
        _ = h.run(rounds: 1000)
        let s = try #require(h.status())
        #expect(s.state == .failed)
        #expect(s.restarts == 2)
        #expect(s.lastError.contains("integer divide by zero"))
        #expect(h.runner.instances.filter { $0.version == 1 }.count == 3)
    }

    @Test func appsRunSideBySideAndACommittedAppThatStopsYieldingIsFailedAlone() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let spin = fakeModule(.loopsForever, seed: 4)
        // Installed as a new app, it is failed during its first health window...
        let d = signedDeploy(spin, app: "spinner", version: 1)
        #expect(h.upload(spin, d).isEmpty)
        #expect(errorCode(h.run(rounds: 5)) == .healthCheckFailed)
        #expect(h.supervisor.status(app: "spinner").first?.state == .failed)
        // ...while the other app kept running throughout.
        let blinky = try #require(h.runner.instances.first { $0.behaviour == .healthy })
        let before = blinky.slices
        _ = h.run(rounds: 5)
        #expect(blinky.slices > before)
        #expect(h.status()?.state == .running)
        #expect(h.supervisor.status(app: "").map(\.app) == ["blinky", "spinner"])
    }

    @Test func committedAppThatStopsYieldingIsStoppedByTheWatchdog() throws {
        let h = try Harness()
        try h.install(.loopsLater, version: 1)
        _ = h.run(rounds: 20)
        let s = try #require(h.status())
        #expect(s.state == .failed && s.committedVersion == 1)
        #expect(s.lastError.contains("did not yield in 3"))
        #expect(h.runner.latest(1)?.discarded == true)
    }

    /// A new module that waits (for an edge that does not come) longer than the health
    /// window is committed when the window ends, not when its wait does.
    @Test func appSuspendedThroughItsHealthWindowIsCommittedWhenTheWindowEnds() throws {
        let h = try Harness()
        let module = fakeModule(.waitsLong)
        #expect(h.upload(module, signedDeploy(module, version: 1)).isEmpty)
        #expect(h.run(rounds: 3).isEmpty)
        let next = try #require(h.supervisor.runRound())
        #expect(next <= h.supervisor.config.healthWindowNanoseconds, "the loop must wake for the window's end")
        h.clock.advance(ms: 2000)
        guard case .swapResult(let version, let note)? = h.run(rounds: 1).first else {
            Issue.record("not committed: \(h.supervisor.logs(app: "", since: 0).text)")
            return
        }
        #expect(version == 1 && note.contains("health window"))
        #expect(h.runner.latest(1)?.slices == 1)
        #expect(h.status()?.committedVersion == 1 && h.status()?.state == .running)
    }

    /// The serve loop polls what suspended apps wait on; a readable one resumes its app
    /// before its wake-up time. A wake for an instance swapped out since is ignored.
    @Test func wakeDescriptorsOfSuspendedAppsResumeThem() throws {
        let h = try Harness()
        let module = fakeModule(.waitsLong)
        #expect(h.upload(module, signedDeploy(module, version: 1)).isEmpty)
        _ = h.run(rounds: 1)
        h.clock.advance(ms: 2000)
        _ = h.run(rounds: 1)
        let v1 = try #require(h.runner.latest(1))
        #expect(h.status()?.committedVersion == 1)
        #expect(h.supervisor.wakeDescriptors().isEmpty)  // it waits on nothing yet
        v1.waitsOn = [41, 42]
        #expect(h.supervisor.wakeDescriptors() == [41, 42])
        let slices = v1.slices
        _ = h.run(rounds: 3)
        #expect(v1.slices == slices)  // asleep for a minute
        h.supervisor.wake(readable: 1)
        _ = h.run(rounds: 1)
        #expect(v1.slices == slices + 1)
        #expect(h.supervisor.wakeDescriptors() == [41, 42])  // suspended again

        let newer = fakeModule(.waitsLong, seed: 3)
        #expect(h.upload(newer, signedDeploy(newer, version: 2)).isEmpty)
        _ = h.run(rounds: 1)  // v2 has replaced v1 (its health window is running)
        let v2 = try #require(h.runner.latest(2))
        h.supervisor.wake(readable: 0)  // v1's, from before the swap
        _ = h.run(rounds: 1)
        #expect(v2.slices == 1 && v1.slices == slices + 1)
    }

    @Test func restartDuringHealthWindowRunsThePreviousVersion() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        let module = fakeModule(.healthy, seed: 5)
        #expect(h.upload(module, signedDeploy(module, version: 2)).isEmpty)
        _ = h.run(rounds: 1)  // v2 running but not yet committed
        try h.restart()       // power cut
        #expect(h.status()?.committedVersion == 1)
        #expect(h.status()?.state == .running)
        #expect(h.runner.instances.last?.version == 1)
    }

    @Test func controlCommandsStopStartRollbackRemove() throws {
        let h = try Harness()
        try h.install(.healthy, version: 1)
        try h.install(.healthy, version: 2, seed: 2)
        guard case .done? = h.ask(.stop(app: "blinky")).first else { Issue.record("stop"); return }
        #expect(h.status()?.state == .stopped)
        try h.restart()
        #expect(h.status()?.state == .stopped, "stopped stays stopped across restarts")
        guard case .done? = h.ask(.start(app: "blinky")).first else { Issue.record("start"); return }
        #expect(h.status()?.state == .running)
        guard case .done(let text)? = h.ask(.rollback(app: "blinky")).first else { Issue.record("rollback"); return }
        #expect(text.contains("v1"))
        #expect(h.status()?.committedVersion == 1 && h.runner.instances.last?.version == 1)
        #expect(errorCode(h.ask(.rollback(app: "blinky"))) == .nothingToRollBack)
        guard case .done? = h.ask(.remove(app: "blinky")).first else { Issue.record("remove"); return }
        #expect(h.supervisor.status(app: "").isEmpty)
        #expect(errorCode(h.ask(.stop(app: "blinky"))) == .unknownApp)
    }

    /// The disk fills up in the middle of an upload: the pusher gets a storage error naming
    /// it, the running version is untouched; once there is space the upload resumes.
    @Test func diskFullWhileStoringIsReportedToThePusherAndTheOldVersionRuns() throws {
        let dir = try TempDirectory()
        let files = FaultyFiles()
        let h = try Harness(files: files, root: dir.path + "/store")
        try h.install(.healthy, version: 1)
        let v1 = try #require(h.runner.latest(1))
        files.noSpaceAfter = files.written + 1500
        let module = fakeModule(.healthy, seed: 2)
        let replies = h.upload(module, signedDeploy(module, version: 2))
        #expect(errorCode(replies) == .storageFailed)
        if case .error(_, let reason)? = replies.last { #expect(reason.contains("no space left on device"), "\(reason)") }
        let before = v1.slices
        _ = h.run(rounds: 3)
        #expect(v1.slices > before && h.status()?.state == .running && h.status()?.committedVersion == 1)
        files.noSpaceAfter = nil
        try h.install(.healthy, version: 2, seed: 2)
        #expect(h.status()?.committedVersion == 2)
        #expect(h.supervisor.logs(app: "blinky", since: 0).text.contains("v2 (3000 bytes) from offset 1000"))
    }

    @Test func chunksWithoutUploadOrOutOfOrderAreAnsweredSafely() throws {
        let h = try Harness()
        let noUpload = [UInt8](repeating: 1, count: 10).withUnsafeBytes { h.ask(.chunk(offset: 0, data: $0)) }
        #expect(errorCode(noUpload) == .noUpload)
        let module = fakeModule(.healthy)
        let d = signedDeploy(module, version: 1)
        _ = h.ask(.uploadBegin(manifest: d.manifestBytes, signature: d.signature))
        let skipped = Array(module[0..<10]).withUnsafeBytes { h.ask(.chunk(offset: 500, data: $0)) }
        guard case .chunkAck(let at)? = skipped.first else { Issue.record("\(skipped)"); return }
        #expect(at == 0)
        let tooMuch = [UInt8](repeating: 0, count: 3001).withUnsafeBytes { h.ask(.chunk(offset: 0, data: $0)) }
        #expect(errorCode(tooMuch) == .moduleTooLarge)
        guard case .resumeOffset(let r)? = h.ask(.resumeQuery(app: "blinky", version: 1, moduleSHA256: d.manifest.moduleSHA256)).first else {
            Issue.record("resume"); return
        }
        #expect(r == 0)
    }
}
