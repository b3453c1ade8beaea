import PerchCore
import PerchLink

public struct SupervisorConfig {
    public var deviceName = "perch"
    /// A new module is healthy after surviving this many slices (or calling `perch_ready`).
    public var healthSlices = 20
    /// ... or after this long without failing, once it has run at least one slice.
    public var healthWindowNanoseconds: UInt64 = 2_000_000_000
    /// Consecutive slices that run out of fuel without yielding before the app is failed.
    public var maxStrikes = 3
    /// Restarts after a trap before the app is stopped for good.
    public var maxRestarts: UInt32 = 5
    /// First restart delay; doubled for each further restart.
    public var restartBackoffNanoseconds: UInt64 = 100_000_000
    /// Fuel per slice for manifests that say 0.
    public var defaultFuel: UInt64 = 100_000
    public var maxLogLines = 256

    public init() {}
}

/// The supervisor's core, independent of links and of the interpreter: it answers link
/// messages, keeps the store, and runs apps in fuel slices through an `AppRunner`.
///
/// Swap protocol: upload into the spare slot -> check size + SHA-256 -> decode, validate,
/// instantiate (runner.prepare) -> at the old instance's fuel boundary (between slices)
/// hand over `perch_save` state and switch -> health window -> commit in the store. Until
/// the commit the old instance is kept, paused, and any failure resumes it; the store's
/// committed version never changes before the health window passes.
public final class Supervisor {
    public let store: Store
    let trustedKeys: [[UInt8]]
    let runner: any AppRunner
    public var config: SupervisorConfig
    /// Replies waiting to be framed and sent by the link server (`takeOutbox`). Replies are
    /// never chunks, so the messages own all their bytes.
    public private(set) var outbox: [(session: Int, sequence: UInt16, message: Message)] = []
    /// Called with every log line as it is recorded (the serve command prints them).
    public var onLog: (String) -> Void = { _ in }
    let clock: () -> UInt64

    final class LiveApp {
        let name: String
        var instance: (any AppInstance)?
        var version: UInt64 = 0
        var state: AppRunState = .stopped
        var strikes = 0
        var restarts: UInt32 = 0
        var wakeAt: UInt64 = 0
        var restartAt: UInt64?
        var lastError = ""
        var fuel: UInt64 = 0
        var swap: PendingSwap?

        init(name: String) { self.name = name }
    }

    struct PendingSwap {
        var previousInstance: (any AppInstance)?
        var previousVersion: UInt64
        var previousState: AppRunState
        var previousFuel: UInt64
        var previousResumable: Bool
        var slot: Slot
        var version: UInt64
        var slicesSurvived = 0
        var replyTo: (session: Int, sequence: UInt16)?
        var requestedAt: UInt64
        var startedAt: UInt64? = nil

        /// When the new version's health window of `length` ends; nil until it has started.
        func healthWindowEnd(_ length: UInt64) -> UInt64? { startedAt.map { $0 &+ length } }
    }

    var apps: [LiveApp] = []
    /// Whose descriptor is at each index of the last `wakeDescriptors()`.
    var wakeOwners: [(app: LiveApp, instance: any AppInstance)] = []
    var sessionUploads: [(session: Int, app: String)] = []
    var logLines: [(sequence: UInt32, text: String)] = []
    var nextLogSequence: UInt32 = 1
    /// Nanoseconds from the last byte of the last swap request to the new module's first
    /// slice, per app (the swap latency `perch status --json` reports).
    public private(set) var lastSwapLatency: [(app: String, nanoseconds: UInt64)] = []

    /// `clock` returns monotonic nanoseconds.
    public init(
        store: Store, trustedKeys: [[UInt8]], runner: any AppRunner, config: SupervisorConfig,
        clock: @escaping () -> UInt64
    ) {
        self.store = store
        self.trustedKeys = trustedKeys
        self.runner = runner
        self.config = config
        self.clock = clock
    }

