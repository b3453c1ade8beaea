/// The platform seam: everything host modules need from the system (time, randomness,
/// stdio, files), as class-bound protocols so `any` works in Embedded Swift.
///
/// WASI is written only against these; `PerchPlatform` implements them for Linux (Glibc
/// syscalls) and in memory (tests, the simulated board). No `#if` outside those files.

/// Errors a platform call reports, named after the POSIX errno they stand for.
public enum PlatformError: UInt8, Error, Sendable, Equatable {
    case accessDenied        // EACCES
    case notPermitted        // EPERM
    case badHandle           // EBADF
    case busy                // EBUSY
    case exists              // EEXIST
    case fileTooLarge        // EFBIG
    case interrupted         // EINTR
    case invalid             // EINVAL
    case io                  // EIO
    case isDirectory         // EISDIR
    case loop                // ELOOP (also: a symlink met where none may be followed)
    case tooManyOpen         // EMFILE, ENFILE
    case nameTooLong         // ENAMETOOLONG
    case noEntry             // ENOENT
    case noMemory            // ENOMEM
    case noSpace             // ENOSPC
    case notDirectory        // ENOTDIR
    case notEmpty            // ENOTEMPTY
    case notSupported        // ENOTSUP, EOPNOTSUPP, ENOSYS
    case readOnly            // EROFS
    case notSeekable         // ESPIPE
    case crossDevice         // EXDEV
    case wouldBlock          // EAGAIN
    case overflow            // EOVERFLOW
    case tooManyLinks        // EMLINK
    case brokenPipe          // EPIPE
    case textBusy            // ETXTBSY
    case noDevice            // ENXIO, ENODEV
    case other
}

/// The clocks a guest can read (WASI clockid order).
public enum ClockID: UInt8, Sendable {
    case realtime = 0
    case monotonic = 1
    case processCPU = 2
    case threadCPU = 3
}

/// Time, and the one way Perch waits for it.
public protocol PlatformClock: AnyObject {
    /// Nanoseconds on `clock` (realtime: since the Unix epoch), or nil if unavailable.
    func now(_ clock: ClockID) -> UInt64?
    /// The clock's resolution in nanoseconds, or nil if unavailable.
    func resolution(_ clock: ClockID) -> UInt64?
    /// Blocks the caller for `nanoseconds` (a simulated clock just advances).
    func sleep(nanoseconds: UInt64)
}

/// A source of random bytes for `random_get`.
public protocol RandomSource: AnyObject {
    /// Fills `buffer` completely; false if no randomness could be had.
    func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool
}

/// An open file, directory or stream of a `FileSystem` (a Linux fd, an in-memory index).
public struct FileHandle: Sendable, Equatable {
    public let raw: Int32
    public init(raw: Int32) { self.raw = raw }
}

/// File types, in WASI filetype order.
public enum FileType: UInt8, Sendable {
    case unknown = 0
    case blockDevice = 1
    case characterDevice = 2
    case directory = 3
    case regularFile = 4
    case socketDatagram = 5
    case socketStream = 6
    case symbolicLink = 7
}

public struct FileStat: Sendable, Equatable {
    public var device: UInt64 = 0
    public var inode: UInt64 = 0
    public var type: FileType = .unknown
    public var linkCount: UInt64 = 0
    public var size: UInt64 = 0
    /// Nanoseconds since the Unix epoch.
    public var accessTime: UInt64 = 0
    public var modificationTime: UInt64 = 0
    public var statusChangeTime: UInt64 = 0

    public init() {}
}

/// How `open(at:)` opens. Symlinks are never followed by the platform: the caller
/// resolves them itself, so a path can be kept inside a sandbox.
public struct OpenOptions: Sendable, Equatable {
    public var read = false
    public var write = false
    public var create = false
    public var exclusive = false
    public var truncate = false
    public var directory = false
    public var append = false
    public var nonBlocking = false

    public init() {}

    /// Opens a directory for lookups and listing.
    public static var directoryLookup: OpenOptions {
        var options = OpenOptions()
        options.read = true
        options.directory = true
        return options
    }
}

