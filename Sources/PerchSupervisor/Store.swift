import PerchLink

/// One of an app's two module slots: one holds the committed module, the other (the
/// spare) receives uploads and, after a commit, keeps the previous version for rollback.
public enum Slot: UInt8, Sendable {
    case a = 1
    case b = 2

    public var other: Slot { self == .a ? .b : .a }
    public var name: String { self == .a ? "a" : "b" }
}

/// What the store remembers about an app across restarts.
public struct AppState: Sendable {
    public var committed: Slot?
    public var committedVersion: UInt64 = 0
    /// The slot holding the version before the committed one, while it is intact.
    public var previous: Slot?
    public var previousVersion: UInt64 = 0
    /// Highest version ever started or committed: an upload must exceed it (replay guard).
    public var floor: UInt64 = 0
    /// False after `perch stop`: the app stays installed but does not run.
    public var enabled = true
    /// The newest version turned down (rejected before it ran, or swapped back out) and
    /// why, kept until a newer version commits, so `perch status` can say it after a
    /// restart too. 0: none.
    public var refusedVersion: UInt64 = 0
    public var refusal = ""

    public init() {}

    static let magic: [UInt8] = [0x50, 0x53, 0x54, 0x32]  // "PST2"
    /// Refusal reasons are cut to this many bytes (the state file stays one small write).
    static let maxRefusalBytes = 200
    static let fixedSize = 4 + 1 + 8 + 1 + 8 + 8 + 1 + 8 + 1 + 4
    /// The layout before refusals were kept ("PST1": no refused version or reason). Still
    /// read, so a device whose perch is upgraded keeps its apps and their replay floors;
    /// its next change is written as PST2.
    static let magicV1: [UInt8] = [0x50, 0x53, 0x54, 0x31]
    static let sizeV1 = 4 + 1 + 8 + 1 + 8 + 8 + 1 + 4

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: AppState.fixedSize + AppState.maxRefusalBytes)
        w.raw(AppState.magic)
        w.u8(committed?.rawValue ?? 0)
        w.u64(committedVersion)
        w.u8(previous?.rawValue ?? 0)
        w.u64(previousVersion)
        w.u64(floor)
        w.u8(enabled ? 1 : 0)
        w.u64(refusedVersion)
        w.shortString(String(decoding: refusal.utf8.prefix(AppState.maxRefusalBytes), as: UTF8.self))
        w.u32(CRC32.checksum(w.bytes))
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) -> AppState? {
        let isV1 = bytes.count == sizeV1
        guard isV1 || (bytes.count >= fixedSize && bytes.count <= fixedSize + maxRefusalBytes + 3) else { return nil }
        let body = Array(bytes[0..<(bytes.count - 4)])
        let result: AppState? = bytes.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            do throws(DecodeError) {
                guard try r.raw(4, "magic").elementsEqual(isV1 ? magicV1 : magic) else { return nil }
                var s = AppState()
                let c = try r.u8("slot")
                s.committed = Slot(rawValue: c)
                s.committedVersion = try r.u64("version")
                let p = try r.u8("slot")
                s.previous = Slot(rawValue: p)
                s.previousVersion = try r.u64("version")
                s.floor = try r.u64("floor")
                s.enabled = try r.u8("enabled") != 0
                if !isV1 {
                    s.refusedVersion = try r.u64("refused version")
                    s.refusal = try r.shortString("refusal")
                }
                guard try r.u32("crc") == CRC32.checksum(body), c <= 2, p <= 2 else { return nil }
                try r.expectEnd("state end")
                return s
            } catch {
                return nil
            }
        }
        return result
    }
}

public enum StoreError: Error {
    case io(StoreIOError)
    case unknownApp(String)
    case noUpload(String)
    case wrongOffset(expected: Int, got: Int)
    case tooLarge(limit: Int)
    case sizeMismatch(expected: Int, got: Int)
    case hashMismatch
    case nothingToRollBack(String)
    case corrupt(app: String, what: StaticString)

    public var message: String {
        switch self {
        case .io(let e): return e.message
        case .unknownApp(let app): return "no app named '\(app)'"
        case .noUpload(let app): return "no upload in progress for '\(app)'"
        case .wrongOffset(let expected, let got): return "chunk at offset \(got), expected \(expected)"
        case .tooLarge(let limit): return "chunk goes past the module size of \(limit) bytes"
        case .sizeMismatch(let expected, let got): return "module is \(got) bytes, manifest says \(expected)"
        case .hashMismatch: return "module SHA-256 does not match the manifest"
        case .nothingToRollBack(let app): return "'\(app)' has no previous version"
        case .corrupt(let app, let what): return "store for '\(app)' is damaged: \(what)"
        }
    }
}

