import PerchCore

/// A clock that moves only when told to (or when slept on): tests and the simulated
/// board get reproducible time, and a guest's `sleep(10)` finishes at once.
public final class SimulatedClock: PlatformClock {
    /// Nanoseconds since the Unix epoch on the realtime clock.
    public var realtime: UInt64
    public var monotonic: UInt64 = 0
    /// CPU time charged to the guest; advances only through `advance(cpu:)`.
    public var cpu: UInt64 = 0
    public let tick: UInt64
    /// Total nanoseconds slept through `sleep`, for tests.
    public private(set) var slept: UInt64 = 0

    public init(realtime: UInt64 = 1_700_000_000_000_000_000, tick: UInt64 = 1_000) {
        self.realtime = realtime
        self.tick = tick
    }

    public func now(_ clock: ClockID) -> UInt64? {
        switch clock {
        case .realtime: return realtime
        case .monotonic: return monotonic
        case .processCPU, .threadCPU: return cpu
        }
    }

    public func resolution(_ clock: ClockID) -> UInt64? { tick }

    public func sleep(nanoseconds: UInt64) {
        advance(by: nanoseconds)
        slept &+= nanoseconds
    }

    public func advance(by nanoseconds: UInt64) {
        realtime &+= nanoseconds
        monotonic &+= nanoseconds
    }

    public func advance(cpu nanoseconds: UInt64) { cpu &+= nanoseconds }
}

/// Reproducible "random" bytes (xorshift64*), for tests and the simulated board.
public final class DeterministicRandom: RandomSource {
    private var state: UInt64
    public var failing = false

    public init(seed: UInt64 = 0x9E37_79B9_7F4A_7C15) { state = seed == 0 ? 1 : seed }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        if failing { return false }
        for i in 0..<buffer.count {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            buffer[i] = UInt8(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 56)
        }
        return true
    }
}

/// Files, directories, symlinks and stdio held in memory, with POSIX `*at` semantics
/// (never following symlinks), for tests and the simulated board.
///
/// Handles 0, 1, 2 are stdin (fed from `stdinData`, then end of file), stdout and stderr
/// (collected in `stdout`/`stderr`, each with `consoleCapacity` bytes reserved up front so
/// a guest's output up to that size reaches them without a heap allocation).
public final class MemoryFileSystem: FileSystem {
    struct Node {
        var type: FileType
        var parent: Int
        var name: [UInt8]
        var data: [UInt8] = []
        var alive = true
        var modified: UInt64 = 0
    }

    struct Open {
        var node: Int
        var offset: UInt64 = 0
        var read = false
        var write = false
        var append = false
        var nonBlocking = false
    }

    private var nodes: [Node] = [Node(type: .directory, parent: 0, name: [])]
    private var handles: [Open?]
    public let handleCapacity: Int

    public var stdinData: [UInt8] = []
    public var stdinPosition = 0
    /// Behaves like a host whose stdin was closed (`perch run ... <&-`): reads fail EBADF.
    public var stdinClosed = false
    public var stdout: [UInt8] = []
    public var stderr: [UInt8] = []
    /// Bytes a file may hold at most, so tests can provoke ENOSPC/EFBIG.
    public var maximumFileSize = 1 << 24

    public init(handleCapacity: Int = 64, consoleCapacity: Int = 4096) {
        self.handleCapacity = handleCapacity
        handles = [Open?](repeating: nil, count: handleCapacity)
        stdout.reserveCapacity(consoleCapacity)
        stderr.reserveCapacity(consoleCapacity)
        for i in 0..<3 { handles[i] = Open(node: -1 - i, read: i == 0, write: i != 0) }
    }

    // MARK: setting up (tests, board files)

    /// Creates every missing directory on `path` ("a/b/c"); returns the last one's node.
    @discardableResult
    public func addDirectory(_ path: String) -> Int {
        var node = 0
        for component in Self.components(path) {
            if let child = lookup(node, component) { node = child; continue }
            nodes.append(Node(type: .directory, parent: node, name: component))
            node = nodes.count - 1
        }
        return node
    }

    public func addFile(_ path: String, _ contents: [UInt8]) {
        let (parent, name) = parentAndName(path)
        if let existing = lookup(parent, name) { nodes[existing].data = contents; return }
        nodes.append(Node(type: .regularFile, parent: parent, name: name, data: contents))
    }

    public func addSymlink(_ path: String, target: String) {
        let (parent, name) = parentAndName(path)
        nodes.append(Node(type: .symbolicLink, parent: parent, name: name, data: Array(target.utf8)))
    }

