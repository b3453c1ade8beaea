import Foundation
import PerchCore
import PerchPlatform
import Testing
@testable import PerchWASI

@Suite struct StdioTests {
    @Test func writeGathersIovecsToStdoutAndStderr() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        let a = g.place(Array("hello ".utf8))
        let b = g.place(Array("world\n".utf8))
        let iov = g.iovecs([(a, 6), (b, 0), (b, 6)])
        let out = g.reserve(4)
        #expect(g.errno("fd_write", 1, UInt64(iov), 3, UInt64(out)) == .success)
        #expect(g.u32(out) == 12)
        #expect(sandbox.memoryFiles!.stdout == Array("hello world\n".utf8))
        #expect(g.write(2, "oops").0 == .success)
        #expect(sandbox.memoryFiles!.stderr == Array("oops".utf8))
    }

    @Test func aBadIovecIsEFAULTAndNothingIsWritten() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        let a = g.place(Array("abc".utf8))
        let out = g.reserve(4)
        let iov = g.iovecs([(a, 3), (UInt32(GuestHarness.memorySize - 2), 8)])
        #expect(g.errno("fd_write", 1, UInt64(iov), 2, UInt64(out)) == .fault)
        #expect(sandbox.memoryFiles!.stdout.isEmpty)
        // The iovec array itself out of bounds, or its count overflowing.
        #expect(g.errno("fd_write", 1, UInt64(GuestHarness.memorySize - 4), 1, UInt64(out)) == .fault)
        #expect(g.errno("fd_write", 1, UInt64(iov), 0x2000_0000, UInt64(out)) == .fault)
        // The result pointer is checked by the signature: a trap.
        #expect(g.invoke("fd_write", [1, UInt64(iov), 1, UInt64(GuestHarness.memorySize)]) == .trap(.outOfBoundsPointer))
    }

    @Test func badDescriptorsAreEBADF() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        #expect(g.write(9, "x").0 == .badf)
        #expect(g.write(0xFFFF_FFFF, "x").0 == .badf)
        #expect(g.read(40, 4).0 == .badf)
        #expect(g.errno("fd_close", 50) == .badf)
        #expect(g.errno("fd_sync", 7) == .badf)
        let out = g.reserve(64)
        #expect(g.errno("fd_fdstat_get", 12, UInt64(out)) == .badf)
        #expect(g.errno("fd_filestat_get", 12, UInt64(out)) == .badf)
        #expect(g.errno("fd_seek", 12, 0, 0, UInt64(out)) == .badf)
        #expect(g.errno("fd_tell", 12, UInt64(out)) == .badf)
        #expect(g.errno("fd_prestat_get", 12, UInt64(out)) == .badf)
        #expect(g.errno("fd_readdir", 12, UInt64(out), 64, 0, UInt64(out)) == .badf)
        #expect(g.errno("fd_fdstat_set_flags", 12, 0) == .badf)
        #expect(g.errno("fd_renumber", 12, 1) == .badf)
        #expect(g.errno("fd_advise", 12, 0, 0, 0) == .badf)
        #expect(g.errno("fd_filestat_set_size", 12, 0) == .badf)
    }

    @Test func stdinReadsThenEndsAndAClosedStdinIsEBADF() throws {
        let sandbox = try Sandbox(.memory, stdin: Array("line\n".utf8))
        let g = sandbox.guest
        let first = g.read(0, 3)
        #expect(first.0 == .success)
        #expect(first.1 == Array("lin".utf8))
        #expect(g.read(0, 10).1 == Array("e\n".utf8))
        let end = g.read(0, 10)
        #expect(end.0 == .success)
        #expect(end.1.isEmpty)
        #expect(g.errno("fd_close", 0) == .success)
        #expect(g.read(0, 1).0 == .badf)
        #expect(g.errno("fd_close", 0) == .badf)
    }

    @Test func stdioIsAStreamWithoutSeekRights() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        let stat = g.reserve(24)
        #expect(g.errno("fd_fdstat_get", 1, UInt64(stat)) == .success)
        #expect(g.u8(stat) == FileType.characterDevice.rawValue)
        #expect(g.u64(stat + 8) & (1 << 2) == 0)  // no FD_SEEK: isatty() is true
        #expect(g.u64(stat + 8) & (1 << 6) != 0)  // FD_WRITE
        let out = g.reserve(8)
        #expect(g.errno("fd_seek", 1, 0, 1, UInt64(out)) == .spipe)
        #expect(g.errno("fd_tell", 1, UInt64(out)) == .spipe)
        #expect(g.errno("fd_sync", 1) == .success)
        let filestat = g.reserve(64)
        #expect(g.errno("fd_filestat_get", 1, UInt64(filestat)) == .success)
        #expect(g.u8(filestat + 16) == FileType.characterDevice.rawValue)
        #expect(g.errno("fd_fdstat_get", 1, UInt64(GuestHarness.memorySize - 8)) == .fault)
    }
}