/// A signed deployment as received: the manifest's canonical bytes and the signature over
/// them. Stored beside the module exactly as sent, so it can be re-checked after a restart.
public struct Deploy: Sendable {
    public var manifestBytes: [UInt8]
    public var signature: [UInt8]
    public var manifest: Manifest

    public init(manifestBytes: [UInt8], signature: [UInt8], manifest: Manifest) {
        self.manifestBytes = manifestBytes
        self.signature = signature
        self.manifest = manifest
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: manifestBytes.count + 66)
        w.u16(UInt16(truncatingIfNeeded: manifestBytes.count))
        w.raw(manifestBytes)
        w.raw(signature)
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) -> Deploy? {
        bytes.withUnsafeBytes { raw -> Deploy? in
            var r = ByteReader(raw)
            do throws(DecodeError) {
                let n = Int(try r.u16("manifest length"))
                let m = try r.array(n, "manifest")
                let sig = try r.array(Ed25519.signatureSize, "signature")
                try r.expectEnd("end")
                return Deploy(manifestBytes: m, signature: sig, manifest: try Manifest.decode(m))
            } catch {
                return nil
            }
        }
    }
}

/// The on-disk module store.
///
/// ```
/// ROOT/apps/NAME/state       AppState, replaced atomically (temp, fsync, rename, fsync dir)
/// ROOT/apps/NAME/a.deploy    manifest + signature of the module in slot a
/// ROOT/apps/NAME/a.wasm      module bytes of slot a     (b.deploy, b.wasm: slot b)
/// ```
/// Crash safety rests on one rule: `state` only ever names slots whose files are complete
/// and synced, and a slot named as committed is never written. Uploads go to the other
/// slot; the commit is the atomic replacement of `state`. So a power cut at any byte leaves
/// either the old state (old module) or the new one (new module), never neither.
public final class Store {
    public let root: String
    let files: any StoreFiles
    private var states: [(app: String, state: AppState)] = []
    private var uploads: [(app: String, upload: Upload)] = []

    struct Upload {
        var slot: Slot
        var deploy: Deploy
        var received: Int
    }

    public init(root: String, files: any StoreFiles) throws(StoreError) {
        self.root = root
        self.files = files
        do throws(StoreIOError) {
            try files.makeDirectory(root)
            try files.makeDirectory(appsDirectory)
            // A new directory's entry is durable only once its parent is synced.
            try files.syncDirectory(Store.parentDirectory(root))
            try files.syncDirectory(root)
            for name in try files.list(appsDirectory) where Manifest.isValidAppName(name) {
                if let state = loadState(name) { states.append((name, state)) }
            }
        } catch {
            throw .io(error)
        }
    }

    var appsDirectory: String { root + "/apps" }

    /// "/var/lib/perch" -> "/var/lib", "store" -> ".", "/store" -> "/".
    static func parentDirectory(_ path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == 0 ? "/" : String(decoding: bytes[..<slash], as: UTF8.self)
    }
    func directory(_ app: String) -> String { appsDirectory + "/" + app }
    func path(_ app: String, _ slot: Slot, _ suffix: String) -> String { directory(app) + "/" + slot.name + suffix }

    /// Installed apps (those with a state file), in name order.
    public var apps: [String] {
        var names = states.map { $0.app }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return names
    }

    public func state(_ app: String) -> AppState? {
        states.first { sameBytes($0.app, app) }?.state
    }

    private func loadState(_ app: String) -> AppState? {
        guard let bytes = try? readSmall(directory(app) + "/state") else { return nil }
        return AppState.decode(bytes)
    }