    func send(_ session: Int, _ sequence: UInt16, _ message: Message) {
        outbox.append((session, sequence, message))
    }

    public func takeOutbox() -> [(session: Int, sequence: UInt16, message: Message)] {
        let taken = outbox
        outbox.removeAll(keepingCapacity: true)
        return taken
    }

    // MARK: logs and status

    public func log(_ app: String, _ text: String) {
        let line = "[\(app)] \(text)"
        logLines.append((nextLogSequence, line))
        nextLogSequence &+= 1
        if logLines.count > config.maxLogLines { logLines.removeFirst(logLines.count - config.maxLogLines) }
        onLog(line)
    }

    /// Log lines from position `since` (for `app`, or all when empty), up to about `limit`
    /// bytes, and the position to ask from next.
    public func logs(app: String, since: UInt32, limit: Int = 3000) -> (next: UInt32, text: String) {
        var text = ""
        var next = since
        let prefix = "[\(app)] "
        for line in logLines where line.sequence >= since {
            if text.utf8.count + line.text.utf8.count + 1 > limit { break }
            next = line.sequence &+ 1
            if app.isEmpty || line.text.utf8.starts(with: prefix.utf8) { text += line.text + "\n" }
        }
        if next == since, let last = logLines.last, last.sequence < since { next = since }
        return (next, text)
    }

    public func status(app: String) -> [AppStatus] {
        var result: [AppStatus] = []
        for name in store.apps where app.isEmpty || sameBytes(name, app) {
            let state = store.state(name) ?? AppState()
            let live = liveApp(name)
            // An app whose only version was turned down is failed, also after a restart
            // (when nothing about it is live).
            var runState = live?.state ?? .stopped
            if state.committed == nil, state.refusedVersion != 0, runState == .stopped { runState = .failed }
            let liveError = live?.lastError ?? ""
            result.append(AppStatus(
                app: name, state: runState, committedVersion: state.committedVersion,
                previousVersion: state.previous == nil ? 0 : state.previousVersion,
                refusedVersion: state.refusedVersion, restarts: live?.restarts ?? 0,
                lastError: liveError.isEmpty ? state.refusal : liveError))
        }
        return result
    }

    func liveApp(_ name: String) -> LiveApp? { apps.first { sameBytes($0.name, name) } }

    func liveAppCreating(_ name: String) -> LiveApp {
        if let app = liveApp(name) { return app }
        let app = LiveApp(name: name)
        apps.append(app)
        return app
    }

    // MARK: starting apps

    /// After a (re)start: runs the committed version of every enabled app.
    public func startInstalledApps() {
        for name in store.apps {
            guard let state = store.state(name), state.enabled, state.committed != nil else { continue }
            launch(liveAppCreating(name))
        }
    }

    /// Loads and starts the committed version; on failure the app is marked failed.
    @discardableResult
    func launch(_ app: LiveApp) -> Bool {
        app.instance?.discard()
        app.instance = nil
        app.restartAt = nil
        guard let state = store.state(app.name), let slot = state.committed else {
            app.state = (store.state(app.name)?.refusedVersion ?? 0) != 0 ? .failed : .stopped
            app.lastError = "no version installed" + refusalNote(app.name)
            return false
        }
        let bytes: [UInt8]
        let deploy: Deploy
        do throws(StoreError) {
            (bytes, deploy) = try store.loadModule(app.name, slot)
        } catch {
            return launchFailed(app, state.committedVersion, error.message)
        }
        do throws(PrepareFailure) {
            app.instance = try runner.prepare(module: bytes, manifest: deploy.manifest)
        } catch {
            return launchFailed(app, state.committedVersion, error.message)
        }
        app.version = deploy.manifest.version
        app.fuel = fuel(for: deploy.manifest)
        app.state = .running
        app.strikes = 0
        app.wakeAt = 0
        log(app.name, "running v\(app.version)")
        return true
    }