@Suite struct FileDescriptorTests {
    @Test(arguments: SandboxKind.allCases)
    func seekTellAndPositionedIO(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        let (result, fd) = g.open("hello.txt", read: true, write: true)
        #expect(result == .success)
        let out = g.reserve(8)
        #expect(g.errno("fd_seek", UInt64(fd), 7, 0, UInt64(out)) == .success)
        #expect(g.u64(out) == 7)
        #expect(g.read(fd, 100).1 == Array("sandbox".utf8))
        #expect(g.errno("fd_tell", UInt64(fd), UInt64(out)) == .success)
        #expect(g.u64(out) == 14)
        #expect(g.errno("fd_seek", UInt64(fd), UInt64(bitPattern: -3), 2, UInt64(out)) == .success)
        #expect(g.u64(out) == 11)
        #expect(g.errno("fd_seek", UInt64(fd), UInt64(bitPattern: -100), 1, UInt64(out)) == .inval)
        #expect(g.errno("fd_seek", UInt64(fd), 0, 3, UInt64(out)) == .inval)
        #expect(g.invoke("fd_seek", [UInt64(fd), 0, 0, UInt64(GuestHarness.memorySize - 4)]) == .trap(.outOfBoundsPointer))

        let data = g.place(Array("HELLO".utf8))
        let iov = g.iovecs([(data, 5)])
        #expect(g.errno("fd_pwrite", UInt64(fd), UInt64(iov), 1, 0, UInt64(out)) == .success)
        #expect(g.u32(out) == 5)
        let buffer = g.reserve(8)
        let readIov = g.iovecs([(buffer, 8)])
        #expect(g.errno("fd_pread", UInt64(fd), UInt64(readIov), 1, 3, UInt64(out)) == .success)
        #expect(g.bytes(at: buffer, Int(g.u32(out))) == Array("LO, sand".utf8))
        #expect(g.errno("fd_tell", UInt64(fd), UInt64(out)) == .success)
        #expect(g.u64(out) == 11)  // positioned I/O leaves the position alone
        #expect(sandbox.contents("hello.txt") == Array("HELLO, sandbox".utf8))
        #expect(g.errno("fd_pwrite", 1, UInt64(iov), 1, 0, UInt64(out)) == .spipe)
        #expect(g.errno("fd_close", UInt64(fd)) == .success)
    }