    /// The contents of the file at `path`, or nil if there is none.
    public func contents(_ path: String) -> [UInt8]? {
        guard let node = find(path), nodes[node].type == .regularFile else { return nil }
        return nodes[node].data
    }

    public func exists(_ path: String) -> Bool { find(path) != nil }

    /// Handles currently open besides stdio, so tests can check nothing leaks.
    public var openHandleCount: Int {
        var count = 0
        for i in 3..<handleCapacity where handles[i] != nil { count += 1 }
        return count
    }

    // MARK: FileSystem

    public func standardStream(_ index: Int) -> FileHandle { FileHandle(raw: Int32(truncatingIfNeeded: index)) }

    public func openPreopen(_ path: UnsafeRawBufferPointer) throws(PlatformError) -> FileHandle {
        guard let node = find(String(decoding: path, as: UTF8.self)) else { throw .noEntry }
        guard nodes[node].type == .directory else { throw .notDirectory }
        return try newHandle(Open(node: node, read: true))
    }

    public func open(at directory: FileHandle, _ name: UnsafeRawBufferPointer, _ options: OpenOptions)
        throws(PlatformError) -> FileHandle
    {
        let dir = try directoryNode(directory)
        var node: Int
        if let existing = try child(dir, name) {
            if options.create && options.exclusive { throw .exists }
            node = existing
            switch nodes[node].type {
            case .symbolicLink: throw .loop
            case .directory:
                if options.write { throw .isDirectory }
            default:
                if options.directory { throw .notDirectory }
            }
        } else {
            guard options.create else { throw .noEntry }
            guard !options.directory else { throw .invalid }
            nodes.append(Node(type: .regularFile, parent: dir, name: Array(name)))
            node = nodes.count - 1
        }
        if options.truncate && nodes[node].type == .regularFile {
            guard options.write else { throw .invalid }
            nodes[node].data.removeAll(keepingCapacity: true)
        }
        return try newHandle(Open(node: node, read: options.read || !options.write, write: options.write,
                                  append: options.append, nonBlocking: options.nonBlocking))
    }

    public func close(_ handle: FileHandle) {
        let index = Int(handle.raw)
        if index >= 3, index < handleCapacity { handles[index] = nil }
    }