    /// "; v3 was refused: why" when the store remembers a refused version.
    func refusalNote(_ name: String) -> String {
        guard let state = store.state(name), state.refusedVersion != 0 else { return "" }
        return "; v\(state.refusedVersion) was refused: " + state.refusal
    }

    /// Records a turned-down version in the store (a failed write only costs the record).
    func refuse(_ app: LiveApp, version: UInt64, reason: String) {
        app.lastError = reason
        do throws(StoreError) {
            try store.recordRefusal(app.name, version: version, reason: reason)
        } catch {
            log(app.name, "cannot record the refusal of v\(version): " + error.message)
        }
    }

    private func launchFailed(_ app: LiveApp, _ version: UInt64, _ reason: String) -> Bool {
        app.state = .failed
        app.lastError = reason
        log(app.name, "cannot start v\(version): \(reason)")
        return false
    }

    func fuel(for manifest: Manifest) -> UInt64 {
        manifest.fuelSlice == 0 ? config.defaultFuel : UInt64(manifest.fuelSlice)
    }

    // MARK: running

    /// Runs one slice of every app that is due. Returns nanoseconds until an app next
    /// wants to run (0: some app is runnable now), or nil when nothing is scheduled.
    public func runRound() -> UInt64? {
        var next: UInt64? = nil
        func due(_ at: UInt64, _ now: UInt64) {
            let wait = at > now ? at - now : 0
            next = min(next ?? wait, wait)
        }
        for app in apps {
            let now = clock()
            if let restartAt = app.restartAt {
                if now >= restartAt { launch(app) } else { due(restartAt, now) }
                continue
            }
            guard app.state == .running || app.state == .swapping, let instance = app.instance else { continue }
            if now < app.wakeAt {
                // A new module waiting (an edge wait can suspend it for a minute) has
                // passed its health window once the window ends without a failure.
                if let windowEnd = app.swap?.healthWindowEnd(config.healthWindowNanoseconds) {
                    if now >= windowEnd {
                        passHealth(app, why: "health window")
                        continue
                    }
                    due(min(app.wakeAt, windowEnd), now)
                    continue
                }
                due(app.wakeAt, now)
                continue
            }
            if app.swap != nil, app.swap?.startedAt == nil {
                app.swap?.startedAt = now
                if let requested = app.swap?.requestedAt {
                    recordLatency(app.name, now &- requested)
                    log(app.name, "v\(app.version) running; swap latency \((now &- requested) / 1000) us")
                }
                // The version has started: it may never be uploaded again. Written here,
                // after the switch, to keep two fsyncs off the swap latency.
                do throws(StoreError) {
                    try store.raiseFloor(app.name, to: app.version)
                } catch {
                    fail(app, "cannot record the version: " + error.message, restartable: false)
                    continue
                }
            }
            let outcome = instance.run(fuel: app.fuel)
            for line in instance.takeOutput() { log(app.name, line) }
            let after = clock()
            switch outcome {
            case .outOfFuel:
                app.strikes += 1
                if app.strikes >= config.maxStrikes {
                    fail(app, "did not yield in \(app.strikes) consecutive fuel slices", restartable: false)
                    continue
                }
            case .suspended(let ns):
                app.strikes = 0
                app.wakeAt = after &+ ns
            case .ready:
                app.strikes = 0
                if app.swap != nil {
                    passHealth(app, why: "perch_ready")
                    continue
                }
            case .exited(let code):
                if code == 0 && app.swap == nil {
                    instance.discard()
                    app.instance = nil
                    app.state = .stopped
                    log(app.name, "exited")
                } else {
                    fail(app, "exited with code \(code)", restartable: true)
                }
                continue
            case .trapped(let reason):
                fail(app, "trap: " + reason, restartable: true)
                continue
            }
            if var swap = app.swap {
                swap.slicesSurvived += 1
                app.swap = swap
                if swap.slicesSurvived >= config.healthSlices {
                    passHealth(app, why: "\(swap.slicesSurvived) slices")
                    continue
                } else if let windowEnd = swap.healthWindowEnd(config.healthWindowNanoseconds), after >= windowEnd {
                    passHealth(app, why: "health window")
                    continue
                }
            }
            due(app.wakeAt, after)
        }
        return next
    }

