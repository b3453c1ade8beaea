import PerchCore

/// The file system a supervised app sees: standard output and error become lines in the
/// supervisor's log (`perch logs`), standard input is empty, and nothing else exists
/// (supervised apps get no directories: deny by default). Memory is bounded: long lines
/// are cut and, if the supervisor falls behind, the oldest lines are dropped and counted.
final class AppOutputFiles: FileSystem {
    static let maxLineBytes = 200
    static let maxPendingLines = 64

    private var partial: [UInt8] = []
    private(set) var lines: [String] = []
    private var dropped = 0

    /// Lines written since the last call (a note first if some were dropped).
    func take() -> [String] {
        var out = lines
        if dropped > 0 { out.insert("(\(dropped) lines of output dropped)", at: 0) }
        lines.removeAll(keepingCapacity: true)
        dropped = 0
        return out
    }

    /// A line from the runtime about the app (a device failure), logged with its output.
    func note(_ text: String) {
        var copy = text + "\n"
        copy.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) {
        for b in bytes {
            if b == UInt8(ascii: "\n") {
                finishLine()
            } else if partial.count < Self.maxLineBytes {
                partial.append(b)
            }
        }
    }

    private func finishLine() {
        if lines.count >= Self.maxPendingLines {
            lines.removeFirst()
            dropped += 1
        }
        lines.append(String(decoding: partial, as: UTF8.self))
        partial.removeAll(keepingCapacity: true)
    }

    func standardStream(_ index: Int) -> FileHandle { FileHandle(raw: Int32(index)) }

    func openPreopen(_ path: UnsafeRawBufferPointer) throws(PlatformError) -> FileHandle { throw .accessDenied }

    func open(at directory: FileHandle, _ name: UnsafeRawBufferPointer, _ options: OpenOptions)
        throws(PlatformError) -> FileHandle { throw .badHandle }

    func close(_ handle: FileHandle) {}

    func read(_ handle: FileHandle, into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int {
        guard handle.raw == 0 else { throw .badHandle }
        return 0
    }

    func write(_ handle: FileHandle, from buffer: UnsafeRawBufferPointer) throws(PlatformError) -> Int {
        guard handle.raw == 1 || handle.raw == 2 else { throw .badHandle }
        append(buffer)
        return buffer.count
    }

    func read(_ handle: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int { throw .notSeekable }

    func write(_ handle: FileHandle, from buffer: UnsafeRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int { throw .notSeekable }

    func seek(_ handle: FileHandle, offset: Int64, from origin: SeekOrigin) throws(PlatformError) -> UInt64 {
        throw .notSeekable
    }

    func sync(_ handle: FileHandle) throws(PlatformError) {}
    func setFlags(_ handle: FileHandle, _ flags: HandleFlags) throws(PlatformError) {}
    func setSize(_ handle: FileHandle, _ size: UInt64) throws(PlatformError) { throw .invalid }

    func stat(_ handle: FileHandle) throws(PlatformError) -> FileStat {
        guard handle.raw >= 0, handle.raw <= 2 else { throw .badHandle }
        var stat = FileStat()
        stat.type = .characterDevice
        return stat
    }

    func stat(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) -> FileStat {
        throw .badHandle
    }

    func readLink(at directory: FileHandle, _ name: UnsafeRawBufferPointer,
                  into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int { throw .badHandle }

    func readDirectory(_ directory: FileHandle, from cookie: UInt64,
                       _ body: (DirectoryEntry) -> Bool) throws(PlatformError) { throw .badHandle }

    func makeDirectory(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) { throw .badHandle }
    func removeFile(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) { throw .badHandle }
    func removeDirectory(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) { throw .badHandle }
    func rename(at directory: FileHandle, _ name: UnsafeRawBufferPointer,
                to newDirectory: FileHandle, _ newName: UnsafeRawBufferPointer) throws(PlatformError) { throw .badHandle }

    func waitReadable(_ handle: FileHandle, timeout: UInt64?) -> Bool { handle.raw == 0 }
}
