import PerchCore

/// Every `wasi_snapshot_preview1` function, so any wasi-libc program links; the ones
/// Perch does not provide answer `ENOSYS` (see `WASI.call`).
///
/// Signatures (HostSignature): `*~` a buffer and its byte length, `4`/`8` out-parameters
/// of that size. Those the interpreter checks before the call (a bad one traps: the
/// guest passed a pointer outside its memory). Pointers whose size depends on a count
/// (iovecs, subscriptions, argv) or on a struct (fdstat, filestat) are declared `i` and
/// checked here, answering `EFAULT`. ENOSYS functions declare no pointers at all, so
/// they answer ENOSYS whatever they are given.
enum WASIFunction: Int, CaseIterable {
    case argsGet, argsSizesGet, environGet, environSizesGet
    case clockResGet, clockTimeGet
    case fdAdvise, fdAllocate, fdClose, fdDatasync, fdFdstatGet, fdFdstatSetFlags, fdFdstatSetRights
    case fdFilestatGet, fdFilestatSetSize, fdFilestatSetTimes, fdPread, fdPrestatGet, fdPrestatDirName
    case fdPwrite, fdRead, fdReaddir, fdRenumber, fdSeek, fdSync, fdTell, fdWrite
    case pathCreateDirectory, pathFilestatGet, pathFilestatSetTimes, pathLink, pathOpen, pathReadlink
    case pathRemoveDirectory, pathRename, pathSymlink, pathUnlinkFile
    case pollOneoff, procExit, procRaise, schedYield, randomGet
    case sockAccept, sockRecv, sockSend, sockShutdown

    var name: StaticString {
        switch self {
        case .argsGet: return "args_get"
        case .argsSizesGet: return "args_sizes_get"
        case .environGet: return "environ_get"
        case .environSizesGet: return "environ_sizes_get"
        case .clockResGet: return "clock_res_get"
        case .clockTimeGet: return "clock_time_get"
        case .fdAdvise: return "fd_advise"
        case .fdAllocate: return "fd_allocate"
        case .fdClose: return "fd_close"
        case .fdDatasync: return "fd_datasync"
        case .fdFdstatGet: return "fd_fdstat_get"
        case .fdFdstatSetFlags: return "fd_fdstat_set_flags"
        case .fdFdstatSetRights: return "fd_fdstat_set_rights"
        case .fdFilestatGet: return "fd_filestat_get"
        case .fdFilestatSetSize: return "fd_filestat_set_size"
        case .fdFilestatSetTimes: return "fd_filestat_set_times"
        case .fdPread: return "fd_pread"
        case .fdPrestatGet: return "fd_prestat_get"
        case .fdPrestatDirName: return "fd_prestat_dir_name"
        case .fdPwrite: return "fd_pwrite"
        case .fdRead: return "fd_read"
        case .fdReaddir: return "fd_readdir"
        case .fdRenumber: return "fd_renumber"
        case .fdSeek: return "fd_seek"
        case .fdSync: return "fd_sync"
        case .fdTell: return "fd_tell"
        case .fdWrite: return "fd_write"
        case .pathCreateDirectory: return "path_create_directory"
        case .pathFilestatGet: return "path_filestat_get"
        case .pathFilestatSetTimes: return "path_filestat_set_times"
        case .pathLink: return "path_link"
        case .pathOpen: return "path_open"
        case .pathReadlink: return "path_readlink"
        case .pathRemoveDirectory: return "path_remove_directory"
        case .pathRename: return "path_rename"
        case .pathSymlink: return "path_symlink"
        case .pathUnlinkFile: return "path_unlink_file"
        case .pollOneoff: return "poll_oneoff"
        case .procExit: return "proc_exit"
        case .procRaise: return "proc_raise"
        case .schedYield: return "sched_yield"
        case .randomGet: return "random_get"
        case .sockAccept: return "sock_accept"
        case .sockRecv: return "sock_recv"
        case .sockSend: return "sock_send"
        case .sockShutdown: return "sock_shutdown"
        }
    }

    var signature: HostSignature {
        switch self {
        case .argsGet, .environGet: return HostSignature("ii)i")
        case .argsSizesGet, .environSizesGet: return HostSignature("44)i")
        case .clockResGet: return HostSignature("i8)i")
        case .clockTimeGet: return HostSignature("iI8)i")
        case .fdAdvise: return HostSignature("iIIi)i")
        case .fdAllocate: return HostSignature("iII)i")
        case .fdClose, .fdDatasync, .fdSync: return HostSignature("i)i")
        case .fdFdstatGet, .fdFdstatSetFlags, .fdFilestatGet, .fdRenumber: return HostSignature("ii)i")
        case .fdFdstatSetRights: return HostSignature("iII)i")
        case .fdFilestatSetSize: return HostSignature("iI)i")
        case .fdFilestatSetTimes: return HostSignature("iIIi)i")
        case .fdPread, .fdPwrite: return HostSignature("iiiI4)i")
        case .fdPrestatGet: return HostSignature("i8)i")
        case .fdPrestatDirName, .pathCreateDirectory, .pathRemoveDirectory, .pathUnlinkFile:
            return HostSignature("i*~)i")
        case .fdRead, .fdWrite: return HostSignature("iii4)i")
        case .fdReaddir: return HostSignature("i*~I4)i")
        case .fdSeek: return HostSignature("iIi8)i")
        case .fdTell: return HostSignature("i8)i")
        case .pathFilestatGet: return HostSignature("ii*~i)i")
        case .pathFilestatSetTimes: return HostSignature("iiiiIIi)i")
        case .pathLink: return HostSignature("iiiiiii)i")
        case .pathOpen: return HostSignature("ii*~iIIi4)i")
        case .pathReadlink: return HostSignature("i*~*~4)i")
        case .pathRename: return HostSignature("i*~i*~)i")
        case .pathSymlink: return HostSignature("iiiii)i")
        case .pollOneoff: return HostSignature("iii4)i")
        case .procExit: return HostSignature("i)")
        case .procRaise: return HostSignature("i)i")
        case .schedYield: return HostSignature(")i")
        case .randomGet: return HostSignature("*~)i")
        case .sockAccept: return HostSignature("iii)i")
        case .sockRecv: return HostSignature("iiiiii)i")
        case .sockSend: return HostSignature("iiiii)i")
        case .sockShutdown: return HostSignature("ii)i")
        }
    }
}