    @Test(arguments: SandboxKind.allCases)
    func statsFlagsSizeAndClose(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        let (_, fd) = g.open("hello.txt", read: true, write: true)
        let stat = g.reserve(64)
        #expect(g.errno("fd_filestat_get", UInt64(fd), UInt64(stat)) == .success)
        #expect(g.u8(stat + 16) == FileType.regularFile.rawValue)
        #expect(g.u64(stat + 32) == 14)
        #expect(g.errno("fd_filestat_set_size", UInt64(fd), 5) == .success)
        #expect(sandbox.contents("hello.txt") == Array("hello".utf8))
        #expect(g.errno("fd_filestat_set_size", 3, 5) == .isdir)

        #expect(g.errno("fd_fdstat_set_flags", UInt64(fd), 1) == .success)  // APPEND
        let fdstat = g.reserve(24)
        #expect(g.errno("fd_fdstat_get", UInt64(fd), UInt64(fdstat)) == .success)
        #expect(g.u16(fdstat + 2) == 1)
        #expect(g.write(fd, "!").0 == .success)
        #expect(sandbox.contents("hello.txt") == Array("hello!".utf8))
        #expect(g.errno("fd_fdstat_set_flags", UInt64(fd), 16) == .notsup)  // SYNC

        #expect(g.errno("fd_advise", UInt64(fd), 0, 0, 1) == .success)
        #expect(g.errno("fd_advise", UInt64(fd), 0, 0, 9) == .inval)
        #expect(g.errno("fd_sync", UInt64(fd)) == .success)
        #expect(g.errno("fd_datasync", UInt64(fd)) == .success)
        #expect(g.errno("fd_close", UInt64(fd)) == .success)
        #expect(g.errno("fd_close", UInt64(fd)) == .badf)
        #expect(g.write(fd, "x").0 == .badf)
        if let memory = sandbox.memoryFiles { #expect(memory.openHandleCount == 1) }  // the preopen
    }

    @Test func preopensAreDescribedFromFd3() throws {
        let sandbox = try Sandbox(.memory)
        let g = sandbox.guest
        let prestat = g.reserve(8)
        #expect(g.errno("fd_prestat_get", 3, UInt64(prestat)) == .success)
        #expect(g.u8(prestat) == 0)
        #expect(g.u32(prestat + 4) == 8)
        let name = g.reserve(8)
        #expect(g.errno("fd_prestat_dir_name", 3, UInt64(name), 8) == .success)
        #expect(g.bytes(at: name, 8) == Array("/sandbox".utf8))
        #expect(g.errno("fd_prestat_dir_name", 3, UInt64(name), 4) == .nametoolong)
        #expect(g.errno("fd_prestat_get", 4, UInt64(prestat)) == .badf)  // how wasi-libc's scan ends
        #expect(g.errno("fd_prestat_get", 1, UInt64(prestat)) == .badf)
        let (_, file) = g.open("hello.txt")
        #expect(g.errno("fd_prestat_get", UInt64(file), UInt64(prestat)) == .badf)
        #expect(g.errno("fd_prestat_dir_name", UInt64(file), UInt64(name), 8) == .badf)
        let fdstat = g.reserve(24)
        #expect(g.errno("fd_fdstat_get", 3, UInt64(fdstat)) == .success)
        #expect(g.u8(fdstat) == FileType.directory.rawValue)
        #expect(g.u64(fdstat + 16) != 0)  // inheriting rights for wasi-libc's open()
        let out = g.reserve(8)
        #expect(g.errno("fd_seek", 3, 0, 0, UInt64(out)) == .badf)
        #expect(g.read(3, 4).0 == .isdir)
    }

    @Test func aMissingPreopenIsReported() throws {
        let wasi = WASI(platform: makeSimulatedPlatform(), arguments: [], environment: [])
        #expect(throws: WASIErrno.noent) { try wasi.addPreopen(hostPath: "nowhere", guestPath: "/x") }
        let linux = WASI(platform: LinuxPlatform.makePlatform(), arguments: [], environment: [])
        #expect(throws: WASIErrno.noent) { try linux.addPreopen(hostPath: "/nonexistent-perch-dir", guestPath: "/x") }
        #expect(throws: WASIErrno.notdir) { try linux.addPreopen(hostPath: "/etc/passwd", guestPath: "/x") }
    }

    @Test func aPreopenNamedThroughASymlinkOpens() throws {
        let sandbox = try Sandbox(.linux)
        let link = sandbox.hostRoot!.appendingPathComponent("sandbox-link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "sandbox")
        let fd = try sandbox.wasi.addPreopen(hostPath: link.path, guestPath: "/via-link")
        #expect(fd == 4)
        #expect(sandbox.guest.open("hello.txt", in: fd).0 == .success)
        #expect(sandbox.guest.open("../secret.txt", in: fd).0 == .notcapable)
    }

    @Test(arguments: SandboxKind.allCases)
    func renumberMovesADescriptor(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        let (_, a) = g.open("hello.txt")
        let (_, b) = g.open("sub/inner.txt")
        #expect(g.errno("fd_renumber", UInt64(b), UInt64(a)) == .success)
        #expect(g.read(a, 10).1 == Array("inner".utf8))
        #expect(g.read(b, 1).0 == .badf)
        #expect(g.errno("fd_renumber", UInt64(a), UInt64(a)) == .success)
    }

    @Test func theDescriptorTableIsFixedAndFullIsEMFILE() throws {
        let sandbox = try Sandbox(.memory, descriptorCapacity: 6)
        let g = sandbox.guest
        #expect(g.open("hello.txt").0 == .success)  // fd 4
        #expect(g.open("hello.txt").0 == .success)  // fd 5
        #expect(g.open("hello.txt").0 == .mfile)
        #expect(g.errno("fd_close", 4) == .success)
        let again = g.open("hello.txt")
        #expect(again.0 == .success)
        #expect(again.1 == 4)
    }

    @Test(arguments: SandboxKind.allCases)
    func readdirListsEntriesAndResumesFromACookie(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        let (_, dir) = g.open("sub", oflags: 2)
        let buffer = g.reserve(512)
        let used = g.reserve(4)
        #expect(g.errno("fd_readdir", UInt64(dir), UInt64(buffer), 512, 0, UInt64(used)) == .success)
        var names: [String] = []
        var offset: UInt32 = 0
        var cookies: [UInt64] = []
        while offset + 24 <= g.u32(used) {
            let length = g.u32(buffer + offset + 16)
            cookies.append(g.u64(buffer + offset))
            names.append(String(decoding: g.bytes(at: buffer + offset + 24, Int(length)), as: UTF8.self))
            if names.last == "inner.txt" { #expect(g.u8(buffer + offset + 20) == FileType.regularFile.rawValue) }
            offset += 24 + length
        }
        #expect(offset == g.u32(used))  // less than the buffer: the listing is complete
        #expect(names.sorted() == [".", "..", "inner.txt"])

        // A buffer too small for one entry is filled completely (the entry cut off).
        #expect(g.errno("fd_readdir", UInt64(dir), UInt64(buffer), 30, 0, UInt64(used)) == .success)
        #expect(g.u32(used) == 30)
        // Continuing from the first entry's cookie yields the rest.
        #expect(g.errno("fd_readdir", UInt64(dir), UInt64(buffer), 512, cookies[0], UInt64(used)) == .success)
        #expect(g.u32(used) == offset - 24 - UInt32(names[0].utf8.count))

        let (_, file) = g.open("hello.txt")
        #expect(g.errno("fd_readdir", UInt64(file), UInt64(buffer), 512, 0, UInt64(used)) == .notdir)
        #expect(g.invoke("fd_readdir", [UInt64(dir), UInt64(GuestHarness.memorySize - 8), 16, 0, UInt64(used)])
            == .trap(.outOfBoundsPointer))
    }
}

@Suite struct HostStreamTests {
    @Test func aHostWithClosedStdinAnswersEBADF() throws {
        let sandbox = try Sandbox(.memory)
        sandbox.memoryFiles!.stdinClosed = true
        #expect(sandbox.guest.read(0, 4).0 == .badf)
        #expect(sandbox.guest.write(1, "still fine").0 == .success)
    }

    @Test func linuxReadinessFollowsThePipe() throws {
        let pipe = Pipe()
        let linux = LinuxPlatform()
        let reader = PerchCore.FileHandle(raw: pipe.fileHandleForReading.fileDescriptor)
        #expect(!linux.waitReadable(reader, timeout: 1_000_000))  // nothing written: times out
        pipe.fileHandleForWriting.write(Data("x".utf8))
        #expect(linux.waitReadable(reader, timeout: nil))
        var byte: UInt8 = 0
        let count = try withUnsafeMutableBytes(of: &byte) { try linux.read(reader, into: $0) }
        #expect(count == 1)
        #expect(byte == UInt8(ascii: "x"))
        try pipe.fileHandleForWriting.close()
        #expect(linux.waitReadable(reader, timeout: 0))  // end of file is readable too
        #expect(throws: PlatformError.badHandle) { try linux.read(PerchCore.FileHandle(raw: 999), into: UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
    }
}
