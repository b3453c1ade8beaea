/// What a deployment promises: which app, which version, what it may touch, how much
/// memory and fuel it gets, and exactly which module bytes (size + SHA-256). The signature
/// covers the manifest's canonical bytes, so it covers the module through its hash.
///
/// Canonical encoding (little-endian; exactly one encoding per manifest, so the signed
/// bytes and the decoded value cannot disagree):
/// ```
///  4   magic "PMF1"
///  1+n app name (1...32 bytes of A-Z a-z 0-9 _ -)
///  8   version (must increase per app: replay protection)
///  4   module size in bytes
///  32  module SHA-256
///  4   arena size in bytes
///  4   fuel per slice
///  1   grant count (at most 32), then per grant 1+n bytes (1...64 bytes of printable
///      ASCII), strictly ascending byte order (sorted, no duplicates)
/// ```
public struct Manifest: Sendable, Equatable {
    public static let magic: [UInt8] = [0x50, 0x4D, 0x46, 0x31]
    public static let maxNameLength = 32
    public static let maxGrants = 32
    public static let maxGrantLength = 64

    public var app: String
    public var version: UInt64
    public var moduleSize: UInt32
    public var moduleSHA256: [UInt8]
    public var arenaSize: UInt32
    public var fuelSlice: UInt32
    public var grants: [String]

    // The sizes as Int, clamped rather than converted: `Int(x)` traps on 32-bit targets for
    // x >= 2^31, and no module or arena that large fits there, so the file-size and arena
    // checks downstream reject the clamped value.
    public var moduleByteCount: Int { Int(clamping: moduleSize) }
    public var arenaByteCount: Int { Int(clamping: arenaSize) }

    public init(
        app: String, version: UInt64, moduleSize: UInt32, moduleSHA256: [UInt8],
        arenaSize: UInt32, fuelSlice: UInt32, grants: [String]
    ) {
        self.app = app
        self.version = version
        self.moduleSize = moduleSize
        self.moduleSHA256 = moduleSHA256
        self.arenaSize = arenaSize
        self.fuelSlice = fuelSlice
        self.grants = grants
    }

    public static func == (a: Manifest, b: Manifest) -> Bool {
        sameBytes(a.app, b.app) && a.version == b.version && a.moduleSize == b.moduleSize
            && a.moduleSHA256 == b.moduleSHA256 && a.arenaSize == b.arenaSize
            && a.fuelSlice == b.fuelSlice && a.grants.count == b.grants.count
            && zip(a.grants, b.grants).allSatisfy { sameBytes($0, $1) }
    }

    /// True for names safe to use as a store directory and on the wire.
    public static func isValidAppName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard utf8.count >= 1, utf8.count <= maxNameLength else { return false }
        for c in utf8 {
            let ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
            if !ok { return false }
        }
        return true
    }

    static func isValidGrant(_ grant: [UInt8]) -> Bool {
        guard grant.count >= 1, grant.count <= maxGrantLength else { return false }
        for c in grant where c < 0x21 || c > 0x7E { return false }
        return true
    }

    /// The canonical bytes (grants sorted); nil if a field is out of range.
    public func encoded() -> [UInt8]? {
        guard Manifest.isValidAppName(app), moduleSHA256.count == SHA256.digestSize,
            grants.count <= Manifest.maxGrants
        else { return nil }
        var sortedGrants = grants.map { Array($0.utf8) }
        sortedGrants.sort { $0.lexicographicallyPrecedes($1) }
        var previous: [UInt8]? = nil
        for g in sortedGrants {
            guard Manifest.isValidGrant(g) else { return nil }
            if let previous, previous == g { return nil }
            previous = g
        }
        var w = ByteWriter(capacity: 96)
        w.raw(Manifest.magic)
        w.shortString(app)
        w.u64(version)
        w.u32(moduleSize)
        w.raw(moduleSHA256)
        w.u32(arenaSize)
        w.u32(fuelSlice)
        w.u8(UInt8(sortedGrants.count))
        for g in sortedGrants {
            w.u8(UInt8(g.count))
            w.raw(g)
        }
        return w.bytes
    }

    /// Reads canonical bytes; anything non-canonical (unsorted grants, trailing bytes, bad
    /// names) is rejected, so one manifest has one signature-covered encoding.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Manifest {
        var r = ByteReader(bytes)
        let magic = try r.raw(4, "manifest magic")
        guard magic.elementsEqual(Manifest.magic) else { throw DecodeError(offset: 0, what: "manifest magic") }
        let nameStart = r.offset
        let app = try r.shortString("app name")
        guard isValidAppName(app) else { throw DecodeError(offset: nameStart, what: "app name") }
        let version = try r.u64("version")
        let moduleSize = try r.u32("module size")
        let hash = try r.array(SHA256.digestSize, "module SHA-256")
        let arenaSize = try r.u32("arena size")
        let fuelSlice = try r.u32("fuel slice")
        let grantStart = r.offset
        let count = Int(try r.u8("grant count"))
        guard count <= maxGrants else { throw DecodeError(offset: grantStart, what: "grant count") }
        var grants: [String] = []
        var previous: [UInt8]? = nil
        for _ in 0..<count {
            let at = r.offset
            let n = Int(try r.u8("grant"))
            let g = try r.array(n, "grant")
            guard isValidGrant(g) else { throw DecodeError(offset: at, what: "grant") }
            if let previous, !previous.lexicographicallyPrecedes(g) {
                throw DecodeError(offset: at, what: "grant order (must be sorted, no duplicates)")
            }
            previous = g
            grants.append(String(decoding: g, as: UTF8.self))
        }
        try r.expectEnd("end of manifest")
        return Manifest(
            app: app, version: version, moduleSize: moduleSize, moduleSHA256: hash,
            arenaSize: arenaSize, fuelSlice: fuelSlice, grants: grants)
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Manifest {
        let result: Result<Manifest, DecodeError> = bytes.withUnsafeBytes { raw in
            do throws(DecodeError) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
