@testable import PerchSupervisor

/// An in-memory file system behind the store's one I/O seam (`StoreFiles`) that knows what
/// a power cut keeps: file data only as of the file's last fsync, directory entries
/// (creations, renames, removals) only as of the directory's last fsync. The process sees
/// everything it wrote (the page cache); `image(after:)` is what a reboot would find.
///
/// Files and directories are inodes, so a rename that was not yet made durable leaves the
/// old name pointing at the old inode with that inode's synced content.
final class PowerCutFiles: StoreFiles {
    /// What becomes of data that was written but never synced.
    enum LostData {
        /// The file holds exactly what was last synced (a journal that rolled back).
        case dropped
        /// The file keeps its new length, but the unsynced bytes read as zeros (the
        /// "NUL-filled file" of delayed allocation after a crash).
        case zeroed
    }

    struct FileNode {
        var data: [UInt8] = []
        var synced: [UInt8] = []
    }

    struct DirNode {
        var entries: [String: Entry] = [:]
        var synced: [String: Entry] = [:]
    }

    enum Entry: Equatable {
        case file(Int)
        case directory(Int)
    }

    var files: [Int: FileNode] = [:]
    var dirs: [Int: DirNode] = [0: DirNode()]  // 0: "/", which exists durably
    var nextInode = 1
    /// Called after every operation that changes something (the cut points).
    var afterChange: (PowerCutFiles) -> Void = { _ in }

    init() {}

    // MARK: paths

    private func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }

    /// The directory inode holding `path`'s last component, and that component.
    private func parent(_ path: String) -> (dir: Int, name: String)? {
        var parts = components(path)
        guard let name = parts.popLast() else { return nil }
        var dir = 0
        for part in parts {
            guard case .directory(let d)? = dirs[dir]?.entries[part] else { return nil }
            dir = d
        }
        return (dir, name)
    }

    private func lookup(_ path: String) -> Entry? {
        if components(path).isEmpty { return .directory(0) }
        guard let (dir, name) = parent(path) else { return nil }
        return dirs[dir]?.entries[name]
    }

    private func fail(_ op: StaticString, _ path: String, _ errno: Int32 = 2) -> StoreIOError {
        StoreIOError(op, path, errno: errno)
    }

    // MARK: StoreFiles

    func makeDirectory(_ path: String) throws(StoreIOError) {
        if case .directory? = lookup(path) { return }
        guard let (dir, name) = parent(path), dirs[dir]?.entries[name] == nil else { throw fail("mkdir", path) }
        let inode = nextInode
        nextInode += 1
        dirs[inode] = DirNode()
        dirs[dir]!.entries[name] = .directory(inode)
        afterChange(self)
    }

    func list(_ directory: String) throws(StoreIOError) -> [String] {
        guard case .directory(let d)? = lookup(directory) else { return [] }
        return dirs[d]!.entries.keys.sorted()
    }

    func size(_ path: String) -> Int? {
        guard case .file(let f)? = lookup(path) else { return nil }
        return files[f]!.data.count
    }

    func read(_ path: String, at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StoreIOError) -> Int {
        guard case .file(let f)? = lookup(path) else { throw fail("read", path) }
        let data = files[f]!.data
        guard offset < data.count else { return 0 }
        let n = min(buffer.count, data.count - offset)
        for i in 0..<n { buffer[i] = data[offset + i] }
        return n
    }

    func write(_ path: String, at offset: Int, _ bytes: UnsafeRawBufferPointer, truncate: Bool, sync: Bool) throws(StoreIOError) {
        let inode: Int
        switch lookup(path) {
        case .file(let f)?: inode = f
        case .directory?: throw fail("write", path, 21)
        case nil:
            guard let (dir, name) = parent(path) else { throw fail("write", path) }
            inode = nextInode
            nextInode += 1
            files[inode] = FileNode()
            dirs[dir]!.entries[name] = .file(inode)
        }
        var node = files[inode]!
        if truncate { node.data = Array(node.data.prefix(offset)) }
        if node.data.count < offset { node.data += [UInt8](repeating: 0, count: offset - node.data.count) }
        for (i, byte) in bytes.enumerated() {
            if offset + i < node.data.count { node.data[offset + i] = byte } else { node.data.append(byte) }
        }
        files[inode] = node
        afterChange(self)
        if sync { try self.sync(path) }
    }

    func sync(_ path: String) throws(StoreIOError) {
        switch lookup(path) {
        case .file(let f)?: files[f]!.synced = files[f]!.data
        case .directory(let d)?: dirs[d]!.synced = dirs[d]!.entries
        case nil: throw fail("fsync", path)
        }
        afterChange(self)
    }

    func syncDirectory(_ directory: String) throws(StoreIOError) {
        guard case .directory? = lookup(directory) else { throw fail("fsync directory", directory) }
        try sync(directory)
    }

    func rename(_ from: String, to: String) throws(StoreIOError) {
        guard let (fromDir, fromName) = parent(from), let entry = dirs[fromDir]?.entries[fromName],
            let (toDir, toName) = parent(to)
        else { throw fail("rename", from) }
        dirs[fromDir]!.entries[fromName] = nil
        dirs[toDir]!.entries[toName] = entry
        afterChange(self)
    }

    func remove(_ path: String, directory: Bool) throws(StoreIOError) {
        guard let (dir, name) = parent(path), let entry = dirs[dir]?.entries[name] else { return }
        if case .directory(let d) = entry {
            guard directory, dirs[d]!.entries.isEmpty else { throw fail("remove", path, 39) }
        } else if directory {
            throw fail("remove", path, 20)
        }
        dirs[dir]!.entries[name] = nil
        afterChange(self)
    }

    // MARK: the cut

    /// The file system a reboot finds now: only the synced directory entries, reachable
    /// from "/", and each file's synced data (or, with `.zeroed`, its current length with
    /// the unsynced bytes as zeros).
    func image(_ lost: LostData) -> PowerCutFiles {
        let out = PowerCutFiles()
        out.nextInode = nextInode
        out.dirs = [:]
        var pending = [0]
        while let d = pending.popLast() {
            let durable = dirs[d]!.synced
            out.dirs[d] = DirNode(entries: durable, synced: durable)
            for entry in durable.values {
                switch entry {
                case .directory(let child): pending.append(child)
                case .file(let f):
                    let node = files[f]!
                    var data = node.synced
                    if lost == .zeroed {
                        data = Array(node.synced.prefix(node.data.count))
                        data += [UInt8](repeating: 0, count: node.data.count - data.count)
                    }
                    out.files[f] = FileNode(data: data, synced: data)
                }
            }
        }
        return out
    }
}
