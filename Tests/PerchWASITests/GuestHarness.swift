import Foundation
import PerchCore
import PerchPlatform
@testable import PerchWASI

/// Calls WASI functions the way the interpreter does: arguments in value-stack slots,
/// pointer parameters checked from the signature first (a bad one traps), over a linear
/// memory of `memorySize` bytes.
final class GuestHarness {
    static let memorySize = 65536
    let memory: UnsafeMutableRawPointer
    let slots: UnsafeMutablePointer<UInt64>
    let wasi: WASI
    /// Next free address for `place`.
    private var next: UInt32 = 1024

    init(wasi: WASI) {
        self.wasi = wasi
        memory = UnsafeMutableRawPointer.allocate(byteCount: Self.memorySize, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: Self.memorySize)
        slots = UnsafeMutablePointer<UInt64>.allocate(capacity: 16)
        slots.initialize(repeating: 0, count: 16)
    }

    deinit {
        memory.deallocate()
        slots.deallocate()
    }

    var guestMemory: GuestMemory { GuestMemory(base: memory, size: Self.memorySize) }

    @discardableResult
    func invoke(_ name: String, _ arguments: [UInt64]) -> HostOutcome {
        let index = name.utf8CString.withUnsafeBufferPointer { buffer in
            wasi.lookup(field: NameBytes(start: UnsafeRawPointer(buffer.baseAddress!), count: buffer.count - 1))
        }
        guard let index else { fatalError("no WASI function \(name)") }
        for (i, argument) in arguments.enumerated() { slots[i] = argument }
        let call = HostCall(slots: slots, memory: guestMemory)
        if wasi.signature(of: index).firstBadPointer(in: call) != nil { return .trap(.outOfBoundsPointer) }
        return wasi.call(index, call)
    }

    /// Calls `name` and returns its errno (nil if the call did not return normally).
    func errno(_ name: String, _ arguments: UInt64...) -> WASIErrno? {
        switch invoke(name, arguments) {
        case .done, .suspend: return WASIErrno(rawValue: UInt16(truncatingIfNeeded: slots[0]))
        default: return nil
        }
    }

    /// Copies `bytes` into guest memory; returns the address.
    func place(_ bytes: [UInt8]) -> UInt32 {
        let address = next
        for (i, byte) in bytes.enumerated() { memory.storeBytes(of: byte, toByteOffset: Int(address) + i, as: UInt8.self) }
        next += UInt32((bytes.count + 15) & ~15) + 16
        return address
    }

    func place(_ string: String) -> (UInt64, UInt64) {
        let bytes = Array(string.utf8)
        return (UInt64(place(bytes)), UInt64(bytes.count))
    }

    /// Reserves `count` zeroed bytes.
    func reserve(_ count: Int) -> UInt32 { place([UInt8](repeating: 0, count: count)) }

    /// Places iovecs for `buffers` (address, length); returns the iovec array's address.
    func iovecs(_ buffers: [(UInt32, UInt32)]) -> UInt32 {
        var bytes: [UInt8] = []
        for (address, length) in buffers {
            bytes += withUnsafeBytes(of: address.littleEndian, Array.init)
            bytes += withUnsafeBytes(of: length.littleEndian, Array.init)
        }
        return place(bytes)
    }

    func bytes(at address: UInt32, _ count: Int) -> [UInt8] {
        (0..<count).map { memory.load(fromByteOffset: Int(address) + $0, as: UInt8.self) }
    }

    func u8(_ address: UInt32) -> UInt8 { memory.load(fromByteOffset: Int(address), as: UInt8.self) }
    func u16(_ address: UInt32) -> UInt16 { UInt16(littleEndian: memory.loadUnaligned(fromByteOffset: Int(address), as: UInt16.self)) }
    func u32(_ address: UInt32) -> UInt32 { UInt32(littleEndian: memory.loadUnaligned(fromByteOffset: Int(address), as: UInt32.self)) }
    func u64(_ address: UInt32) -> UInt64 { UInt64(littleEndian: memory.loadUnaligned(fromByteOffset: Int(address), as: UInt64.self)) }

    // MARK: conveniences over WASI calls

    /// `path_open` relative to `fd`; returns (errno, new fd).
    func open(_ path: String, in fd: UInt32 = 3, oflags: UInt16 = 0, read: Bool = true, write: Bool = false,
              fdflags: UInt16 = 0, follow: Bool = true) -> (WASIErrno?, UInt32) {
        let (p, n) = place(path)
        let out = reserve(4)
        var rights: UInt64 = 0
        if read { rights |= 1 << 1 | 1 << 14 }
        if write { rights |= 1 << 6 }
        let result = errno("path_open", UInt64(fd), follow ? 1 : 0, p, n, UInt64(oflags), rights, rights,
                           UInt64(fdflags), UInt64(out))
        return (result, u32(out))
    }

    func write(_ fd: UInt32, _ text: String) -> (WASIErrno?, UInt32) {
        let data = place(Array(text.utf8))
        let iov = iovecs([(data, UInt32(text.utf8.count))])
        let out = reserve(4)
        return (errno("fd_write", UInt64(fd), UInt64(iov), 1, UInt64(out)), u32(out))
    }