    private func readSmall(_ path: String) throws(StoreIOError) -> [UInt8]? {
        guard let n = files.size(path), n <= 4096 else { return nil }
        var bytes = [UInt8](repeating: 0, count: n)
        var failure: StoreIOError?
        var got = 0
        bytes.withUnsafeMutableBytes { buffer in
            do throws(StoreIOError) { got = try files.read(path, at: 0, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return got == n ? bytes : nil
    }

    /// Writes `bytes` to `path` so that after a crash the file holds either its old
    /// content or all of `bytes`.
    private func replaceAtomically(_ path: String, in dir: String, _ bytes: [UInt8]) throws(StoreIOError) {
        let temp = path + ".tmp"
        var failure: StoreIOError?
        bytes.withUnsafeBytes { raw in
            do throws(StoreIOError) { try files.write(temp, at: 0, raw, truncate: true, sync: true) } catch { failure = error }
        }
        if let failure { throw failure }
        try files.rename(temp, to: path)
        try files.syncDirectory(dir)
    }

    private func saveState(_ app: String, _ state: AppState) throws(StoreError) {
        do throws(StoreIOError) {
            try replaceAtomically(directory(app) + "/state", in: directory(app), state.encoded())
        } catch {
            throw .io(error)
        }
        if let i = states.firstIndex(where: { sameBytes($0.app, app) }) {
            states[i].state = state
        } else {
            states.append((app, state))
        }
    }

    public func deploy(_ app: String, _ slot: Slot) -> Deploy? {
        guard let bytes = try? readSmall(path(app, slot, ".deploy")) else { return nil }
        return Deploy.decode(bytes)
    }

    // MARK: uploads

    /// Starts (or resumes) receiving `deploy`'s module into the app's spare slot; returns
    /// the offset the sender should continue from. The caller has verified the signature
    /// and the version. Resuming happens when the spare slot already holds this exact
    /// deployment: the bytes on disk are kept.
    public func beginUpload(_ deploy: Deploy) throws(StoreError) -> Int {
        let app = deploy.manifest.app
        var state = self.state(app) ?? AppState()
        let slot = state.committed?.other ?? .a
        do throws(StoreIOError) {
            try files.makeDirectory(directory(app))
            if self.state(app) == nil { try files.syncDirectory(appsDirectory) }
        } catch {
            throw .io(error)
        }
        // The spare slot is about to change: it no longer holds a version to roll back to.
        if state.previous == slot {
            state.previous = nil
            state.previousVersion = 0
            try saveState(app, state)
        } else if self.state(app) == nil {
            try saveState(app, state)
        }
        let encoded = deploy.encoded()
        var offset = 0
        if let existing = try? readSmall(path(app, slot, ".deploy")), existing == encoded {
            offset = min(files.size(path(app, slot, ".wasm")) ?? 0, deploy.manifest.moduleByteCount)
        } else {
            do throws(StoreIOError) {
                try files.remove(path(app, slot, ".deploy"), directory: false)
                try files.write(path(app, slot, ".wasm"), at: 0, UnsafeRawBufferPointer(start: nil, count: 0), truncate: true, sync: false)
                try replaceAtomically(path(app, slot, ".deploy"), in: directory(app), encoded)
            } catch {
                throw .io(error)
            }
        }
        uploads.removeAll { sameBytes($0.app, app) }
        uploads.append((app, Upload(slot: slot, deploy: deploy, received: offset)))
        return offset
    }

    /// The upload in progress for `app`: its deployment and the bytes received so far.
    public func upload(_ app: String) -> (deploy: Deploy, received: Int, slot: Slot)? {
        guard let u = uploads.first(where: { sameBytes($0.app, app) })?.upload else { return nil }
        return (u.deploy, u.received, u.slot)
    }

    /// Appends a chunk at `offset`, which must be where the last one ended. Returns the
    /// next offset. Not synced: a crash loses the tail, and resuming re-sends it.
    public func writeChunk(_ app: String, offset: Int, _ data: UnsafeRawBufferPointer) throws(StoreError) -> Int {
        guard let i = uploads.firstIndex(where: { sameBytes($0.app, app) }) else { throw .noUpload(app) }
        let u = uploads[i].upload
        guard offset == u.received else { throw .wrongOffset(expected: u.received, got: offset) }
        let limit = u.deploy.manifest.moduleByteCount
        guard data.count <= limit - offset else { throw .tooLarge(limit: limit) }
        do throws(StoreIOError) {
            try files.write(path(app, u.slot, ".wasm"), at: offset, data, truncate: true, sync: false)
        } catch {
            throw .io(error)
        }
        uploads[i].upload.received = offset + data.count
        return offset + data.count
    }

    /// Checks the received module against its manifest (size and SHA-256 of the bytes as
    /// they are on disk) and syncs it. The upload stays open until `commit` or `abandon`.
    public func finishUpload(_ app: String) throws(StoreError) -> (slot: Slot, deploy: Deploy) {
        guard let u = upload(app) else { throw .noUpload(app) }
        let modulePath = path(app, u.slot, ".wasm")
        let expected = u.deploy.manifest.moduleByteCount
        let size = files.size(modulePath) ?? 0
        guard size == expected else { throw .sizeMismatch(expected: expected, got: size) }
        let digest = try hashFile(modulePath, size: size)
        guard digest == u.deploy.manifest.moduleSHA256 else {
            // Bad bytes: start the next attempt from zero.
            do throws(StoreIOError) {
                try files.write(modulePath, at: 0, UnsafeRawBufferPointer(start: nil, count: 0), truncate: true, sync: false)
            } catch {
                throw .io(error)
            }
            if let i = uploads.firstIndex(where: { sameBytes($0.app, app) }) { uploads[i].upload.received = 0 }
            throw .hashMismatch
        }
        do throws(StoreIOError) {
            try files.sync(modulePath)
            try files.syncDirectory(directory(app))
        } catch {
            throw .io(error)
        }
        return (u.slot, u.deploy)
    }

    func hashFile(_ path: String, size: Int) throws(StoreError) -> [UInt8] {
        var hasher = SHA256()
        var block = [UInt8](repeating: 0, count: 4096)
        var offset = 0
        var failure: StoreIOError?
        while offset < size, failure == nil {
            block.withUnsafeMutableBytes { buffer in
                do throws(StoreIOError) {
                    let n = try files.read(path, at: offset, into: buffer)
                    if n == 0 { failure = StoreIOError("read", path, errno: 5); return }
                    hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<min(n, size - offset)]))
                    offset += n
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw .io(failure) }
        return hasher.finalize()
    }

    /// Records that `version` is being started, so it can never be uploaded again.
    public func raiseFloor(_ app: String, to version: UInt64) throws(StoreError) {
        var state = self.state(app) ?? AppState()
        guard version > state.floor else { return }
        state.floor = version
        try saveState(app, state)
    }

    /// Makes the finished upload in `slot` the committed version; the old committed slot
    /// becomes the rollback target. One atomic state write.
    public func commit(_ app: String, slot: Slot, version: UInt64) throws(StoreError) {
        var state = self.state(app) ?? AppState()
        if let old = state.committed, old != slot {
            state.previous = old
            state.previousVersion = state.committedVersion
        }
        state.committed = slot
        state.committedVersion = version
        state.floor = max(state.floor, version)
        state.enabled = true
        if state.refusedVersion <= version {
            state.refusedVersion = 0
            state.refusal = ""
        }
        try saveState(app, state)
        uploads.removeAll { sameBytes($0.app, app) }
    }

    /// Remembers that `version` was turned down and why (see `AppState.refusedVersion`).
    public func recordRefusal(_ app: String, version: UInt64, reason: String) throws(StoreError) {
        guard var state = self.state(app), version >= state.refusedVersion else { return }
        state.refusedVersion = version
        state.refusal = reason
        try saveState(app, state)
    }

    /// Drops the in-memory upload (the partial file stays for a later resume).
    public func abandonUpload(_ app: String) {
        uploads.removeAll { sameBytes($0.app, app) }
    }

    /// Makes the previous version the committed one (the failed one stays as the spare).
    public func rollback(_ app: String) throws(StoreError) -> UInt64 {
        guard var state = self.state(app) else { throw .unknownApp(app) }
        guard let previous = state.previous, state.committed != nil else { throw .nothingToRollBack(app) }
        state.committed = previous
        state.committedVersion = state.previousVersion
        state.previous = nil
        state.previousVersion = 0
        try saveState(app, state)
        uploads.removeAll { sameBytes($0.app, app) }
        return state.committedVersion
    }

    public func setEnabled(_ app: String, _ enabled: Bool) throws(StoreError) {
        guard var state = self.state(app) else { throw .unknownApp(app) }
        state.enabled = enabled
        try saveState(app, state)
    }

    /// Deletes an app. The state file goes first, so a crash midway leaves an app that is
    /// simply not installed; leftover slot files are removed on the next attempt.
    public func remove(_ app: String) throws(StoreError) {
        guard state(app) != nil else { throw .unknownApp(app) }
        let dir = directory(app)
        do throws(StoreIOError) {
            try files.remove(dir + "/state", directory: false)
            try files.syncDirectory(dir)
            for name in try files.list(dir) { try files.remove(dir + "/" + name, directory: false) }
            try files.remove(dir, directory: true)
            try files.syncDirectory(appsDirectory)
        } catch {
            throw .io(error)
        }
        states.removeAll { sameBytes($0.app, app) }
        uploads.removeAll { sameBytes($0.app, app) }
    }

    /// Reads the module of `slot`, re-checking its SHA-256 against the stored manifest (a
    /// flash bit flip is caught here, not by the interpreter).
    public func loadModule(_ app: String, _ slot: Slot) throws(StoreError) -> (bytes: [UInt8], deploy: Deploy) {
        guard let deploy = deploy(app, slot) else { throw .corrupt(app: app, what: "slot manifest missing") }
        let modulePath = path(app, slot, ".wasm")
        let size = deploy.manifest.moduleByteCount
        guard files.size(modulePath) == size else { throw .corrupt(app: app, what: "module size differs from its manifest") }
        var bytes = [UInt8](repeating: 0, count: size)
        var failure: StoreIOError?
        var got = 0
        bytes.withUnsafeMutableBytes { buffer in
            do throws(StoreIOError) { got = try files.read(modulePath, at: 0, into: buffer) } catch { failure = error }
        }
        if let failure { throw .io(failure) }
        guard got == size, SHA256.hash(bytes) == deploy.manifest.moduleSHA256 else {
            throw .corrupt(app: app, what: "module SHA-256 differs from its manifest")
        }
        return (bytes, deploy)
    }
}