    /// The descriptors of the suspended apps' `wakeDescriptors`, for the serve loop's one
    /// poll; `wake(readable:)` afterwards resumes the apps whose descriptors were readable.
    public func wakeDescriptors() -> [Int32] {
        var descriptors: [Int32] = []
        wakeOwners.removeAll(keepingCapacity: true)
        let now = clock()
        for app in apps where app.restartAt == nil && (app.state == .running || app.state == .swapping) && now < app.wakeAt {
            guard let instance = app.instance else { continue }
            let first = descriptors.count
            instance.wakeDescriptors(into: &descriptors)
            for _ in first..<descriptors.count { wakeOwners.append((app, instance)) }
        }
        return descriptors
    }

    /// Resumes (at the next round) the app whose descriptor was at `index` of the last
    /// `wakeDescriptors()`, unless it has since been swapped, stopped or removed.
    public func wake(readable index: Int) {
        guard index >= 0, index < wakeOwners.count else { return }
        let (app, instance) = wakeOwners[index]
        guard app.instance === instance, app.state == .running || app.state == .swapping else { return }
        app.wakeAt = 0
    }

    private func recordLatency(_ app: String, _ ns: UInt64) {
        lastSwapLatency.removeAll { sameBytes($0.app, app) }
        lastSwapLatency.append((app, ns))
    }

    /// A running app failed. A new module under test is swapped back out; a committed one
    /// restarts with backoff (traps) or is stopped (strikes, too many restarts).
    func fail(_ app: LiveApp, _ reason: String, restartable: Bool) {
        app.lastError = reason
        if let swap = app.swap {
            abortSwap(app, swap, reason: reason)
            return
        }
        app.instance?.discard()
        app.instance = nil
        if restartable, app.restarts < config.maxRestarts {
            let delay = config.restartBackoffNanoseconds << UInt64(min(app.restarts, 20))
            app.restarts += 1
            app.restartAt = clock() &+ delay
            log(app.name, "\(reason); restart \(app.restarts) of \(config.maxRestarts) in \(delay / 1_000_000) ms")
        } else {
            app.state = .failed
            log(app.name, "\(reason); stopped")
        }
    }

    /// Puts the old instance back where it paused (or, if it had to give up resources,
    /// starts the committed version afresh) and tells the pusher why.
    func abortSwap(_ app: LiveApp, _ swap: PendingSwap, reason: String) {
        app.swap = nil
        app.instance?.discard()
        app.instance = swap.previousInstance
        app.version = swap.previousVersion
        app.fuel = swap.previousFuel
        app.state = swap.previousInstance == nil ? .failed : swap.previousState
        app.strikes = 0
        app.wakeAt = 0
        refuse(app, version: swap.version, reason: reason)
        let outcome: String
        if swap.previousInstance == nil {
            outcome = store.state(app.name)?.committed == nil ? "no version installed, nothing runs" : "nothing to go back to"
        } else if swap.previousResumable {
            outcome = "v\(swap.previousVersion) resumed"
        } else {
            outcome = launch(app) ? "v\(swap.previousVersion) restarted" : "v\(swap.previousVersion) failed to restart"
        }
        log(app.name, "v\(swap.version) failed its health window (\(reason)); " + outcome)
        if let to = swap.replyTo {
            send(to.session, to.sequence, .error(code: .healthCheckFailed, reason: "v\(swap.version): \(reason)"))
        }
    }

