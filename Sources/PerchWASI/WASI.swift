import PerchCore

/// One open WASI file descriptor.
struct Descriptor {
    enum Kind: UInt8 {
        case free
        /// stdin, stdout or stderr: never seekable, never closed on the host.
        case stream
        case file
        case directory
    }

    var kind: Kind = .free
    var handle = FileHandle(raw: -1)
    var type: FileType = .unknown
    var flags: UInt16 = 0
    var rightsBase: UInt64 = 0
    var rightsInheriting: UInt64 = 0
    /// Index into `WASI.preopenNames` for a `--dir` preopen, else -1.
    var preopen: Int = -1
}

/// `wasi_snapshot_preview1` as a host module, over the platform seam.
///
/// State is fixed at start-up: arguments, environment and preopens are copied once, the
/// descriptor table has a fixed number of slots, path resolution uses buffers taken once.
/// A call allocates nothing.
///
/// Only what the user grants is visible: directories given as preopens (`--dir`), the
/// environment variables given (`--env`), nothing else of the host.
public final class WASI: HostModule {
    public var moduleName: StaticString { "wasi_snapshot_preview1" }

    let platform: Platform
    var files: any FileSystem { platform.files }
    var descriptors: [Descriptor]
    /// Arguments as consecutive NUL-terminated strings, and how many there are.
    let argumentBytes: [UInt8]
    let argumentCount: Int
    let environmentBytes: [UInt8]
    let environmentCount: Int
    var preopenNames: [[UInt8]] = []
    let resolver: PathResolver
    /// A second resolver so `path_rename` can hold both paths at once.
    let secondResolver: PathResolver

    /// - Parameters:
    ///   - arguments: the guest's argv, program name first.
    ///   - environment: `KEY=VALUE` strings, exactly what the guest may see.
    ///   - descriptorCapacity: size of the fixed descriptor table (stdio included).
    public init(platform: Platform, arguments: [String], environment: [String], descriptorCapacity: Int = 64) {
        self.platform = platform
        (argumentBytes, argumentCount) = Self.packStrings(arguments)
        (environmentBytes, environmentCount) = Self.packStrings(environment)
        descriptors = [Descriptor](repeating: Descriptor(), count: max(descriptorCapacity, 4))
        resolver = PathResolver(files: platform.files)
        secondResolver = PathResolver(files: platform.files)
        for index in 0..<3 {
            let handle = platform.files.standardStream(index)
            var descriptor = Descriptor(kind: .stream, handle: handle, type: .characterDevice,
                                        rightsBase: WASIConstant.rightsStream, rightsInheriting: 0)
            if let stat = try? platform.files.stat(handle), stat.type != .unknown { descriptor.type = stat.type }
            if descriptor.type != .characterDevice { descriptor.rightsBase = WASIConstant.rightsAll }
            descriptors[index] = descriptor
        }
    }

    deinit {
        for index in 3..<descriptors.count where descriptors[index].kind != .free {
            files.close(descriptors[index].handle)
        }
    }

    /// Grants the guest directory `hostPath` as `guestPath` (`--dir HOST::GUEST`); returns
    /// its descriptor number. Preopens take the numbers after stdio, in order.
    @discardableResult
    public func addPreopen(hostPath: String, guestPath: String) throws(WASIErrno) -> UInt32 {
        guard let slot = freeSlot() else { throw .mfile }
        var hostBytes = Array(hostPath.utf8)
        if hostBytes.isEmpty { hostBytes = [UInt8(ascii: ".")] }
        let opened = hostBytes.withUnsafeBytes { (bytes) -> Result<FileHandle, PlatformError> in
            do throws(PlatformError) { return .success(try files.openPreopen(bytes)) } catch { return .failure(error) }
        }
        let handle: FileHandle
        switch opened {
        case .success(let value): handle = value
        case .failure(let error): throw WASIErrno(error)
        }
        preopenNames.append(Array(guestPath.utf8))
        descriptors[slot] = Descriptor(kind: .directory, handle: handle, type: .directory, flags: 0,
                                       rightsBase: WASIConstant.rightsAll, rightsInheriting: WASIConstant.rightsAll,
                                       preopen: preopenNames.count - 1)
        return UInt32(slot)
    }

    // MARK: HostModule

    public func lookup(field: NameBytes) -> Int? {
        for function in WASIFunction.allCases where field == function.name { return function.rawValue }
        return nil
    }