    func read(_ fd: UInt32, _ count: Int) -> (WASIErrno?, [UInt8]) {
        let buffer = reserve(count)
        let iov = iovecs([(buffer, UInt32(count))])
        let out = reserve(4)
        let result = errno("fd_read", UInt64(fd), UInt64(iov), 1, UInt64(out))
        return (result, bytes(at: buffer, Int(u32(out))))
    }

    func pathCall(_ name: String, _ path: String, in fd: UInt32 = 3) -> WASIErrno? {
        let (p, n) = place(path)
        return errno(name, UInt64(fd), p, n)
    }
}

/// A sandbox for the tests, on one of the two platforms.
enum SandboxKind: String, CaseIterable, CustomStringConvertible {
    case memory
    case linux
    var description: String { rawValue }
}

/// A WASI instance whose fd 3 is a sandbox directory `/sandbox` containing:
///
///     hello.txt            "hello, sandbox"
///     sub/inner.txt        "inner"
///     link-in  -> sub/inner.txt       (stays inside)
///     link-dir -> sub                 (a directory, inside)
///     link-out -> ../secret.txt       (escapes)
///     link-abs -> /etc/passwd         (absolute)
///     loop-a -> loop-b, loop-b -> loop-a
///
/// and beside the sandbox (outside it) `secret.txt`.
final class Sandbox {
    let kind: SandboxKind
    let wasi: WASI
    let guest: GuestHarness
    let memoryFiles: MemoryFileSystem?
    let clock: SimulatedClock
    let random: DeterministicRandom
    /// Host directory holding `sandbox/` and `secret.txt` (Linux only).
    let hostRoot: URL?

    init(_ kind: SandboxKind, arguments: [String] = ["prog"], environment: [String] = [],
         stdin: [UInt8] = [], descriptorCapacity: Int = 64) throws {
        self.kind = kind
        clock = SimulatedClock()
        random = DeterministicRandom()
        let files: any FileSystem
        switch kind {
        case .memory:
            let memory = MemoryFileSystem()
            memory.addFile("outside/secret.txt", Array("secret".utf8))
            memory.addFile("outside/sandbox/hello.txt", Array("hello, sandbox".utf8))
            memory.addFile("outside/sandbox/sub/inner.txt", Array("inner".utf8))
            memory.addSymlink("outside/sandbox/link-in", target: "sub/inner.txt")
            memory.addSymlink("outside/sandbox/link-dir", target: "sub")
            memory.addSymlink("outside/sandbox/link-out", target: "../secret.txt")
            memory.addSymlink("outside/sandbox/link-abs", target: "/etc/passwd")
            memory.addSymlink("outside/sandbox/loop-a", target: "loop-b")
            memory.addSymlink("outside/sandbox/loop-b", target: "loop-a")
            memory.stdinData = stdin
            memoryFiles = memory
            hostRoot = nil
            files = memory
        case .linux:
            let root = FileManager.default.temporaryDirectory
                .appendingPathComponent("perch-wasi-\(UUID().uuidString)")
            let sandbox = root.appendingPathComponent("sandbox")
            let fm = FileManager.default
            try fm.createDirectory(at: sandbox.appendingPathComponent("sub"), withIntermediateDirectories: true)
            try Data("secret".utf8).write(to: root.appendingPathComponent("secret.txt"))
            try Data("hello, sandbox".utf8).write(to: sandbox.appendingPathComponent("hello.txt"))
            try Data("inner".utf8).write(to: sandbox.appendingPathComponent("sub/inner.txt"))
            for (name, target) in [("link-in", "sub/inner.txt"), ("link-dir", "sub"), ("link-out", "../secret.txt"),
                                   ("link-abs", "/etc/passwd"), ("loop-a", "loop-b"), ("loop-b", "loop-a")] {
                try fm.createSymbolicLink(atPath: sandbox.appendingPathComponent(name).path, withDestinationPath: target)
            }
            memoryFiles = nil
            hostRoot = root
            files = LinuxPlatform()
        }
        let platform = Platform(clock: clock, random: random, files: files)
        wasi = WASI(platform: platform, arguments: arguments, environment: environment,
                    descriptorCapacity: descriptorCapacity)
        let sandboxPath = kind == .memory ? "outside/sandbox" : hostRoot!.appendingPathComponent("sandbox").path
        try wasi.addPreopen(hostPath: sandboxPath, guestPath: "/sandbox")
        guest = GuestHarness(wasi: wasi)
    }

    deinit {
        if let hostRoot { try? FileManager.default.removeItem(at: hostRoot) }
    }

    /// Contents of a file under the sandbox, read from the host side.
    func contents(_ path: String) -> [UInt8]? {
        if let memoryFiles { return memoryFiles.contents("outside/sandbox/" + path) }
        return FileManager.default.contents(atPath: hostRoot!.appendingPathComponent("sandbox/" + path).path).map(Array.init)
    }

    func exists(_ path: String) -> Bool {
        if let memoryFiles { return memoryFiles.exists("outside/sandbox/" + path) }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: hostRoot!.appendingPathComponent("sandbox/" + path).path,
                                              isDirectory: &isDirectory)
    }
}