    func passHealth(_ app: LiveApp, why: String) {
        guard let swap = app.swap else { return }
        do throws(StoreError) {
            try store.commit(app.name, slot: swap.slot, version: swap.version)
        } catch {
            abortSwap(app, swap, reason: "commit failed: " + error.message)
            return
        }
        app.swap = nil
        swap.previousInstance?.discard()
        app.state = .running
        app.restarts = 0
        app.lastError = ""
        let latency = lastSwapLatency.first { sameBytes($0.app, app.name) }?.nanoseconds ?? 0
        log(app.name, "v\(swap.version) committed (\(why)); swap latency \(latency / 1000) us")
        if let to = swap.replyTo {
            send(to.session, to.sequence, .swapResult(
                version: swap.version,
                note: "v\(swap.version) running and committed after \(why); swap latency \(latency / 1000) us"))
        }
    }

    // MARK: link messages

    /// A link session ended: forget its upload binding (the partial upload stays on disk).
    public func sessionClosed(_ session: Int) {
        for binding in sessionUploads where binding.session == session { store.abandonUpload(binding.app) }
        sessionUploads.removeAll { $0.session == session }
        for app in apps {
            if let to = app.swap?.replyTo, to.session == session { app.swap?.replyTo = nil }
        }
    }

    /// Answers one request. Most replies are sent at once; a commit's reply is sent when
    /// the health window ends.
    public func handle(_ message: Message, session: Int, sequence: UInt16) {
        let reply = { (m: Message) in self.send(session, sequence, m) }
        switch message {
        case .hello:
            reply(.helloReply(perchVersion: String(decoding: UnsafeRawBufferPointer(start: perchVersion.utf8Start, count: perchVersion.utf8CodeUnitCount), as: UTF8.self), maxPayload: UInt16(Frame.maxPayload), device: config.deviceName))
        case .uploadBegin(let manifestBytes, let signature):
            switch beginUpload(manifestBytes, signature, session: session) {
            case .success(let offset): reply(.uploadAccepted(offset: UInt32(truncatingIfNeeded: offset)))
            case .failure(let e): reply(.error(code: e.code, reason: e.reason))
            }
        case .chunk(let offset, let data):
            guard let app = sessionUploads.first(where: { $0.session == session })?.app,
                let upload = store.upload(app)
            else {
                reply(.error(code: .noUpload, reason: "send upload-begin on this connection first"))
                return
            }
            // A repeated or skipped chunk is answered with where the store is, so the
            // sender resynchronises instead of failing.
            guard UInt(offset) == UInt(upload.received) else {
                reply(.chunkAck(nextOffset: UInt32(truncatingIfNeeded: upload.received)))
                return
            }
            do throws(StoreError) {
                let next = try store.writeChunk(app, offset: Int(offset), data)
                reply(.chunkAck(nextOffset: UInt32(truncatingIfNeeded: next)))
            } catch {
                if case .tooLarge = error {
                    reply(.error(code: .moduleTooLarge, reason: error.message))
                } else {
                    reply(.error(code: .storageFailed, reason: error.message))
                }
            }
        case .resumeQuery(let app, let version, let hash):
            reply(.resumeOffset(UInt32(truncatingIfNeeded: resumeOffset(app, version, hash))))
        case .commit(let app):
            if let e = beginSwap(app, session: session, sequence: sequence) {
                reply(.error(code: e.code, reason: e.reason))
            }
        case .status(let app):
            reply(.statusReply(status(app: app)))
        case .logs(let app, let since):
            let (next, text) = logs(app: app, since: since)
            reply(.logsReply(next: next, text: text))
        case .stop(let app), .start(let app), .rollback(let app), .remove(let app):
            switch control(message, app) {
            case .success(let text): reply(.done(text))
            case .failure(let e): reply(.error(code: e.code, reason: e.reason))
            }
        case .helloReply, .uploadAccepted, .chunkAck, .resumeOffset, .swapResult, .statusReply,
            .logsReply, .done, .error:
            reply(.error(code: .unknownMessage, reason: "a reply is not a request"))
        }
    }

    public struct Refusal: Error {
        public let code: LinkErrorCode
        public let reason: String
        init(_ code: LinkErrorCode, _ reason: String) {
            self.code = code
            self.reason = reason
        }
    }

