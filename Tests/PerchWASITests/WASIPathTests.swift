import PerchCore
import PerchPlatform
import Testing
@testable import PerchWASI

@Suite struct SandboxEscapeTests {
    static let escapes: [(String, WASIErrno)] = [
        ("../secret.txt", .notcapable),
        ("..", .notcapable),
        ("sub/../../secret.txt", .notcapable),
        ("./sub/../..//secret.txt", .notcapable),
        ("/etc/passwd", .notcapable),
        ("//etc/passwd", .notcapable),
        ("link-out", .notcapable),         // relative symlink pointing above the root
        ("link-abs", .notcapable),         // absolute symlink
        ("link-dir/../../secret.txt", .notcapable),
        ("loop-a", .loop),
        ("", .noent),
        ("hello.txt\0/../../secret.txt", .inval),
    ]

    @Test(arguments: SandboxKind.allCases)
    func noPathReachesOutsideThePreopen(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        for (path, expected) in Self.escapes {
            #expect(g.open(path).0 == expected, "open \(path)")
            let stat = g.reserve(64)
            let (p, n) = g.place(path)
            #expect(g.errno("path_filestat_get", 3, 1, p, n, UInt64(stat)) == expected, "stat \(path)")
        }
        for path in ["../x", "/x", "sub/../../x", "link-out/x", "link-abs/x"] {
            #expect(g.pathCall("path_create_directory", path) == .notcapable, "mkdir \(path)")
            #expect(g.pathCall("path_unlink_file", path) == .notcapable, "unlink \(path)")
            #expect(g.pathCall("path_remove_directory", path) == .notcapable, "rmdir \(path)")
        }
        let (old, oldLength) = g.place("hello.txt")
        let (new, newLength) = g.place("../stolen.txt")
        #expect(g.errno("path_rename", 3, old, oldLength, 3, new, newLength) == .notcapable)
        #expect(g.errno("path_rename", 3, new, newLength, 3, old, oldLength) == .notcapable)
        #expect(sandbox.contents("hello.txt") == Array("hello, sandbox".utf8))
        // Nothing outside was created or changed.
        if let memory = sandbox.memoryFiles {
            #expect(memory.contents("outside/secret.txt") == Array("secret".utf8))
            #expect(!memory.exists("outside/x"))
            #expect(!memory.exists("outside/stolen.txt"))
            #expect(memory.openHandleCount == 1)
        }
    }

    @Test(arguments: SandboxKind.allCases)
    func symlinksInsideTheSandboxWork(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        let (result, fd) = g.open("link-in")
        #expect(result == .success)
        #expect(g.read(fd, 16).1 == Array("inner".utf8))
        let (viaDirectory, fd2) = g.open("link-dir/inner.txt")
        #expect(viaDirectory == .success)
        #expect(g.read(fd2, 16).1 == Array("inner".utf8))
        #expect(g.open("link-dir/../hello.txt").0 == .success)
        // Without SYMLINK_FOLLOW the final symlink itself is not opened through.
        #expect(g.open("link-in", follow: false).0 == .loop)
        let stat = g.reserve(64)
        let (p, n) = g.place("link-in")
        #expect(g.errno("path_filestat_get", 3, 0, p, n, UInt64(stat)) == .success)
        #expect(g.u8(stat + 16) == FileType.symbolicLink.rawValue)
        #expect(g.errno("path_filestat_get", 3, 1, p, n, UInt64(stat)) == .success)
        #expect(g.u8(stat + 16) == FileType.regularFile.rawValue)
        #expect(g.u64(stat + 32) == 5)
        // path_readlink returns the link text.
        let buffer = g.reserve(32)
        let used = g.reserve(4)
        #expect(g.errno("path_readlink", 3, p, n, UInt64(buffer), 32, UInt64(used)) == .success)
        #expect(g.bytes(at: buffer, Int(g.u32(used))) == Array("sub/inner.txt".utf8))
        let (plain, plainLength) = g.place("hello.txt")
        #expect(g.errno("path_readlink", 3, plain, plainLength, UInt64(buffer), 32, UInt64(used)) == .inval)
        // Removing a symlink removes the link, not its target.
        #expect(g.pathCall("path_unlink_file", "link-in") == .success)
        #expect(sandbox.contents("sub/inner.txt") == Array("inner".utf8))
    }

    @Test(arguments: SandboxKind.allCases)
    func pathsInsideTheSandboxResolve(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        for path in ["hello.txt", "./hello.txt", "sub/../hello.txt", "sub//./inner.txt", "sub/inner.txt"] {
            #expect(g.open(path).0 == .success, "\(path)")
        }
        #expect(g.open(".", oflags: 2).0 == .success)
        #expect(g.open("sub/..", oflags: 2).0 == .success)
        #expect(g.open("hello.txt/x").0 == .notdir)
        #expect(g.open("missing/x").0 == .noent)
        #expect(g.open(String(repeating: "a", count: 5000)).0 == .nametoolong)
        // A directory descriptor opened inside the sandbox is itself a root for paths.
        let (_, sub) = g.open("sub", oflags: 2)
        #expect(g.open("inner.txt", in: sub).0 == .success)
        #expect(g.open("../hello.txt", in: sub).0 == .notcapable)
        // Paths need a directory descriptor.
        let (_, file) = g.open("hello.txt")
        #expect(g.open("x", in: file).0 == .notdir)
        #expect(g.open("x", in: 1).0 == .notdir)
        #expect(g.open("x", in: 30).0 == .badf)
        // The path pointer is checked before the call.
        let out = g.reserve(4)
        #expect(g.invoke("path_open", [3, 0, UInt64(GuestHarness.memorySize - 2), 4, 0, 0, 0, 0, UInt64(out)])
            == .trap(.outOfBoundsPointer))
    }
}