    public func read(_ handle: FileHandle, into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int {
        var open = try opened(handle)
        guard open.read else { throw .badHandle }
        if open.node == -1 {
            if stdinClosed { throw .badHandle }
            let count = min(buffer.count, stdinData.count - stdinPosition)
            for i in 0..<count { buffer[i] = stdinData[stdinPosition + i] }
            stdinPosition += count
            return count
        }
        let count = try readFile(open, into: buffer, at: open.offset)
        open.offset &+= UInt64(count)
        handles[Int(handle.raw)] = open
        return count
    }

    public func write(_ handle: FileHandle, from buffer: UnsafeRawBufferPointer) throws(PlatformError) -> Int {
        var open = try opened(handle)
        guard open.write else { throw .badHandle }
        if open.node == -2 { stdout.append(contentsOf: buffer); return buffer.count }
        if open.node == -3 { stderr.append(contentsOf: buffer); return buffer.count }
        let at = open.append ? UInt64(nodes[open.node].data.count) : open.offset
        let count = try writeFile(open, from: buffer, at: at)
        open.offset = at &+ UInt64(count)
        handles[Int(handle.raw)] = open
        return count
    }

    public func read(_ handle: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int
    {
        let open = try opened(handle)
        guard open.node >= 0 else { throw .notSeekable }
        guard open.read else { throw .badHandle }
        return try readFile(open, into: buffer, at: offset)
    }

    public func write(_ handle: FileHandle, from buffer: UnsafeRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int
    {
        let open = try opened(handle)
        guard open.node >= 0 else { throw .notSeekable }
        guard open.write else { throw .badHandle }
        return try writeFile(open, from: buffer, at: offset)
    }

    public func seek(_ handle: FileHandle, offset: Int64, from origin: SeekOrigin) throws(PlatformError) -> UInt64 {
        var open = try opened(handle)
        guard open.node >= 0 else { throw .notSeekable }
        let base: Int64
        switch origin {
        case .start: base = 0
        case .current: base = Int64(open.offset)
        case .end: base = Int64(nodes[open.node].data.count)
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { throw .invalid }
        open.offset = UInt64(target)
        handles[Int(handle.raw)] = open
        return open.offset
    }

    public func sync(_ handle: FileHandle) throws(PlatformError) { _ = try opened(handle) }

    public func setFlags(_ handle: FileHandle, _ flags: HandleFlags) throws(PlatformError) {
        var open = try opened(handle)
        open.append = flags.append
        open.nonBlocking = flags.nonBlocking
        handles[Int(handle.raw)] = open
    }

    public func setSize(_ handle: FileHandle, _ size: UInt64) throws(PlatformError) {
        let open = try opened(handle)
        guard open.node >= 0, nodes[open.node].type == .regularFile, open.write else { throw .invalid }
        guard size <= UInt64(maximumFileSize) else { throw .fileTooLarge }
        let newSize = Int(size)
        let data = nodes[open.node].data
        if newSize < data.count {
            nodes[open.node].data.removeLast(data.count - newSize)
        } else {
            nodes[open.node].data.append(contentsOf: [UInt8](repeating: 0, count: newSize - data.count))
        }
    }

    public func stat(_ handle: FileHandle) throws(PlatformError) -> FileStat {
        let open = try opened(handle)
        if open.node < 0 {
            var stat = FileStat()
            stat.type = .characterDevice
            stat.linkCount = 1
            return stat
        }
        return stat(node: open.node)
    }

    public func stat(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) -> FileStat {
        guard let node = try child(try directoryNode(directory), name) else { throw .noEntry }
        return stat(node: node)
    }

    public func readLink(at directory: FileHandle, _ name: UnsafeRawBufferPointer,
                         into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int
    {
        guard let node = try child(try directoryNode(directory), name) else { throw .noEntry }
        guard nodes[node].type == .symbolicLink else { throw .invalid }
        let target = nodes[node].data
        let count = min(target.count, buffer.count)
        for i in 0..<count { buffer[i] = target[i] }
        return count
    }

    public func readDirectory(_ directory: FileHandle, from cookie: UInt64,
                              _ body: (DirectoryEntry) -> Bool) throws(PlatformError)
    {
        let dir = try directoryNode(directory)
        var listing: [Int] = [dir, nodes[dir].parent]
        for i in nodes.indices where i != 0 && nodes[i].alive && nodes[i].parent == dir { listing.append(i) }
        guard cookie < UInt64(listing.count) else { return }
        for position in Int(cookie)..<listing.count {
            let node = listing[position]
            let name: [UInt8] = position == 0 ? [0x2E] : position == 1 ? [0x2E, 0x2E] : nodes[node].name
            let keepGoing = name.withUnsafeBytes { bytes in
                body(DirectoryEntry(nextCookie: UInt64(position + 1), inode: UInt64(node + 1),
                                    type: nodes[node].type, name: bytes))
            }
            if !keepGoing { return }
        }
    }

    public func makeDirectory(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) {
        let dir = try directoryNode(directory)
        if try child(dir, name) != nil { throw .exists }
        nodes.append(Node(type: .directory, parent: dir, name: Array(name)))
    }

    public func removeFile(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) {
        guard let node = try child(try directoryNode(directory), name) else { throw .noEntry }
        guard nodes[node].type != .directory else { throw .isDirectory }
        nodes[node].alive = false
    }

    public func removeDirectory(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) {
        let dir = try directoryNode(directory)
        if Self.isDot(name) { throw .invalid }
        guard let node = try child(dir, name) else { throw .noEntry }
        guard nodes[node].type == .directory else { throw .notDirectory }
        guard !hasChildren(node) else { throw .notEmpty }
        nodes[node].alive = false
    }

    public func rename(at directory: FileHandle, _ name: UnsafeRawBufferPointer,
                       to newDirectory: FileHandle, _ newName: UnsafeRawBufferPointer) throws(PlatformError)
    {
        let from = try directoryNode(directory)
        let to = try directoryNode(newDirectory)
        if Self.isDot(name) || Self.isDot(newName) { throw .busy }
        guard let node = try child(from, name) else { throw .noEntry }
        if let existing = try child(to, newName) {
            if existing == node { return }
            switch (nodes[node].type == .directory, nodes[existing].type == .directory) {
            case (true, false): throw .notDirectory
            case (false, true): throw .isDirectory
            case (true, true): if hasChildren(existing) { throw .notEmpty }
            case (false, false): break
            }
            nodes[existing].alive = false
        }
        // A directory cannot move into itself or its own subtree.
        var ancestor = to
        while true {
            if ancestor == node { throw .invalid }
            if ancestor == 0 { break }
            ancestor = nodes[ancestor].parent
        }
        nodes[node].parent = to
        nodes[node].name = Array(newName)
    }

    /// Memory stdin is always ready: it has data, or it is at its end.
    public func waitReadable(_ handle: FileHandle, timeout: UInt64?) -> Bool {
        (try? opened(handle)) != nil
    }

    // MARK: internals

    private func newHandle(_ open: Open) throws(PlatformError) -> FileHandle {
        for i in 3..<handleCapacity where handles[i] == nil {
            handles[i] = open
            return FileHandle(raw: Int32(i))
        }
        throw .tooManyOpen
    }

    private func opened(_ handle: FileHandle) throws(PlatformError) -> Open {
        let index = Int(handle.raw)
        guard index >= 0, index < handleCapacity, let open = handles[index] else { throw .badHandle }
        if open.node >= 0 && !nodes[open.node].alive && nodes[open.node].type == .directory { throw .noEntry }
        return open
    }

    private func directoryNode(_ handle: FileHandle) throws(PlatformError) -> Int {
        let open = try opened(handle)
        guard open.node >= 0, nodes[open.node].type == .directory else { throw .notDirectory }
        return open.node
    }

    private func readFile(_ open: Open, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int
    {
        guard nodes[open.node].type == .regularFile else { throw .isDirectory }
        let data = nodes[open.node].data
        guard offset < UInt64(data.count) else { return 0 }
        let start = Int(offset)
        let count = min(buffer.count, data.count - start)
        for i in 0..<count { buffer[i] = data[start + i] }
        return count
    }

    private func writeFile(_ open: Open, from buffer: UnsafeRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int
    {
        guard nodes[open.node].type == .regularFile else { throw .isDirectory }
        guard offset <= UInt64(maximumFileSize), buffer.count <= maximumFileSize - Int(offset) else {
            throw .fileTooLarge
        }
        let start = Int(offset)
        let end = start + buffer.count
        if nodes[open.node].data.count < end {
            nodes[open.node].data.append(
                contentsOf: [UInt8](repeating: 0, count: end - nodes[open.node].data.count))
        }
        for i in 0..<buffer.count { nodes[open.node].data[start + i] = buffer[i] }
        nodes[open.node].modified &+= 1
        return buffer.count
    }

    private func stat(node: Int) -> FileStat {
        var stat = FileStat()
        stat.device = 1
        stat.inode = UInt64(node + 1)
        stat.type = nodes[node].type
        stat.linkCount = 1
        stat.size = UInt64(nodes[node].data.count)
        stat.modificationTime = nodes[node].modified
        return stat
    }

    /// The child `name` of directory `dir`; "." and ".." name the directory and its parent.
    private func child(_ dir: Int, _ name: UnsafeRawBufferPointer) throws(PlatformError) -> Int? {
        guard !name.isEmpty else { throw .noEntry }
        guard name.count <= 255 else { throw .nameTooLong }
        if name.contains(0x2F) || name.contains(0) { throw .invalid }
        if name.count == 1 && name[0] == 0x2E { return dir }
        if name.count == 2 && name[0] == 0x2E && name[1] == 0x2E { return nodes[dir].parent }
        return lookup(dir, Array(name))
    }

    private func lookup(_ dir: Int, _ name: [UInt8]) -> Int? {
        for i in nodes.indices where i != 0 && nodes[i].alive && nodes[i].parent == dir && nodes[i].name == name {
            return i
        }
        return nil
    }

    private func hasChildren(_ dir: Int) -> Bool {
        for i in nodes.indices where i != 0 && nodes[i].alive && nodes[i].parent == dir { return true }
        return false
    }

    private func find(_ path: String) -> Int? {
        var node = 0
        for component in Self.components(path) {
            guard let child = lookup(node, component) else { return nil }
            node = child
        }
        return node
    }

    private func parentAndName(_ path: String) -> (Int, [UInt8]) {
        var parts = Self.components(path)
        let name = parts.popLast() ?? []
        var node = 0
        for component in parts { node = lookup(node, component) ?? addDirectoryNode(node, component) }
        return (node, name)
    }

    private func addDirectoryNode(_ parent: Int, _ name: [UInt8]) -> Int {
        nodes.append(Node(type: .directory, parent: parent, name: name))
        return nodes.count - 1
    }

    private static func components(_ path: String) -> [[UInt8]] {
        path.utf8.split(separator: 0x2F).map { Array($0) }
    }

    private static func isDot(_ name: UnsafeRawBufferPointer) -> Bool {
        (name.count == 1 && name[0] == 0x2E) || (name.count == 2 && name[0] == 0x2E && name[1] == 0x2E)
    }
}

/// A complete in-memory platform: simulated clock, deterministic random, memory files.
public func makeSimulatedPlatform(
    clock: SimulatedClock = SimulatedClock(), random: DeterministicRandom = DeterministicRandom(),
    files: MemoryFileSystem = MemoryFileSystem()
) -> Platform {
    Platform(clock: clock, random: random, files: files)
}
