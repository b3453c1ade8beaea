import CPerchLinkSys

/// Why a store file operation failed: which operation, on which path, and the errno.
public struct StoreIOError: Error, Sendable {
    public let operation: StaticString
    public let path: String
    public let errno: Int32

    public init(_ operation: StaticString, _ path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var isNoSpace: Bool { errno == 28 }

    public var message: String {
        "\(operation) '\(path)' failed: " + (errno == 28 ? "no space left on device" : "errno \(errno)")
    }
}

/// The file operations the module store needs, by whole path, so tests can inject faults
/// (a disk that fills up, a "power cut" after N bytes). Each write call either completes
/// or throws; durability comes only from `sync`/`syncDirectory`.
public protocol StoreFiles: AnyObject {
    func makeDirectory(_ path: String) throws(StoreIOError)
    /// Names in a directory (no `.`/`..`); empty if it does not exist.
    func list(_ directory: String) throws(StoreIOError) -> [String]
    /// Size in bytes, or nil if the file does not exist.
    func size(_ path: String) -> Int?
    /// Reads up to `buffer.count` bytes at `offset`; the count read.
    func read(_ path: String, at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StoreIOError) -> Int
    /// Writes `bytes` at `offset` (creating the file), after cutting the file to `offset`
    /// when `truncate` is set; with `sync`, the data is on stable storage on return.
    func write(_ path: String, at offset: Int, _ bytes: UnsafeRawBufferPointer, truncate: Bool, sync: Bool)
        throws(StoreIOError)
    func sync(_ path: String) throws(StoreIOError)
    /// Makes renames and creations in `directory` durable (fsync of the directory).
    func syncDirectory(_ directory: String) throws(StoreIOError)
    func rename(_ from: String, to: String) throws(StoreIOError)
    /// Removes a file or (empty) directory; no error if it is already gone.
    func remove(_ path: String, directory: Bool) throws(StoreIOError)
}

/// `StoreFiles` on a POSIX file system.
public final class PosixStoreFiles: StoreFiles {
    public init() {}

    public func makeDirectory(_ path: String) throws(StoreIOError) {
        let r = path.withCString { perch_link_mkdir($0) }
        if r != 0 { throw StoreIOError("mkdir", path, errno: -r) }
    }

    public func list(_ directory: String) throws(StoreIOError) -> [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = directory.withCString { p in
            buffer.withUnsafeMutableBytes { perch_link_list_directory(p, $0.baseAddress, $0.count) }
        }
        if n == -2 { return [] }
        if n < 0 { throw StoreIOError("list", directory, errno: Int32(truncatingIfNeeded: -n)) }
        var names: [String] = []
        var start = 0
        for i in 0..<Int(n) where buffer[i] == 0 {
            names.append(String(decoding: buffer[start..<i], as: UTF8.self))
            start = i + 1
        }
        return names
    }

    public func size(_ path: String) -> Int? {
        let n = path.withCString { perch_link_file_size($0) }
        return n < 0 ? nil : Int(n)
    }

    public func read(_ path: String, at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(StoreIOError) -> Int {
        let n = path.withCString { perch_link_read_file($0, UInt64(max(0, offset)), buffer.baseAddress, buffer.count) }
        if n < 0 { throw StoreIOError("read", path, errno: Int32(truncatingIfNeeded: -n)) }
        return Int(n)
    }

    public func write(_ path: String, at offset: Int, _ bytes: UnsafeRawBufferPointer, truncate: Bool, sync: Bool)
        throws(StoreIOError)
    {
        let r = path.withCString {
            perch_link_write_file($0, UInt64(max(0, offset)), bytes.baseAddress, bytes.count, truncate ? 1 : 0, sync ? 1 : 0, 0o644)
        }
        if r != 0 { throw StoreIOError("write", path, errno: -r) }
    }

    public func sync(_ path: String) throws(StoreIOError) {
        let r = path.withCString { perch_link_sync_path($0) }
        if r != 0 { throw StoreIOError("fsync", path, errno: -r) }
    }

    public func syncDirectory(_ directory: String) throws(StoreIOError) {
        let r = directory.withCString { perch_link_sync_path($0) }
        if r != 0 { throw StoreIOError("fsync directory", directory, errno: -r) }
    }

    public func rename(_ from: String, to: String) throws(StoreIOError) {
        let r = from.withCString { f in to.withCString { perch_link_rename(f, $0) } }
        if r != 0 { throw StoreIOError("rename", from, errno: -r) }
    }

    public func remove(_ path: String, directory: Bool) throws(StoreIOError) {
        let r = path.withCString { perch_link_remove($0, directory ? 1 : 0) }
        if r != 0 { throw StoreIOError("remove", path, errno: -r) }
    }
}
