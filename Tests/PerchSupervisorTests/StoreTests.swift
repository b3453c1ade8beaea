import Foundation
import Testing
@testable import PerchLink
@testable import PerchSupervisor

/// Wraps the real files with a budget: each operation costs 1, each written byte costs 1.
/// When the budget runs out mid-write only a prefix reaches the file, and from then on
/// every operation fails, as if the process had been killed at that byte. With
/// `noSpaceAfter`, writes beyond that many bytes fail with ENOSPC instead (disk full).
final class FaultyFiles: StoreFiles {
    let real = PosixStoreFiles()
    var budget: Int
    var crashed = false
    var noSpaceAfter: Int?
    var written = 0
    /// fsync costs real time and means nothing for a simulated kill (the page cache
    /// survives it), so the kill tests turn it off.
    let syncs: Bool

    init(budget: Int = .max, noSpaceAfter: Int? = nil, syncs: Bool = true) {
        self.budget = budget
        self.noSpaceAfter = noSpaceAfter
        self.syncs = syncs
    }

    private func step(_ op: StaticString, _ path: String) throws(StoreIOError) {
        if crashed || budget <= 0 { crashed = true; throw StoreIOError(op, path, errno: 5) }
        budget -= 1
    }

    func makeDirectory(_ path: String) throws(StoreIOError) { try step("mkdir", path); try real.makeDirectory(path) }
    func list(_ directory: String) throws(StoreIOError) -> [String] { try step("list", directory); return try real.list(directory) }
    func size(_ path: String) -> Int? { crashed ? nil : real.size(path) }
    func read(_ path: String, at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StoreIOError) -> Int {
        try step("read", path)
        return try real.read(path, at: offset, into: buffer)
    }
    func write(_ path: String, at offset: Int, _ bytes: UnsafeRawBufferPointer, truncate: Bool, sync: Bool) throws(StoreIOError) {
        try step("write", path)
        if let limit = noSpaceAfter, written + bytes.count > limit {
            throw StoreIOError("write", path, errno: 28)
        }
        if bytes.count > budget {
            try real.write(path, at: offset, UnsafeRawBufferPointer(rebasing: bytes[0..<budget]), truncate: truncate, sync: false)
            crashed = true
            throw StoreIOError("write", path, errno: 5)
        }
        budget -= bytes.count
        written += bytes.count
        try real.write(path, at: offset, bytes, truncate: truncate, sync: sync && syncs)
    }
    func sync(_ path: String) throws(StoreIOError) { try step("fsync", path); if syncs { try real.sync(path) } }
    func syncDirectory(_ directory: String) throws(StoreIOError) {
        try step("fsync dir", directory)
        if syncs { try real.syncDirectory(directory) }
    }
    func rename(_ from: String, to: String) throws(StoreIOError) { try step("rename", from); try real.rename(from, to: to) }
    func remove(_ path: String, directory: Bool) throws(StoreIOError) { try step("remove", path); try real.remove(path, directory: directory) }
}

