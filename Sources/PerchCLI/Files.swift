import CPerchSys
import PerchCore

/// Why a file named on the command line could not be read.
public struct FileError: Error, Sendable {
    public enum Kind: Sendable {
        /// open/read failed with this errno (EISDIR for a directory).
        case system(Int32)
        /// The file does not fit in the arena (or, for `readFile`, in memory).
        case tooLarge(ArenaError?)
        /// The file changed size while it was read.
        case shortRead
    }
    public let path: String
    public let kind: Kind

    public var message: String {
        switch kind {
        case .system(let errno): return "cannot read '\(path)': \(systemErrorText(errno))"
        case .tooLarge(let arena?): return "cannot load '\(path)': \(arena.message)"
        case .tooLarge(nil): return "cannot read '\(path)': too large"
        case .shortRead: return "cannot read '\(path)': file changed while reading"
        }
    }
}

/// Reads a whole file into the low end of `arena` (module bytes go there, design.md).
/// On failure the arena is left as it was.
public func readFile(
    _ path: String, into arena: Arena, for use: ArenaUse
) throws(FileError) -> UnsafeMutableRawBufferPointer {
    let file = try OpenFile(path)
    let mark = arena.mark
    let start: UnsafeMutableRawPointer
    do {
        start = try arena.allocateLow(file.size, alignment: 16, for: use)
    } catch {
        throw FileError(path: path, kind: .tooLarge(error))
    }
    let buffer = UnsafeMutableRawBufferPointer(start: start, count: file.size)
    do throws(FileError) {
        try file.read(into: buffer)
    } catch {
        arena.reset(to: mark)
        throw error
    }
    return buffer
}

/// Reads a whole file into a new array: for host-side inputs (spec-test scripts), never
/// for module bytes on a device.
public func readFile(_ path: String) throws(FileError) -> [UInt8] {
    let file = try OpenFile(path)
    var bytes = [UInt8](repeating: 0, count: file.size)
    var failure: FileError?
    bytes.withUnsafeMutableBytes { buffer in
        do throws(FileError) { try file.read(into: buffer) } catch { failure = error }
    }
    if let failure { throw failure }
    return bytes
}

/// An open file descriptor, closed when the value goes away.
private struct OpenFile: ~Copyable {
    let path: String
    let fd: Int32
    let size: Int

    init(_ path: String) throws(FileError) {
        self.path = path
        let fd = path.withCString { perch_sys_open_read($0) }
        guard fd >= 0 else { throw FileError(path: path, kind: .system(-fd)) }
        let size = perch_sys_file_size(fd)
        guard size >= 0 else {
            perch_sys_close(fd)
            throw FileError(path: path, kind: .system(Int32(truncatingIfNeeded: -size)))
        }
        guard let count = Int(exactly: size) else {
            perch_sys_close(fd)
            throw FileError(path: path, kind: .tooLarge(nil))
        }
        self.fd = fd
        self.size = count
    }

    /// Fills `buffer` (exactly `size` bytes) from the file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let n = perch_sys_read(fd, base + done, buffer.count - done)
            if n < 0 { throw FileError(path: path, kind: .system(Int32(truncatingIfNeeded: -n))) }
            if n == 0 { throw FileError(path: path, kind: .shortRead) }
            done += Int(n)
        }
    }

    deinit { perch_sys_close(fd) }
}

func systemErrorText(_ errno: Int32) -> String {
    guard let text = perch_sys_error_text(errno) else { return "error \(errno)" }
    return String(cString: text)
}

/// Writes `line` and a newline to standard error.
public func printError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = perch_sys_write_all(2, bytes.baseAddress, bytes.count) }
}