    public func signature(of index: Int) -> HostSignature {
        (WASIFunction(rawValue: index) ?? .procRaise).signature
    }

    public func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        guard let function = WASIFunction(rawValue: index) else { return .trap(.hostFailure) }
        let result: WASIErrno
        switch function {
        case .argsGet: result = argsGet(call, argumentBytes, argumentCount)
        case .argsSizesGet: result = sizesGet(call, argumentBytes, argumentCount)
        case .environGet: result = argsGet(call, environmentBytes, environmentCount)
        case .environSizesGet: result = sizesGet(call, environmentBytes, environmentCount)
        case .clockResGet: result = clockResGet(call)
        case .clockTimeGet: result = clockTimeGet(call)
        case .randomGet: result = randomGet(call)
        case .procExit: return .exit(code: call.i32(0))
        case .schedYield:
            call.setI32(0, 0)
            return .suspend(wakeAfterNanoseconds: 0)
        case .pollOneoff: return pollOneoff(call)
        case .fdAdvise: result = fdAdvise(call)
        case .fdClose: result = fdClose(call)
        case .fdDatasync, .fdSync: result = fdSync(call)
        case .fdFdstatGet: result = fdFdstatGet(call)
        case .fdFdstatSetFlags: result = fdFdstatSetFlags(call)
        case .fdFilestatGet: result = fdFilestatGet(call)
        case .fdFilestatSetSize: result = fdFilestatSetSize(call)
        case .fdPread: result = fdTransfer(call, write: false, positioned: true)
        case .fdPwrite: result = fdTransfer(call, write: true, positioned: true)
        case .fdRead: result = fdTransfer(call, write: false, positioned: false)
        case .fdWrite: result = fdTransfer(call, write: true, positioned: false)
        case .fdPrestatGet: result = fdPrestatGet(call)
        case .fdPrestatDirName: result = fdPrestatDirName(call)
        case .fdReaddir: result = fdReaddir(call)
        case .fdRenumber: result = fdRenumber(call)
        case .fdSeek: result = fdSeek(call)
        case .fdTell: result = fdTell(call)
        case .pathCreateDirectory: result = pathCreateDirectory(call)
        case .pathFilestatGet: result = pathFilestatGet(call)
        case .pathOpen: result = pathOpen(call)
        case .pathReadlink: result = pathReadlink(call)
        case .pathRemoveDirectory: result = pathRemove(call, directory: true)
        case .pathUnlinkFile: result = pathRemove(call, directory: false)
        case .pathRename: result = pathRename(call)
        default:
            result = .nosys  // exactly the functions `isUnimplemented` lists (tested)
        }
        call.setI32(0, UInt32(result.rawValue))
        return .done
    }

    /// The names of the functions this module answers with something other than ENOSYS.
    public static var implementedFunctions: [StaticString] {
        WASIFunction.allCases.filter { !$0.isUnimplemented }.map { $0.name }
    }

    // MARK: descriptor table

    func freeSlot() -> Int? {
        for index in 0..<descriptors.count where descriptors[index].kind == .free { return index }
        return nil
    }

    func descriptor(_ fd: UInt32) throws(WASIErrno) -> Descriptor {
        guard fd < UInt32(descriptors.count), descriptors[Int(fd)].kind != .free else { throw .badf }
        return descriptors[Int(fd)]
    }

    func directoryDescriptor(_ fd: UInt32) throws(WASIErrno) -> Descriptor {
        let entry = try descriptor(fd)
        guard entry.kind == .directory else { throw .notdir }
        return entry
    }

    private static func packStrings(_ strings: [String]) -> ([UInt8], Int) {
        var bytes: [UInt8] = []
        for string in strings {
            bytes.append(contentsOf: string.utf8)
            bytes.append(0)
        }
        return (bytes, strings.count)
    }
}

extension WASIFunction {
    var isUnimplemented: Bool {
        switch self {
        case .fdAllocate, .fdFdstatSetRights, .fdFilestatSetTimes, .pathFilestatSetTimes, .pathLink,
             .pathSymlink, .procRaise, .sockAccept, .sockRecv, .sockSend, .sockShutdown:
            return true
        default:
            return false
        }
    }
}

/// Little-endian stores into guest memory already checked to hold them.
extension UnsafeMutableRawBufferPointer {
    @inline(__always) func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }

    @inline(__always) func get<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
