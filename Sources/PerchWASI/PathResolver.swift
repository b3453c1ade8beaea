import PerchCore

/// A guest path resolved to a directory handle and one final name, ready for a `*at` call.
struct ResolvedPath {
    /// The directory holding the final component.
    let parent: FileHandle
    /// True if `parent` was opened during resolution and must be closed (`release`).
    let ownsParent: Bool
    /// The final component: never empty, never containing `/`, never `..`.
    let name: UnsafeRawBufferPointer
}

/// Resolves guest paths inside a sandbox root, one component at a time.
///
/// The sandbox rule: a path names something under the directory descriptor it is
/// resolved against, never above it. So:
/// - absolute paths are refused (`ENOTCAPABLE`; wasi-libc maps absolute paths onto
///   preopens itself before calling WASI);
/// - `..` is applied lexically, and going above the root is refused (`ENOTCAPABLE`);
/// - every intermediate directory is opened with `openat(O_NOFOLLOW | O_DIRECTORY)`
///   from the one before, starting at the root handle, so the platform never follows a
///   symlink by itself;
/// - a symlink met on the way is read and spliced into the path here, relative to its
///   own directory; an absolute target is refused, and the spliced path is checked by the
///   same rules again. At most `symlinkBudget` symlinks per path (`ELOOP`).
/// Because symlinks are expanded before any `..` after them is applied, and directories
/// walked so far contain no symlinks, the lexical `..` is the physical parent.
/// (One difference from POSIX: in `link/../x` the `..` cancels `link` without reading it.)
///
/// # Invariants
/// - `canonical` and `work` each hold `capacity` bytes, allocated once in `init` and freed
///   in `deinit`; lengths written into them are checked against `capacity` first.
/// - A `ResolvedPath.name` points into `canonical` and stays valid until the next
///   `resolve` on the same resolver; callers use it before resolving again.
final class PathResolver {
    static let capacity = 4096
    static let symlinkBudget = 32
    private let canonical: UnsafeMutableRawBufferPointer
    private let work: UnsafeMutableRawBufferPointer
    private var canonicalLength = 0
    private let files: any FileSystem

