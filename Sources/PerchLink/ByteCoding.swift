/// Byte-wise string equality. `==` on String compares by Unicode canonical equivalence,
/// which pulls the normalisation tables into Embedded builds; names here are byte strings.
@inline(__always)
public func sameBytes(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

/// Little-endian writer for message payloads and manifests.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { for k in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> UInt16(8 &* k))) } }
    public mutating func u32(_ v: UInt32) { for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(8 &* k))) } }
    public mutating func u64(_ v: UInt64) { for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(8 &* k))) } }
    public mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }
    public mutating func raw(_ v: UnsafeRawBufferPointer) { bytes.append(contentsOf: v) }
    /// A string of at most 255 bytes, length-prefixed (longer text is cut: messages only).
    public mutating func shortString(_ s: String) {
        let utf8 = Array(s.utf8.prefix(255))
        u8(UInt8(utf8.count))
        raw(utf8)
    }
    /// A string of at most 65535 bytes, length-prefixed.
    public mutating func longString(_ s: String) {
        let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
        u16(UInt16(utf8.count))
        raw(utf8)
    }
}

/// Why a payload could not be read: where, and what was expected.
public struct DecodeError: Error, Sendable {
    public let offset: Int
    public let what: StaticString

    public init(offset: Int, what: StaticString) {
        self.offset = offset
        self.what = what
    }

    public var message: String { "\(what) at byte \(offset)" }
}

/// Bounds-checked little-endian reader over a payload; every read can fail, none traps.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var remaining: Int { bytes.count &- offset }
    public var atEnd: Bool { offset == bytes.count }

    private mutating func take(_ n: Int, _ what: StaticString) throws(DecodeError) -> Int {
        guard n >= 0, n <= remaining else { throw DecodeError(offset: offset, what: what) }
        let at = offset
        offset &+= n
        return at
    }

    public mutating func u8(_ what: StaticString) throws(DecodeError) -> UInt8 {
        bytes[try take(1, what)]
    }

    public mutating func u16(_ what: StaticString) throws(DecodeError) -> UInt16 {
        let at = try take(2, what)
        return UInt16(bytes[at]) | UInt16(bytes[at &+ 1]) << 8
    }

    public mutating func u32(_ what: StaticString) throws(DecodeError) -> UInt32 {
        let at = try take(4, what)
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[at &+ k]) << UInt32(8 &* k) }
        return v
    }

    public mutating func u64(_ what: StaticString) throws(DecodeError) -> UInt64 {
        let at = try take(8, what)
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[at &+ k]) << UInt64(8 &* k) }
        return v
    }

    public mutating func raw(_ n: Int, _ what: StaticString) throws(DecodeError) -> UnsafeRawBufferPointer {
        let at = try take(n, what)
        return UnsafeRawBufferPointer(rebasing: bytes[at..<(at &+ n)])
    }

    public mutating func array(_ n: Int, _ what: StaticString) throws(DecodeError) -> [UInt8] {
        Array(try raw(n, what))
    }

    public mutating func shortString(_ what: StaticString) throws(DecodeError) -> String {
        let n = Int(try u8(what))
        return String(decoding: try raw(n, what), as: UTF8.self)
    }

    public mutating func longString(_ what: StaticString) throws(DecodeError) -> String {
        let n = Int(try u16(what))
        return String(decoding: try raw(n, what), as: UTF8.self)
    }

    public func expectEnd(_ what: StaticString) throws(DecodeError) {
        guard atEnd else { throw DecodeError(offset: offset, what: what) }
    }
}