@Suite struct PathOperationTests {
    @Test(arguments: SandboxKind.allCases)
    func openCreatesTruncatesAndRefuses(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        let (created, fd) = g.open("new.txt", oflags: 1, read: false, write: true)
        #expect(created == .success)
        #expect(g.write(fd, "fresh").0 == .success)
        #expect(sandbox.contents("new.txt") == Array("fresh".utf8))
        #expect(g.open("new.txt", oflags: 1 | 4, write: true).0 == .exist)        // CREAT|EXCL
        #expect(g.open("hello.txt", oflags: 2).0 == .notdir)                      // DIRECTORY on a file
        #expect(g.open("sub", write: true).0 == .isdir)
        #expect(g.open("nothing.txt").0 == .noent)
        let (truncated, t) = g.open("hello.txt", oflags: 8, read: false, write: true)
        #expect(truncated == .success)
        #expect(sandbox.contents("hello.txt") == [])
        // Opened read-only: writing fails as on the host.
        let (_, readOnly) = g.open("sub/inner.txt")
        #expect(g.write(readOnly, "x").0 == .badf)
        let fdstat = g.reserve(24)
        #expect(g.errno("fd_fdstat_get", UInt64(t), UInt64(fdstat)) == .success)
        #expect(g.u8(fdstat) == FileType.regularFile.rawValue)
        #expect(g.u64(fdstat + 8) & (1 << 6) != 0)
    }

    @Test(arguments: SandboxKind.allCases)
    func directoriesAreCreatedAndRemoved(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        #expect(g.pathCall("path_create_directory", "made") == .success)
        #expect(sandbox.exists("made"))
        #expect(g.pathCall("path_create_directory", "made") == .exist)
        #expect(g.pathCall("path_create_directory", "nope/deeper") == .noent)
        #expect(g.open("made/f.txt", oflags: 1, write: true).0 == .success)
        #expect(g.pathCall("path_remove_directory", "made") == .notempty)
        #expect(g.pathCall("path_unlink_file", "made") == .isdir)
        #expect(g.pathCall("path_remove_directory", "made/f.txt") == .notdir)
        #expect(g.pathCall("path_unlink_file", "made/f.txt") == .success)
        #expect(g.pathCall("path_unlink_file", "made/f.txt") == .noent)
        #expect(g.pathCall("path_remove_directory", "made") == .success)
        #expect(!sandbox.exists("made"))
        #expect(g.pathCall("path_create_directory", "x", in: 1) == .notdir)
        #expect(g.pathCall("path_create_directory", "x", in: 44) == .badf)
    }

    @Test(arguments: SandboxKind.allCases)
    func renameMovesWithinAndBetweenDirectories(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        func rename(_ from: String, _ to: String, newFd: UInt32 = 3) -> WASIErrno? {
            let (a, an) = g.place(from)
            let (b, bn) = g.place(to)
            return g.errno("path_rename", 3, a, an, UInt64(newFd), b, bn)
        }
        #expect(rename("hello.txt", "sub/moved.txt") == .success)
        #expect(sandbox.contents("sub/moved.txt") == Array("hello, sandbox".utf8))
        #expect(!sandbox.exists("hello.txt"))
        #expect(rename("hello.txt", "x") == .noent)
        #expect(rename("sub/moved.txt", "sub/inner.txt") == .success)  // replaces a file
        #expect(sandbox.contents("sub/inner.txt") == Array("hello, sandbox".utf8))
        #expect(g.pathCall("path_create_directory", "d") == .success)
        #expect(rename("sub/inner.txt", "d") == .isdir)
        #expect(rename("sub", "sub/inside") == .inval)
        let (_, sub) = g.open("sub", oflags: 2)
        #expect(rename("d", "renamed", newFd: sub) == .success)
        #expect(sandbox.exists("sub/renamed"))
    }

    @Test(arguments: SandboxKind.allCases)
    func filestatOfPaths(_ kind: SandboxKind) throws {
        let sandbox = try Sandbox(kind)
        let g = sandbox.guest
        let stat = g.reserve(64)
        let (p, n) = g.place("sub")
        #expect(g.errno("path_filestat_get", 3, 1, p, n, UInt64(stat)) == .success)
        #expect(g.u8(stat + 16) == FileType.directory.rawValue)
        let (m, mn) = g.place("missing")
        #expect(g.errno("path_filestat_get", 3, 1, m, mn, UInt64(stat)) == .noent)
        #expect(g.errno("path_filestat_get", 3, 1, p, n, UInt64(GuestHarness.memorySize - 8)) == .fault)
    }
}