    init(files: any FileSystem) {
        self.files = files
        canonical = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.capacity, alignment: 1)
        work = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.capacity, alignment: 1)
    }

    deinit {
        canonical.deallocate()
        work.deallocate()
    }

    /// Resolves `path` below directory `root`. With `followFinal`, a symlink as the final
    /// component is followed too (still inside the sandbox).
    func resolve(root: FileHandle, path: UnsafeRawBufferPointer, followFinal: Bool)
        throws(WASIErrno) -> ResolvedPath
    {
        guard !path.isEmpty else { throw .noent }
        guard path.count < Self.capacity else { throw .nametoolong }
        guard !path.contains(0) else { throw .inval }
        guard path[0] != UInt8(ascii: "/") else { throw .notcapable }
        var workLength = path.count
        UnsafeMutableRawBufferPointer(rebasing: work[0..<workLength]).copyMemory(from: path)

        var linksLeft = Self.symlinkBudget
        while true {
            try canonicalize(workLength)
            var current = root
            var owned = false
            var start = 0
            var spliced = false
            // Intermediate components: every one but the last.
            while let slash = nextSlash(from: start) {
                let component = UnsafeRawBufferPointer(rebasing: canonical[start..<slash])
                let next: FileHandle
                do {
                    next = try files.open(at: current, component, .directoryLookup)
                } catch {
                    let failure = error
                    if (failure == .loop || failure == .notDirectory),
                       let length = try splice(at: current, componentStart: start, componentEnd: slash, &linksLeft) {
                        if owned { files.close(current) }
                        workLength = length
                        spliced = true
                        break
                    }
                    if owned { files.close(current) }
                    throw WASIErrno(failure)
                }
                if owned { files.close(current) }
                current = next
                owned = true
                start = slash + 1
            }
            if spliced { continue }

            let name: UnsafeRawBufferPointer
            if canonicalLength == 0 {
                canonical[0] = UInt8(ascii: ".")
                name = UnsafeRawBufferPointer(rebasing: canonical[0..<1])
            } else {
                name = UnsafeRawBufferPointer(rebasing: canonical[start..<canonicalLength])
            }
            if followFinal, canonicalLength > 0,
               let length = try splice(at: current, componentStart: start, componentEnd: canonicalLength, &linksLeft) {
                if owned { files.close(current) }
                workLength = length
                continue
            }
            return ResolvedPath(parent: current, ownsParent: owned, name: name)
        }
    }

    func release(_ resolved: ResolvedPath) {
        if resolved.ownsParent { files.close(resolved.parent) }
    }

    /// If `canonical[componentStart..<componentEnd]` is a symlink in `directory`, writes
    /// the path with the link replaced by its target into `work` and returns its length;
    /// nil if it is not a symlink.
    private func splice(at directory: FileHandle, componentStart: Int, componentEnd: Int,
                        _ linksLeft: inout Int) throws(WASIErrno) -> Int?
    {
        let component = UnsafeRawBufferPointer(rebasing: canonical[componentStart..<componentEnd])
        let room = UnsafeMutableRawBufferPointer(rebasing: work[componentStart..<Self.capacity])
        let targetLength: Int
        do {
            targetLength = try files.readLink(at: directory, component, into: room)
        } catch {
            return nil
        }
        guard linksLeft > 0 else { throw .loop }
        linksLeft -= 1
        guard targetLength > 0 else { throw .noent }
        guard targetLength < room.count else { throw .nametoolong }
        guard room[0] != UInt8(ascii: "/") else { throw .notcapable }
        // work = prefix (the directories already walked) + target + rest of the path.
        let rest = canonicalLength - componentEnd
        let total = componentStart + targetLength + rest
        guard total < Self.capacity else { throw .nametoolong }
        UnsafeMutableRawBufferPointer(rebasing: work[0..<componentStart])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: canonical[0..<componentStart]))
        if rest > 0 {
            UnsafeMutableRawBufferPointer(rebasing: work[(componentStart + targetLength)..<total])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: canonical[componentEnd..<canonicalLength]))
        }
        return total
    }

    /// Copies `work[0..<length]` into `canonical` without empty or `.` components and with
    /// `..` applied; refuses `..` above the root.
    private func canonicalize(_ length: Int) throws(WASIErrno) {
        guard work[0] != UInt8(ascii: "/") else { throw .notcapable }
        canonicalLength = 0
        var start = 0
        while start <= length {
            var end = start
            while end < length && work[end] != UInt8(ascii: "/") { end += 1 }
            let count = end - start
            if count == 0 || (count == 1 && work[start] == UInt8(ascii: ".")) {
                // empty or "." component: nothing to add
            } else if count == 2 && work[start] == UInt8(ascii: ".") && work[start + 1] == UInt8(ascii: ".") {
                guard canonicalLength > 0 else { throw .notcapable }
                while canonicalLength > 0 && canonical[canonicalLength - 1] != UInt8(ascii: "/") {
                    canonicalLength -= 1
                }
                if canonicalLength > 0 { canonicalLength -= 1 }  // the separating slash
            } else {
                if canonicalLength > 0 {
                    canonical[canonicalLength] = UInt8(ascii: "/")
                    canonicalLength += 1
                }
                UnsafeMutableRawBufferPointer(rebasing: canonical[canonicalLength..<(canonicalLength + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: work[start..<end]))
                canonicalLength += count
            }
            start = end + 1
        }
    }

    private func nextSlash(from start: Int) -> Int? {
        var i = start
        while i < canonicalLength {
            if canonical[i] == UInt8(ascii: "/") { return i }
            i += 1
        }
        return nil
    }
}
