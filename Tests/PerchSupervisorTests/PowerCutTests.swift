import Testing
@testable import PerchLink
@testable import PerchSupervisor

/// Power loss, not just kill -9: the supervisor runs a whole life (installs, swaps, a
/// failed swap, rollback, stop/start, an upload cut off and resumed, removal) over
/// `PowerCutFiles`, and after EVERY change to the file system the image a reboot would
/// find (only fsynced data and fsynced directory entries) is booted and checked.
@Suite struct PowerCutTests {
    static let apps = ["blinky", "other"]

    /// One step of the supervisor's life, driven through its message interface.
    struct Step {
        let name: String
        let run: (Harness) -> Void
    }

    static func push(_ h: Harness, _ app: String, _ behaviour: FakeBehaviour, _ version: UInt64) {
        let module = fakeModule(behaviour, seed: UInt8(truncatingIfNeeded: version))
        _ = h.upload(module, signedDeploy(module, app: app, version: version))
        _ = h.run(rounds: 5)
    }

    static var steps: [Step] { [
        Step(name: "install blinky v1") { push($0, "blinky", .healthy, 1) },
        Step(name: "install other v1") { push($0, "other", .healthy, 1) },
        Step(name: "swap blinky to v2") { push($0, "blinky", .healthy, 2) },
        Step(name: "rollback blinky") { _ = $0.ask(.rollback(app: "blinky")) },
        Step(name: "blinky v3 traps and is swapped back out") { push($0, "blinky", .trapsAtStart, 3) },
        Step(name: "stop other") { _ = $0.ask(.stop(app: "other")) },
        Step(name: "start other") { _ = $0.ask(.start(app: "other")) },
        Step(name: "half an upload of blinky v4, link dropped") { h in
            let module = fakeModule(.healthy, seed: 4)
            let d = signedDeploy(module, app: "blinky", version: 4)
            _ = h.ask(.uploadBegin(manifest: d.manifestBytes, signature: d.signature))
            _ = Array(module[0..<1500]).withUnsafeBytes { h.ask(.chunk(offset: 0, data: $0)) }
            h.supervisor.sessionClosed(h.session)
        },
        Step(name: "resume and swap blinky to v4") { push($0, "blinky", .healthy, 4) },
        Step(name: "remove other") { _ = $0.ask(.remove(app: "other")) },
    ] }

    func committed(_ store: Store, _ app: String) -> UInt64 {
        guard let state = store.state(app), state.committed != nil else { return 0 }
        return state.committedVersion
    }

    @Test(arguments: [PowerCutFiles.LostData.dropped, .zeroed])
    func everyCutLeavesEveryAppARunnableCommittedModule(_ lost: PowerCutFiles.LostData) throws {
        let model = PowerCutFiles()
        var cuts: [(step: Int, image: PowerCutFiles)] = []
        var stepIndex = 0
        model.afterChange = { cuts.append((stepIndex, $0.image(lost))) }
        let h = try Harness(files: model, root: "/store")
        // Committed versions each app may show at a cut inside each step: before or after it.
        var allowed: [[String: Set<UInt64>]] = []
        for (i, step) in Self.steps.enumerated() {
            stepIndex = i
            var before: [String: UInt64] = [:]
            for app in Self.apps { before[app] = committed(h.supervisor.store, app) }
            step.run(h)
            var both: [String: Set<UInt64>] = [:]
            for app in Self.apps { both[app] = [before[app]!, committed(h.supervisor.store, app)] }
            allowed.append(both)
        }
        // The life went as planned (so the cuts below are inside real swaps).
        #expect(committed(h.supervisor.store, "blinky") == 4)
        #expect(h.supervisor.store.state("other") == nil)
        #expect(allowed[2]["blinky"] == [1, 2] && allowed[3]["blinky"] == [2, 1])

        var seen: Set<String> = []
        for (n, cut) in cuts.enumerated() {
            let at = "cut \(n) in '\(Self.steps[cut.step].name)'"
            let store = try #require(try? Store(root: "/store", files: cut.image), "\(at): store does not open")
            for app in Self.apps {
                let version = committed(store, app)
                seen.insert("\(cut.step):\(app):\(version)")
                #expect(allowed[cut.step][app]!.contains(version), "\(at): \(app) has v\(version), expected one of \(allowed[cut.step][app]!)")
                guard let state = store.state(app) else { continue }
                if let slot = state.committed {
                    let loaded = try? store.loadModule(app, slot)
                    #expect(loaded?.deploy.manifest.version == state.committedVersion, "\(at): \(app) committed slot does not load")
                }
                if let slot = state.previous {
                    let loaded = try? store.loadModule(app, slot)
                    #expect(loaded?.deploy.manifest.version == state.previousVersion, "\(at): \(app) rollback slot does not load")
                }
                #expect(state.floor >= state.committedVersion, "\(at): \(app) floor below its committed version")
            }
            // Boot the image: every enabled app with a committed version runs, and the
            // store still takes an update.
            let booted = try Harness(files: cut.image, root: "/store")
            booted.supervisor.startInstalledApps()
            for app in Self.apps {
                guard let state = booted.supervisor.store.state(app), state.committed != nil, state.enabled else { continue }
                #expect(booted.supervisor.status(app: app).first?.state == .running, "\(at): \(app) does not run after the reboot")
            }
            Self.push(booted, "blinky", .healthy, 100)
            #expect(committed(booted.supervisor.store, "blinky") == 100, "\(at): an update after the reboot did not commit")
        }
        // Cuts fell on both sides of each swap and of the rollback.
        for (step, app, version) in [(0, "blinky", UInt64(0)), (0, "blinky", 1), (2, "blinky", 1), (2, "blinky", 2),
                                     (3, "blinky", 2), (3, "blinky", 1), (8, "blinky", 1), (8, "blinky", 4),
                                     (9, "other", 1), (9, "other", 0)] {
            #expect(seen.contains("\(step):\(app):\(version)"), "no cut in step \(step) showed \(app) v\(version)")
        }
        #expect(cuts.count > 100)
    }
}
