import PerchCore

/// The `fd_*` functions.
extension WASI {
    /// `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`: scatter/gather over iovecs.
    /// Every iovec is checked before any byte moves (`EFAULT`); a short transfer stops
    /// the loop, and an error after some bytes moved reports those bytes (like readv).
    func fdTransfer(_ call: HostCall, write: Bool, positioned: Bool) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(call.i32(0)) } catch { return error }
        let iovecCount = call.i32(2)
        let (iovecBytes, overflow) = iovecCount.multipliedReportingOverflow(by: WASIConstant.iovecSize)
        guard !overflow, let iovecs = call.memory.range(call.i32(1), iovecBytes) else { return .fault }
        var position = positioned ? call.i64(3) : 0
        let resultAddress = call.i32(positioned ? 4 : 3)
        guard call.memory.range(resultAddress, 4) != nil else { return .fault }
        for index in 0..<Int(iovecCount) {
            let address = iovecs.get(UInt32.self, at: index * 8)
            let length = iovecs.get(UInt32.self, at: index * 8 + 4)
            guard call.memory.range(address, length) != nil else { return .fault }
        }
        if entry.kind == .directory { return write ? .badf : .isdir }
        if positioned && entry.kind == .stream { return .spipe }

        var total: UInt32 = 0
        for index in 0..<Int(iovecCount) {
            let address = iovecs.get(UInt32.self, at: index * 8)
            let length = iovecs.get(UInt32.self, at: index * 8 + 4)
            guard length > 0, let buffer = call.memory.range(address, min(length, UInt32.max - total)) else {
                continue
            }
            let moved: Int
            do {
                switch (write, positioned) {
                case (false, false): moved = try files.read(entry.handle, into: buffer)
                case (true, false): moved = try files.write(entry.handle, from: UnsafeRawBufferPointer(buffer))
                case (false, true): moved = try files.read(entry.handle, into: buffer, at: position)
                case (true, true): moved = try files.write(entry.handle, from: UnsafeRawBufferPointer(buffer), at: position)
                }
            } catch {
                if total > 0 { break }
                return WASIErrno(error)
            }
            total &+= UInt32(truncatingIfNeeded: moved)
            position &+= UInt64(moved)
            if moved < buffer.count || total == UInt32.max { break }
        }
        call.memory.store(total, at: resultAddress)
        return .success
    }

    func fdClose(_ call: HostCall) -> WASIErrno {
        let fd = call.i32(0)
        let entry: Descriptor
        do { entry = try descriptor(fd) } catch { return error }
        if entry.kind != .stream { files.close(entry.handle) }
        descriptors[Int(fd)] = Descriptor()
        return .success
    }

    func fdSync(_ call: HostCall) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(call.i32(0)) } catch { return error }
        if entry.kind == .stream { return .success }
        do { try files.sync(entry.handle) } catch { return WASIErrno(error) }
        return .success
    }

    func fdAdvise(_ call: HostCall) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(call.i32(0)) } catch { return error }
        guard call.i32(3) <= 5 else { return .inval }
        if entry.kind == .directory { return .badf }
        if entry.kind == .stream { return .spipe }
        return .success  // advice is a hint; Perch has no page cache to tune
    }

    func fdFdstatGet(_ call: HostCall) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(call.i32(0)) } catch { return error }
        guard let out = call.memory.range(call.i32(1), WASIConstant.fdstatSize) else { return .fault }
        out.put(entry.type.rawValue, at: 0)
        out.put(UInt8(0), at: 1)
        out.put(entry.flags, at: 2)
        out.put(UInt32(0), at: 4)
        out.put(entry.rightsBase, at: 8)
        out.put(entry.rightsInheriting, at: 16)
        return .success
    }

    /// Only APPEND and NONBLOCK can be changed; the sync flags are refused (`ENOTSUP`).
    /// On stdio the flags are recorded but the host's own streams are left as they are.
    func fdFdstatSetFlags(_ call: HostCall) -> WASIErrno {
        let fd = call.i32(0)
        var entry: Descriptor
        do { entry = try descriptor(fd) } catch { return error }
        let flags = call.i32(1)
        let changeable = UInt32(WASIConstant.fdAppend | WASIConstant.fdNonblock)
        guard flags <= 0xFFFF else { return .inval }
        guard flags & ~changeable == 0 else { return .notsup }
        if entry.kind == .file {
            do {
                try files.setFlags(entry.handle, HandleFlags(append: flags & UInt32(WASIConstant.fdAppend) != 0,
                                                             nonBlocking: flags & UInt32(WASIConstant.fdNonblock) != 0))
            } catch {
                return WASIErrno(error)
            }
        }
        entry.flags = UInt16(flags)
        descriptors[Int(fd)] = entry
        return .success
    }

    func fdFilestatGet(_ call: HostCall) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(call.i32(0)) } catch { return error }
        guard let out = call.memory.range(call.i32(1), WASIConstant.filestatSize) else { return .fault }
        do {
            var stat = try files.stat(entry.handle)
            if entry.kind == .stream && stat.type == .unknown { stat.type = entry.type }
            Self.writeFilestat(stat, to: out)
            return .success
        } catch {
            return WASIErrno(error)
        }
    }

    func fdFilestatSetSize(_ call: HostCall) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(call.i32(0)) } catch { return error }
        switch entry.kind {
        case .directory: return .isdir
        case .stream: return .inval
        default: break
        }
        do {
            try files.setSize(entry.handle, call.i64(1))
            return .success
        } catch {
            return WASIErrno(error)
        }
    }

    func fdPrestatGet(_ call: HostCall) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(call.i32(0)) } catch { return error }
        guard entry.preopen >= 0, let out = call.memory.range(call.i32(1), 8) else {
            return entry.preopen >= 0 ? .fault : .badf
        }
        out.put(UInt32(0), at: 0)  // tag 0: a directory, then padding
        out.put(UInt32(preopenNames[entry.preopen].count), at: 4)
        return .success
    }

    func fdPrestatDirName(_ call: HostCall) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(call.i32(0)) } catch { return error }
        guard entry.preopen >= 0 else { return .badf }
        let name = preopenNames[entry.preopen]
        guard let out = call.memory.range(call.i32(1), call.i32(2)) else { return .fault }
        guard out.count >= name.count else { return .nametoolong }
        name.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<name.count]).copyMemory(from: $0) }
        return .success
    }

    /// `fd_readdir`: dirent headers and names packed into the buffer; the last entry is
    /// cut off when the buffer is full, which tells the guest to call again from its cookie.
    func fdReaddir(_ call: HostCall) -> WASIErrno {
        let entry: Descriptor
        do { entry = try directoryDescriptor(call.i32(0)) } catch { return error }
        guard let out = call.memory.range(call.i32(1), call.i32(2)) else { return .fault }
        let usedAddress = call.i32(4)
        guard call.memory.range(usedAddress, 4) != nil else { return .fault }
        var used = 0
        do {
            try files.readDirectory(entry.handle, from: call.i64(3)) { item in
                var header: (UInt64, UInt64, UInt32, UInt32) = (
                    item.nextCookie.littleEndian, item.inode.littleEndian,
                    UInt32(truncatingIfNeeded: item.name.count).littleEndian, UInt32(item.type.rawValue).littleEndian)
                withUnsafeBytes(of: &header) { bytes in
                    let count = min(bytes.count, out.count - used)
                    UnsafeMutableRawBufferPointer(rebasing: out[used..<(used + count)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
                    used += count
                }
                let count = min(item.name.count, out.count - used)
                UnsafeMutableRawBufferPointer(rebasing: out[used..<(used + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: item.name[0..<count]))
                used += count
                return used < out.count
            }
        } catch {
            return WASIErrno(error)
        }
        call.memory.store(UInt32(used), at: usedAddress)
        return .success
    }

    func fdRenumber(_ call: HostCall) -> WASIErrno {
        let from = call.i32(0)
        let to = call.i32(1)
        let source: Descriptor
        let target: Descriptor
        do {
            source = try descriptor(from)
            target = try descriptor(to)
        } catch {
            return error
        }
        if from == to { return .success }
        if target.kind != .stream { files.close(target.handle) }
        descriptors[Int(to)] = source
        descriptors[Int(from)] = Descriptor()
        return .success
    }

    func fdSeek(_ call: HostCall) -> WASIErrno {
        guard let origin = call.i32(2) <= 2 ? SeekOrigin(rawValue: UInt8(call.i32(2))) : nil else { return .inval }
        return seek(call, fd: call.i32(0), offset: Int64(bitPattern: call.i64(1)), origin: origin, resultIndex: 3)
    }

    func fdTell(_ call: HostCall) -> WASIErrno {
        seek(call, fd: call.i32(0), offset: 0, origin: .current, resultIndex: 1)
    }

    private func seek(_ call: HostCall, fd: UInt32, offset: Int64, origin: SeekOrigin, resultIndex: Int) -> WASIErrno {
        let entry: Descriptor
        do { entry = try descriptor(fd) } catch { return error }
        switch entry.kind {
        case .stream: return .spipe
        case .directory: return .badf
        default: break
        }
        guard call.memory.range(call.i32(resultIndex), 8) != nil else { return .fault }
        do {
            let position = try files.seek(entry.handle, offset: offset, from: origin)
            call.memory.store(position, at: call.i32(resultIndex))
            return .success
        } catch {
            return WASIErrno(error)
        }
    }

    static func writeFilestat(_ stat: FileStat, to out: UnsafeMutableRawBufferPointer) {
        out.put(stat.device, at: 0)
        out.put(stat.inode, at: 8)
        out.put(UInt64(stat.type.rawValue), at: 16)  // filetype u8, then padding
        out.put(stat.linkCount, at: 24)
        out.put(stat.size, at: 32)
        out.put(stat.accessTime, at: 40)
        out.put(stat.modificationTime, at: 48)
        out.put(stat.statusChangeTime, at: 56)
    }
}
