import PerchCore

/// WASI preview1 `errno` values (wasi_snapshot_preview1.witx), the ones Perch returns.
public enum WASIErrno: UInt16, Error, Sendable {
    case success = 0
    case tooBig = 1
    case access = 2
    case again = 6
    case badf = 8
    case busy = 10
    case exist = 20
    case fault = 21
    case fbig = 22
    case intr = 27
    case inval = 28
    case io = 29
    case isdir = 31
    case loop = 32
    case mfile = 33
    case mlink = 34
    case nametoolong = 37
    case nodev = 43
    case noent = 44
    case nomem = 48
    case nospc = 51
    case nosys = 52
    case notdir = 54
    case notempty = 55
    case notsup = 58
    case nxio = 60
    case overflow = 61
    case perm = 63
    case pipe = 64
    case rofs = 69
    case spipe = 70
    case txtbsy = 74
    case xdev = 75
    case notcapable = 76

    init(_ error: PlatformError) {
        switch error {
        case .accessDenied: self = .access
        case .notPermitted: self = .perm
        case .badHandle: self = .badf
        case .busy: self = .busy
        case .exists: self = .exist
        case .fileTooLarge: self = .fbig
        case .interrupted: self = .intr
        case .invalid: self = .inval
        case .io, .other: self = .io
        case .isDirectory: self = .isdir
        case .loop: self = .loop
        case .tooManyOpen: self = .mfile
        case .nameTooLong: self = .nametoolong
        case .noEntry: self = .noent
        case .noMemory: self = .nomem
        case .noSpace: self = .nospc
        case .notDirectory: self = .notdir
        case .notEmpty: self = .notempty
        case .notSupported: self = .notsup
        case .readOnly: self = .rofs
        case .notSeekable: self = .spipe
        case .crossDevice: self = .xdev
        case .wouldBlock: self = .again
        case .overflow: self = .overflow
        case .tooManyLinks: self = .mlink
        case .brokenPipe: self = .pipe
        case .textBusy: self = .txtbsy
        case .noDevice: self = .nxio
        }
    }
}

/// Bit flags and layouts from wasi_snapshot_preview1.witx.
enum WASIConstant {
    // rights
    static let rightFdRead: UInt64 = 1 << 1
    static let rightFdSeek: UInt64 = 1 << 2
    static let rightFdTell: UInt64 = 1 << 5
    static let rightFdWrite: UInt64 = 1 << 6
    static let rightsAll: UInt64 = (1 << 30) - 1
    /// Rights a stream (stdio) has: no seeking, so wasi-libc's isatty() can tell a tty.
    static let rightsStream: UInt64 = rightsAll & ~(rightFdSeek | rightFdTell)

    // oflags
    static let openCreate: UInt16 = 1
    static let openDirectory: UInt16 = 2
    static let openExclusive: UInt16 = 4
    static let openTruncate: UInt16 = 8

    // fdflags
    static let fdAppend: UInt16 = 1
    static let fdNonblock: UInt16 = 4

    // lookupflags
    static let lookupSymlinkFollow: UInt32 = 1

    // subclockflags
    static let subscriptionAbsoluteTime: UInt16 = 1

    // eventtype
    static let eventClock: UInt8 = 0
    static let eventFdRead: UInt8 = 1
    static let eventFdWrite: UInt8 = 2

    // struct sizes
    static let iovecSize: UInt32 = 8
    static let fdstatSize: UInt32 = 24
    static let filestatSize: UInt32 = 64
    static let direntHeaderSize: UInt32 = 24
    static let subscriptionSize: UInt32 = 48
    static let eventSize: UInt32 = 32
}
