import PerchCore

/// The `path_*` functions: every path is resolved by `PathResolver` inside the directory
/// descriptor it is given, then acted on with one `*at` call on the final name.
extension WASI {
    /// The guest bytes of the path at parameters `index`, `index + 1`.
    private func guestPath(_ call: HostCall, _ index: Int) throws(WASIErrno) -> UnsafeRawBufferPointer {
        guard let bytes = call.memory.range(call.i32(index), call.i32(index + 1)) else { throw .fault }
        return UnsafeRawBufferPointer(bytes)
    }

    private func resolve(_ call: HostCall, fd: Int, path: Int, follow: Bool, with resolver: PathResolver)
        throws(WASIErrno) -> ResolvedPath
    {
        let directory = try directoryDescriptor(call.i32(fd))
        return try resolver.resolve(root: directory.handle, path: try guestPath(call, path), followFinal: follow)
    }

    /// `path_open(fd, dirflags, path, path_len, oflags, rights_base, rights_inheriting, fdflags, *fd)`.
    func pathOpen(_ call: HostCall) -> WASIErrno {
        do {
            let directory = try directoryDescriptor(call.i32(0))
            let resultAddress = call.i32(8)
            guard call.memory.range(resultAddress, 4) != nil else { return .fault }
            guard let slot = freeSlot() else { return .mfile }
            let openFlags = UInt16(truncatingIfNeeded: call.i32(4))
            let fdFlags = UInt16(truncatingIfNeeded: call.i32(7))
            let rights = call.i64(5)
            var options = OpenOptions()
            options.directory = openFlags & WASIConstant.openDirectory != 0
            options.create = openFlags & WASIConstant.openCreate != 0
            options.exclusive = openFlags & WASIConstant.openExclusive != 0
            options.truncate = openFlags & WASIConstant.openTruncate != 0
            options.append = fdFlags & WASIConstant.fdAppend != 0
            options.nonBlocking = fdFlags & WASIConstant.fdNonblock != 0
            options.write = !options.directory && rights & WASIConstant.rightFdWrite != 0
            options.read = options.directory || rights & WASIConstant.rightFdRead != 0 || !options.write

            let follow = call.i32(1) & WASIConstant.lookupSymlinkFollow != 0
            let resolved = try resolve(call, fd: 0, path: 2, follow: follow, with: resolver)
            defer { resolver.release(resolved) }
            let handle: FileHandle
            let stat: FileStat
            do throws(PlatformError) {
                handle = try files.open(at: resolved.parent, resolved.name, options)
                do {
                    stat = try files.stat(handle)
                } catch {
                    files.close(handle)
                    throw error
                }
            } catch {
                return WASIErrno(error)
            }
            descriptors[slot] = Descriptor(
                kind: stat.type == .directory ? .directory : .file, handle: handle, type: stat.type,
                flags: fdFlags, rightsBase: rights & directory.rightsInheriting,
                rightsInheriting: call.i64(6) & directory.rightsInheriting)
            call.memory.store(UInt32(slot), at: resultAddress)
            return .success
        } catch {
            return error
        }
    }

    /// `path_filestat_get(fd, lookupflags, path, path_len, *filestat)`.
    func pathFilestatGet(_ call: HostCall) -> WASIErrno {
        guard let out = call.memory.range(call.i32(4), WASIConstant.filestatSize) else { return .fault }
        do {
            let follow = call.i32(1) & WASIConstant.lookupSymlinkFollow != 0
            let resolved = try resolve(call, fd: 0, path: 2, follow: follow, with: resolver)
            defer { resolver.release(resolved) }
            do {
                Self.writeFilestat(try files.stat(at: resolved.parent, resolved.name), to: out)
            } catch {
                return WASIErrno(error)
            }
            return .success
        } catch {
            return error
        }
    }

    func pathCreateDirectory(_ call: HostCall) -> WASIErrno {
        do {
            let resolved = try resolve(call, fd: 0, path: 1, follow: false, with: resolver)
            defer { resolver.release(resolved) }
            do { try files.makeDirectory(at: resolved.parent, resolved.name) } catch { return WASIErrno(error) }
            return .success
        } catch {
            return error
        }
    }

    /// `path_unlink_file` (`directory` false) and `path_remove_directory` (true).
    func pathRemove(_ call: HostCall, directory: Bool) -> WASIErrno {
        do {
            let resolved = try resolve(call, fd: 0, path: 1, follow: false, with: resolver)
            defer { resolver.release(resolved) }
            do {
                if directory {
                    try files.removeDirectory(at: resolved.parent, resolved.name)
                } else {
                    try files.removeFile(at: resolved.parent, resolved.name)
                }
            } catch {
                return WASIErrno(error)
            }
            return .success
        } catch {
            return error
        }
    }

    /// `path_rename(fd, old_path, old_len, new_fd, new_path, new_len)`.
    func pathRename(_ call: HostCall) -> WASIErrno {
        do {
            let old = try resolve(call, fd: 0, path: 1, follow: false, with: resolver)
            defer { resolver.release(old) }
            let new = try resolve(call, fd: 3, path: 4, follow: false, with: secondResolver)
            defer { secondResolver.release(new) }
            do { try files.rename(at: old.parent, old.name, to: new.parent, new.name) } catch { return WASIErrno(error) }
            return .success
        } catch {
            return error
        }
    }

    /// `path_readlink(fd, path, path_len, buf, buf_len, *bufused)`: the link's text as
    /// stored (the guest resolves it through WASI again, inside the sandbox).
    func pathReadlink(_ call: HostCall) -> WASIErrno {
        guard let out = call.memory.range(call.i32(3), call.i32(4)),
              call.memory.range(call.i32(5), 4) != nil
        else { return .fault }
        do {
            let resolved = try resolve(call, fd: 0, path: 1, follow: false, with: resolver)
            defer { resolver.release(resolved) }
            let count: Int
            do { count = try files.readLink(at: resolved.parent, resolved.name, into: out) } catch { return WASIErrno(error) }
            call.memory.store(UInt32(count), at: call.i32(5))
            return .success
        } catch {
            return error
        }
    }
}