/// Uploads a module in `chunk`-byte pieces and commits it.
func upload(_ store: Store, _ d: (module: [UInt8], deploy: Deploy), chunk: Int = 1000) throws(StoreError) {
    var offset = try store.beginUpload(d.deploy)
    while offset < d.module.count {
        let end = min(d.module.count, offset + chunk)
        let piece = Array(d.module[offset..<end])
        var failure: StoreError?
        piece.withUnsafeBytes { raw in
            do throws(StoreError) { offset = try store.writeChunk(d.deploy.manifest.app, offset: offset, raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }
    let (slot, deploy) = try store.finishUpload(d.deploy.manifest.app)
    try store.raiseFloor(deploy.manifest.app, to: deploy.manifest.version)
    try store.commit(deploy.manifest.app, slot: slot, version: deploy.manifest.version)
}

@Suite struct StoreTests {
    @Test func commitSurvivesRestartAndRollbackSwitchesSlots() throws {
        let dir = try TempDirectory()
        let v1 = makeDeploy(version: 1, seed: 1)
        let v2 = makeDeploy(version: 2, seed: 2)
        do {
            let store = try Store(root: dir.path, files: PosixStoreFiles())
            try upload(store, v1)
            try upload(store, v2)
        }
        let store = try Store(root: dir.path, files: PosixStoreFiles())
        #expect(store.apps == ["blinky"])
        let state = try #require(store.state("blinky"))
        #expect(state.committedVersion == 2 && state.previousVersion == 1 && state.floor == 2)
        #expect(try store.loadModule("blinky", state.committed!).bytes == v2.module)
        #expect(try store.rollback("blinky") == 1)
        let again = try Store(root: dir.path, files: PosixStoreFiles())
        let back = try #require(again.state("blinky"))
        #expect(back.committedVersion == 1 && back.previous == nil && back.floor == 2)
        #expect(try again.loadModule("blinky", back.committed!).bytes == v1.module)
        #expect(throws: StoreError.self) { try again.rollback("blinky") }
    }

    @Test func uploadResumesAfterRestartFromWhatIsOnDisk() throws {
        let dir = try TempDirectory()
        let v1 = makeDeploy(version: 1, size: 4000)
        do {
            let store = try Store(root: dir.path, files: PosixStoreFiles())
            #expect(try store.beginUpload(v1.deploy) == 0)
            _ = try Array(v1.module[0..<1500]).withUnsafeBytes { try store.writeChunk("blinky", offset: 0, $0) }
            // A chunk at the wrong offset is refused and says where to continue.
            do {
                _ = try [1, 2, 3].withUnsafeBytes { try store.writeChunk("blinky", offset: 2000, $0) }
                Issue.record("expected wrongOffset")
            } catch let error as StoreError {
                if case .wrongOffset(let expected, let got) = error { #expect(expected == 1500 && got == 2000) } else { Issue.record("\(error.message)") }
            }
        }
        let store = try Store(root: dir.path, files: PosixStoreFiles())
        #expect(try store.beginUpload(v1.deploy) == 1500)
        _ = try Array(v1.module[1500...]).withUnsafeBytes { try store.writeChunk("blinky", offset: 1500, $0) }
        let (slot, _) = try store.finishUpload("blinky")
        try store.commit("blinky", slot: slot, version: 1)
        #expect(try store.loadModule("blinky", slot).bytes == v1.module)
        // A different deployment for the spare slot starts from zero.
        let v2 = makeDeploy(version: 2, size: 4000, seed: 9)
        #expect(try store.beginUpload(v2.deploy) == 0)
    }

    @Test func tamperedBytesFailTheHashAndRestartTheUpload() throws {
        let dir = try TempDirectory()
        let v1 = makeDeploy(version: 1, size: 3000)
        let store = try Store(root: dir.path, files: PosixStoreFiles())
        _ = try store.beginUpload(v1.deploy)
        var bad = v1.module
        bad[1234] ^= 0x40
        _ = try bad.withUnsafeBytes { try store.writeChunk("blinky", offset: 0, $0) }
        #expect(throws: StoreError.self) { try store.finishUpload("blinky") }
        #expect(store.upload("blinky")?.received == 0)
        #expect(store.state("blinky")?.committed == nil)
    }

    /// Kill the writer at every few bytes of upload + commit of v2 over a committed v1:
    /// after reopening, the app always has a complete, hash-correct module, v1 or v2.
    @Test func crashAtAnyPointLeavesARunnableModule() throws {
        let v1 = makeDeploy(version: 1, size: 2500, seed: 1)
        let v2 = makeDeploy(version: 2, size: 2500, seed: 2)
        let probe = try TempDirectory()
        let counter = FaultyFiles(syncs: false)
        do {
            let s = try Store(root: probe.path, files: FaultyFiles(syncs: false))
            try upload(s, v1, chunk: 700)
        }
        let total: Int
        do {
            let s = try Store(root: probe.path, files: counter)
            try upload(s, v2, chunk: 700)
            total = Int.max - counter.budget
        }
        var sawOld = 0, sawNew = 0
        var budget = 0
        while budget <= total {
            let dir = try TempDirectory()
            do {
                let s = try Store(root: dir.path, files: FaultyFiles(syncs: false))
                try upload(s, v1, chunk: 700)
            }
            let faulty = FaultyFiles(budget: budget, syncs: false)
            do {
                let s = try Store(root: dir.path, files: faulty)
                try upload(s, v2, chunk: 700)
            } catch {}
            let reopened = try Store(root: dir.path, files: FaultyFiles(syncs: false))
            let state = try #require(reopened.state("blinky"), "budget \(budget)")
            let slot = try #require(state.committed, "budget \(budget)")
            let loaded = try reopened.loadModule("blinky", slot)
            if state.committedVersion == 1 { #expect(loaded.bytes == v1.module); sawOld += 1 }
            else { #expect(state.committedVersion == 2 && loaded.bytes == v2.module); sawNew += 1 }
            // An interrupted upload can always be finished afterwards.
            if state.committedVersion == 1 { try upload(reopened, v2, chunk: 700) }
            if budget == total { break }
            budget = min(total, budget + (budget < 40 ? 1 : max(1, total / 80)))
        }
        #expect(sawOld > 20 && sawNew >= 1)
    }

    @Test func diskFullFailsTheUploadAndKeepsTheOldVersion() throws {
        let dir = try TempDirectory()
        let v1 = makeDeploy(version: 1, size: 3000, seed: 1)
        let v2 = makeDeploy(version: 2, size: 3000, seed: 2)
        do {
            let s = try Store(root: dir.path, files: PosixStoreFiles())
            try upload(s, v1)
        }
        let full = FaultyFiles(noSpaceAfter: 1500)
        let s = try Store(root: dir.path, files: full)
        do {
            try upload(s, v2)
            Issue.record("expected no space")
        } catch {
            if case .io(let e) = error { #expect(e.isNoSpace) } else { Issue.record("\(error.message)") }
        }
        let reopened = try Store(root: dir.path, files: PosixStoreFiles())
        let state = try #require(reopened.state("blinky"))
        #expect(state.committedVersion == 1)
        #expect(try reopened.loadModule("blinky", state.committed!).bytes == v1.module)
    }

    @Test func removeDeletesEverythingAndStateCorruptionIsDetected() throws {
        let dir = try TempDirectory()
        let s = try Store(root: dir.path, files: PosixStoreFiles())
        try upload(s, makeDeploy(version: 1))
        try upload(s, makeDeploy(app: "other", version: 4))
        try s.remove("blinky")
        #expect(s.apps == ["other"])
        #expect(try Store(root: dir.path, files: PosixStoreFiles()).apps == ["other"])
        // Flip a byte of the state file: the CRC catches it and the app is not loaded as garbage.
        let statePath = dir.path + "/apps/other/state"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: statePath)))
        bytes[6] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: statePath))
        #expect(try Store(root: dir.path, files: PosixStoreFiles()).state("other") == nil)
    }
}
