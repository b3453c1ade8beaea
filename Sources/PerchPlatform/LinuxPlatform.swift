#if os(Linux) || LINUX
import CPerchLinux
import PerchCore

/// The Linux platform seam: clocks, getrandom, and files through `openat`-style calls
/// that never follow symlinks (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`), so the caller's
/// own step-by-step resolution decides what a path reaches.
///
/// # Invariants
/// - `names` holds `2 * nameCapacity` bytes allocated once in `init` and freed in `deinit`;
///   `cName` copies at most `nameCapacity - 1` bytes plus a NUL into one half, so every
///   pointer handed to C is a NUL-terminated string inside that buffer.
/// - `entries` holds `entriesCapacity` bytes for `getdents64` records; only records the
///   kernel reported (`0 ..< filled`) are walked.
public final class LinuxPlatform: PlatformClock, RandomSource, FileSystem {
    private static let nameCapacity = 4097
    private static let entriesCapacity = 4096
    private let names: UnsafeMutableRawPointer
    private let entries: UnsafeMutableRawPointer

    public init() {
        names = UnsafeMutableRawPointer.allocate(byteCount: 2 * Self.nameCapacity, alignment: 8)
        entries = UnsafeMutableRawPointer.allocate(byteCount: Self.entriesCapacity, alignment: 8)
    }

    deinit {
        names.deallocate()
        entries.deallocate()
    }

    /// A `Platform` whose clock, randomness and files are all this machine's.
    public static func makePlatform() -> Platform {
        let linux = LinuxPlatform()
        return Platform(clock: linux, random: linux, files: linux)
    }

    // MARK: clock

    public func now(_ clock: ClockID) -> UInt64? {
        var value: UInt64 = 0
        return perch_clock_gettime(Int32(clock.rawValue), &value) == 0 ? value : nil
    }

    public func resolution(_ clock: ClockID) -> UInt64? {
        var value: UInt64 = 0
        return perch_clock_getres(Int32(clock.rawValue), &value) == 0 ? value : nil
    }

    public func sleep(nanoseconds: UInt64) { perch_sleep_ns(nanoseconds) }