/// Flags of an open file that can be changed after opening (`fd_fdstat_set_flags`).
public struct HandleFlags: Sendable, Equatable {
    public var append = false
    public var nonBlocking = false
    public init(append: Bool = false, nonBlocking: Bool = false) {
        self.append = append
        self.nonBlocking = nonBlocking
    }
}

public enum SeekOrigin: UInt8, Sendable {
    case start = 0
    case current = 1
    case end = 2
}

/// One directory entry; `name` is valid only during the callback it is passed to.
public struct DirectoryEntry {
    /// The cookie that continues the listing after this entry.
    public let nextCookie: UInt64
    public let inode: UInt64
    public let type: FileType
    public let name: UnsafeRawBufferPointer

    public init(nextCookie: UInt64, inode: UInt64, type: FileType, name: UnsafeRawBufferPointer) {
        self.nextCookie = nextCookie
        self.inode = inode
        self.type = type
        self.name = name
    }
}

/// Files, directories and the three standard streams. Every path argument is a single
/// name (no `/`) relative to a directory handle: the `*at` calls of POSIX without
/// following symlinks, so path resolution and sandboxing stay with the caller.
public protocol FileSystem: AnyObject {
    /// Handle of standard input (0), output (1) or error (2).
    func standardStream(_ index: Int) -> FileHandle

    /// Opens a directory named by the user (a `--dir` preopen): the one call that takes
    /// a whole host path, and only from the command line, never from a guest.
    func openPreopen(_ path: UnsafeRawBufferPointer) throws(PlatformError) -> FileHandle

    func open(at directory: FileHandle, _ name: UnsafeRawBufferPointer, _ options: OpenOptions)
        throws(PlatformError) -> FileHandle
    func close(_ handle: FileHandle)

    /// Reads at the current position; 0 at end of file.
    func read(_ handle: FileHandle, into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int
    func write(_ handle: FileHandle, from buffer: UnsafeRawBufferPointer) throws(PlatformError) -> Int
    /// Reads at `offset` without moving the position.
    func read(_ handle: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int
    /// Writes at `offset` without moving the position.
    func write(_ handle: FileHandle, from buffer: UnsafeRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int
    /// Moves the position; returns the new one.
    func seek(_ handle: FileHandle, offset: Int64, from origin: SeekOrigin) throws(PlatformError) -> UInt64
    func sync(_ handle: FileHandle) throws(PlatformError)
    func setFlags(_ handle: FileHandle, _ flags: HandleFlags) throws(PlatformError)
    func setSize(_ handle: FileHandle, _ size: UInt64) throws(PlatformError)

    func stat(_ handle: FileHandle) throws(PlatformError) -> FileStat
    /// Stats `name` in `directory` itself (a symlink is reported as a symlink).
    func stat(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) -> FileStat
    /// Copies the target of symlink `name` into `buffer`; returns its length
    /// (`.invalid` if `name` is not a symlink).
    func readLink(at directory: FileHandle, _ name: UnsafeRawBufferPointer,
                  into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int

    /// Lists `directory` from `cookie` (0: the start), calling `body` per entry until it
    /// returns false or the listing ends.
    func readDirectory(_ directory: FileHandle, from cookie: UInt64,
                       _ body: (DirectoryEntry) -> Bool) throws(PlatformError)

    func makeDirectory(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError)
    func removeFile(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError)
    func removeDirectory(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError)
    func rename(at directory: FileHandle, _ name: UnsafeRawBufferPointer,
                to newDirectory: FileHandle, _ newName: UnsafeRawBufferPointer) throws(PlatformError)

    /// Waits until `handle` has data to read (or end of file), at most `timeout`
    /// nanoseconds (nil: no limit). True if readable.
    func waitReadable(_ handle: FileHandle, timeout: UInt64?) -> Bool
}

/// The services one running instance gets, bundled so a board can mix them (real files
/// with a simulated clock, say).
public final class Platform {
    public let clock: any PlatformClock
    public let random: any RandomSource
    public let files: any FileSystem

    public init(clock: any PlatformClock, random: any RandomSource, files: any FileSystem) {
        self.clock = clock
        self.random = random
        self.files = files
    }
}