    /// Checks a deployment before a byte of its module is stored: canonical manifest,
    /// signature by a trusted key, version newer than anything this app has run.
    public func verify(_ manifestBytes: [UInt8], _ signature: [UInt8]) -> Result<Manifest, Refusal> {
        let manifest: Manifest
        do throws(DecodeError) {
            manifest = try Manifest.decode(manifestBytes)
        } catch {
            return .failure(Refusal(.manifestInvalid, error.message))
        }
        guard !trustedKeys.isEmpty else {
            return .failure(Refusal(.untrustedSignature, "this device trusts no keys (serve --trust KEYFILE)"))
        }
        guard Ed25519.start() else {
            return .failure(Refusal(.untrustedSignature, "cannot check signatures: " + Ed25519.unavailableMessage))
        }
        guard trustedKeys.contains(where: { Ed25519.verify(signature: signature, message: manifestBytes, publicKey: $0) }) else {
            return .failure(Refusal(.untrustedSignature, "signature does not verify with any trusted key"))
        }
        if let state = store.state(manifest.app) {
            let newest = max(state.floor, state.committedVersion)
            guard manifest.version > newest else {
                return .failure(Refusal(.replayedVersion, "v\(manifest.version) is not newer than v\(newest) of '\(manifest.app)'"))
            }
        }
        return .success(manifest)
    }

    func beginUpload(_ manifestBytes: [UInt8], _ signature: [UInt8], session: Int) -> Result<Int, Refusal> {
        let manifest: Manifest
        switch verify(manifestBytes, signature) {
        case .success(let m): manifest = m
        case .failure(let e): return .failure(e)
        }
        if let live = liveApp(manifest.app), live.swap != nil {
            return .failure(Refusal(.busy, "'\(manifest.app)' is in the middle of a swap"))
        }
        if let other = sessionUploads.first(where: { sameBytes($0.app, manifest.app) && $0.session != session }) {
            sessionUploads.removeAll { $0.session == other.session }
        }
        do throws(StoreError) {
            let offset = try store.beginUpload(Deploy(manifestBytes: manifestBytes, signature: signature, manifest: manifest))
            sessionUploads.removeAll { $0.session == session }
            sessionUploads.append((session, manifest.app))
            log(manifest.app, "receiving v\(manifest.version) (\(manifest.moduleSize) bytes) from offset \(offset)")
            return .success(offset)
        } catch {
            return .failure(Refusal(.storageFailed, error.message))
        }
    }

    func resumeOffset(_ app: String, _ version: UInt64, _ hash: [UInt8]) -> Int {
        if let upload = store.upload(app), upload.deploy.manifest.version == version, upload.deploy.manifest.moduleSHA256 == hash {
            return upload.received
        }
        let spare = store.state(app)?.committed?.other ?? .a
        guard let deploy = store.deploy(app, spare), deploy.manifest.version == version,
            deploy.manifest.moduleSHA256 == hash
        else { return 0 }
        return min(store.files.size(store.path(app, spare, ".wasm")) ?? 0, deploy.manifest.moduleByteCount)
    }