    // MARK: random

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress else { return true }
        return perch_getrandom(base, buffer.count) == 0
    }

    // MARK: files

    public func standardStream(_ index: Int) -> FileHandle { FileHandle(raw: Int32(truncatingIfNeeded: index)) }

    public func openPreopen(_ path: UnsafeRawBufferPointer) throws(PlatformError) -> FileHandle {
        let name = try cName(path, half: 0)
        // The user named this directory: a symlink to it is fine (`--dir /tmp` on some systems).
        let fd = try check(perch_openat(-1, name, Int32(PERCH_O_READ | PERCH_O_DIRECTORY | PERCH_O_FOLLOW)))
        return FileHandle(raw: Int32(truncatingIfNeeded: fd))
    }

    public func open(at directory: FileHandle, _ name: UnsafeRawBufferPointer, _ options: OpenOptions)
        throws(PlatformError) -> FileHandle
    {
        var flags: Int32 = 0
        if options.read { flags |= Int32(PERCH_O_READ) }
        if options.write { flags |= Int32(PERCH_O_WRITE) }
        if options.create { flags |= Int32(PERCH_O_CREATE) }
        if options.exclusive { flags |= Int32(PERCH_O_EXCL) }
        if options.truncate { flags |= Int32(PERCH_O_TRUNC) }
        if options.directory { flags |= Int32(PERCH_O_DIRECTORY) }
        if options.append { flags |= Int32(PERCH_O_APPEND) }
        if options.nonBlocking { flags |= Int32(PERCH_O_NONBLOCK) }
        let path = try cName(name, half: 0)
        let fd = try check(perch_openat(try fd(directory), path, flags))
        return FileHandle(raw: Int32(truncatingIfNeeded: fd))
    }

    public func close(_ handle: FileHandle) {
        if handle.raw > 2 { _ = perch_close(handle.raw) }
    }

    public func read(_ handle: FileHandle, into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int {
        try check(perch_read(try fd(handle), buffer.baseAddress, buffer.count))
    }

    public func write(_ handle: FileHandle, from buffer: UnsafeRawBufferPointer) throws(PlatformError) -> Int {
        try check(perch_write(try fd(handle), buffer.baseAddress, buffer.count))
    }

    public func read(_ handle: FileHandle, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int
    {
        try check(perch_pread(try fd(handle), buffer.baseAddress, buffer.count, offset))
    }

    public func write(_ handle: FileHandle, from buffer: UnsafeRawBufferPointer, at offset: UInt64)
        throws(PlatformError) -> Int
    {
        try check(perch_pwrite(try fd(handle), buffer.baseAddress, buffer.count, offset))
    }

    public func seek(_ handle: FileHandle, offset: Int64, from origin: SeekOrigin) throws(PlatformError) -> UInt64 {
        var result: UInt64 = 0
        _ = try check(perch_lseek(try fd(handle), offset, Int32(origin.rawValue), &result))
        return result
    }

    public func sync(_ handle: FileHandle) throws(PlatformError) {
        _ = try check(perch_fsync(try fd(handle)))
    }

    public func setFlags(_ handle: FileHandle, _ flags: HandleFlags) throws(PlatformError) {
        _ = try check(perch_set_flags(try fd(handle), flags.append ? 1 : 0, flags.nonBlocking ? 1 : 0))
    }

    public func setSize(_ handle: FileHandle, _ size: UInt64) throws(PlatformError) {
        _ = try check(perch_ftruncate(try fd(handle), size))
    }

    public func stat(_ handle: FileHandle) throws(PlatformError) -> FileStat {
        var raw = perch_stat_t()
        _ = try check(perch_fstat(try fd(handle), &raw))
        return Self.fileStat(raw)
    }

    public func stat(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) -> FileStat {
        var raw = perch_stat_t()
        let path = try cName(name, half: 0)
        _ = try check(perch_fstatat_nofollow(try fd(directory), path, &raw))
        return Self.fileStat(raw)
    }

    public func readLink(at directory: FileHandle, _ name: UnsafeRawBufferPointer,
                         into buffer: UnsafeMutableRawBufferPointer) throws(PlatformError) -> Int
    {
        guard let base = buffer.baseAddress else { throw .invalid }
        let path = try cName(name, half: 0)
        return try check(perch_readlinkat(try fd(directory), path, base.assumingMemoryBound(to: CChar.self), buffer.count))
    }

    public func readDirectory(_ directory: FileHandle, from cookie: UInt64,
                              _ body: (DirectoryEntry) -> Bool) throws(PlatformError)
    {
        let dirfd = try fd(directory)
        _ = try check(perch_dir_seek(dirfd, cookie))
        while true {
            let filled = try check(perch_getdents(dirfd, entries, Self.entriesCapacity))
            if filled == 0 { return }
            var position = 0
            while position < filled {
                var inode: UInt64 = 0
                var next: UInt64 = 0
                var type: Int32 = 0
                var namePointer: UnsafePointer<CChar>? = nil
                var nameLength = 0
                let length = perch_dirent_at(entries, position, &inode, &next, &type, &namePointer, &nameLength)
                guard length > 0 else { return }
                position &+= length
                let entry = DirectoryEntry(
                    nextCookie: next, inode: inode, type: FileType(rawValue: UInt8(truncatingIfNeeded: type)) ?? .unknown,
                    name: UnsafeRawBufferPointer(start: namePointer, count: nameLength))
                if !body(entry) { return }
            }
        }
    }

    public func makeDirectory(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) {
        let path = try cName(name, half: 0)
        _ = try check(perch_mkdirat(try fd(directory), path))
    }

    public func removeFile(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) {
        let path = try cName(name, half: 0)
        _ = try check(perch_unlinkat(try fd(directory), path, 0))
    }

    public func removeDirectory(at directory: FileHandle, _ name: UnsafeRawBufferPointer) throws(PlatformError) {
        let path = try cName(name, half: 0)
        _ = try check(perch_unlinkat(try fd(directory), path, 1))
    }

    public func rename(at directory: FileHandle, _ name: UnsafeRawBufferPointer,
                       to newDirectory: FileHandle, _ newName: UnsafeRawBufferPointer) throws(PlatformError)
    {
        let old = try cName(name, half: 0)
        let new = try cName(newName, half: 1)
        _ = try check(perch_renameat(try fd(directory), old, try fd(newDirectory), new))
    }

    public func waitReadable(_ handle: FileHandle, timeout: UInt64?) -> Bool {
        let limit: Int64 = timeout.map { $0 > UInt64(Int64.max) ? Int64.max : Int64($0) } ?? -1
        return perch_poll_readable(handle.raw, limit) == 1
    }

    // MARK: helpers

    private func fd(_ handle: FileHandle) throws(PlatformError) -> Int32 {
        guard handle.raw >= 0 else { throw .badHandle }
        return handle.raw
    }

    /// Copies `name` into half `half` of `names` with a NUL (see # Invariants).
    private func cName(_ name: UnsafeRawBufferPointer, half: Int) throws(PlatformError) -> UnsafePointer<CChar> {
        guard name.count < Self.nameCapacity else { throw .nameTooLong }
        guard !name.contains(0) else { throw .invalid }
        let target = names + half * Self.nameCapacity
        if let source = name.baseAddress, name.count > 0 {
            target.copyMemory(from: source, byteCount: name.count)
        }
        target.storeBytes(of: 0, toByteOffset: name.count, as: UInt8.self)
        return UnsafePointer(target.assumingMemoryBound(to: CChar.self))
    }

    private static func fileStat(_ raw: perch_stat_t) -> FileStat {
        var stat = FileStat()
        stat.device = raw.dev
        stat.inode = raw.ino
        stat.type = FileType(rawValue: UInt8(truncatingIfNeeded: perch_file_type(raw.mode))) ?? .unknown
        stat.linkCount = raw.nlink
        stat.size = raw.size
        stat.accessTime = raw.atim
        stat.modificationTime = raw.mtim
        stat.statusChangeTime = raw.ctim
        return stat
    }
}

/// Maps a `-errno` result to a `PlatformError`, passing non-negative results through.
@inline(__always)
private func check<T: BinaryInteger>(_ result: T) throws(PlatformError) -> Int {
    if result >= 0 { return Int(result) }
    throw platformError(errno: Int32(truncatingIfNeeded: 0 - result))
}

private func platformError(errno: Int32) -> PlatformError {
    switch errno {
    case EACCES: return .accessDenied
    case EPERM: return .notPermitted
    case EBADF: return .badHandle
    case EBUSY: return .busy
    case EEXIST: return .exists
    case EFBIG: return .fileTooLarge
    case EINTR: return .interrupted
    case EINVAL: return .invalid
    case EIO: return .io
    case EISDIR: return .isDirectory
    case ELOOP: return .loop
    case EMFILE, ENFILE: return .tooManyOpen
    case ENAMETOOLONG: return .nameTooLong
    case ENOENT: return .noEntry
    case ENOMEM: return .noMemory
    case ENOSPC: return .noSpace
    case ENOTDIR: return .notDirectory
    case ENOTEMPTY: return .notEmpty
    case ENOTSUP, ENOSYS: return .notSupported
    case EROFS: return .readOnly
    case ESPIPE: return .notSeekable
    case EXDEV: return .crossDevice
    case EAGAIN: return .wouldBlock
    case EOVERFLOW: return .overflow
    case EMLINK: return .tooManyLinks
    case EPIPE: return .brokenPipe
    case ETXTBSY: return .textBusy
    case ENXIO, ENODEV: return .noDevice
    default: return .other
    }
}
#endif