    /// Steps 2-5 of the swap; the health window (runRound) does the rest. Nil when the new
    /// instance is in place; a refusal leaves the running app untouched.
    func beginSwap(_ name: String, session: Int, sequence: UInt16) -> Refusal? {
        let requestedAt = clock()
        guard sessionUploads.contains(where: { $0.session == session && sameBytes($0.app, name) }) else {
            return Refusal(.noUpload, "no upload of '\(name)' on this connection")
        }
        let app = liveAppCreating(name)
        if app.swap != nil { return Refusal(.busy, "'\(name)' is already swapping") }
        let slot: Slot
        let deploy: Deploy
        do throws(StoreError) {
            (slot, deploy) = try store.finishUpload(name)
        } catch {
            switch error {
            case .sizeMismatch, .hashMismatch: return Refusal(.hashMismatch, error.message)
            default: return Refusal(.storageFailed, error.message)
            }
        }
        let bytes: [UInt8]
        do throws(StoreError) {
            bytes = try store.loadModule(name, slot).bytes
        } catch {
            return Refusal(.storageFailed, error.message)
        }
        let instance: any AppInstance
        do throws(PrepareFailure) {
            instance = try runner.prepare(module: bytes, manifest: deploy.manifest)
        } catch {
            refuse(app, version: deploy.manifest.version, reason: error.message)
            if app.instance == nil && store.state(name)?.committed == nil {
                // A first install that cannot even start: nothing runs, the app is failed.
                app.state = .failed
                log(name, "v\(deploy.manifest.version) rejected: \(error.message); no version installed, nothing runs")
            } else {
                log(name, "v\(deploy.manifest.version) rejected: \(error.message)")
            }
            switch error {
            case .invalidModule(let m): return Refusal(.invalidModule, m)
            case .instantiateFailed(let m): return Refusal(.instantiateFailed, m)
            }
        }
        sessionUploads.removeAll { $0.session == session }
        // Between slices the old instance is at a fuel boundary: the safe point.
        if let old = app.instance, let saved = old.saveState() {
            let restored = instance.restoreState(saved)
            log(name, "handed \(saved.count) bytes of state to v\(deploy.manifest.version)" + (restored ? "" : " (perch_restore refused it)"))
        }
        let resumable = app.instance?.pauseForSwap() ?? false
        app.swap = PendingSwap(
            previousInstance: app.instance, previousVersion: app.version, previousState: app.state,
            previousFuel: app.fuel, previousResumable: resumable, slot: slot, version: deploy.manifest.version,
            replyTo: (session, sequence), requestedAt: requestedAt)
        app.instance = instance
        app.version = deploy.manifest.version
        app.fuel = fuel(for: deploy.manifest)
        app.state = .swapping
        app.strikes = 0
        app.wakeAt = 0
        app.restartAt = nil
        log(name, "swapping to v\(deploy.manifest.version); health window open")
        return nil
    }

    func control(_ message: Message, _ name: String) -> Result<String, Refusal> {
        guard store.state(name) != nil else { return .failure(Refusal(.unknownApp, "no app named '\(name)'")) }
        let app = liveAppCreating(name)
        do throws(StoreError) {
            switch message {
            case .stop:
                if let swap = app.swap { abortSwap(app, swap, reason: "stopped by operator") }
                try store.setEnabled(name, false)
                app.instance?.discard()
                app.instance = nil
                app.restartAt = nil
                app.state = .stopped
                log(name, "stopped")
                return .success("stopped \(name)")
            case .start:
                if store.state(name)?.committed == nil {
                    return .failure(Refusal(.notInstalled, "'\(name)' has no version installed" + refusalNote(name)))
                }
                try store.setEnabled(name, true)
                if app.state == .running || app.state == .swapping { return .success("\(name) is already running") }
                app.restarts = 0
                guard launch(app) else { return .failure(Refusal(.instantiateFailed, app.lastError)) }
                return .success("started \(name) v\(app.version)")
            case .rollback:
                if let swap = app.swap {
                    abortSwap(app, swap, reason: "rolled back by operator")
                    return .success("\(name): swap to v\(swap.version) abandoned, v\(app.version) running")
                }
                let version = try store.rollback(name)
                app.restarts = 0
                launch(app)
                return .success("\(name) rolled back to v\(version)")
            case .remove:
                if let swap = app.swap { abortSwap(app, swap, reason: "removed by operator") }
                try store.remove(name)
                app.instance?.discard()
                apps.removeAll { sameBytes($0.name, name) }
                sessionUploads.removeAll { sameBytes($0.app, name) }
                log(name, "removed")
                return .success("removed \(name)")
            default:
                return .failure(Refusal(.unknownMessage, "not a control message"))
            }
        } catch {
            if case .nothingToRollBack = error { return .failure(Refusal(.nothingToRollBack, error.message)) }
            return .failure(Refusal(.storageFailed, error.message))
        }
    }
}
