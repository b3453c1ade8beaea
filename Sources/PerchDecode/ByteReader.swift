import PerchCore

/// A bounds-checked cursor over module bytes already in memory: the one place the binary
/// format's integer encodings (spec 5.2.2, LEB128) are read and their rules enforced.
///
/// The decoder reads sections with it and the validator reads function bodies with it, so
/// "integer too large" / "integer representation too long" are decided here only.
///
/// # Invariants
/// - `base <= position <= end`, and `base ..< end` lies inside the module's bytes, which
///   stay in place for the module's life (see `Module`).
/// - Every load checks `position < end` (or `count <= end - position`) first, so no read
///   leaves `base ..< end`; running out throws `unexpectedEndOfSectionOrFunction` at
///   the offset of `end`.
/// - Offsets in errors are `pointer - base`: byte offsets in the module.
public struct ByteReader {
    /// Byte 0 of the module, for offsets.
    public let base: UnsafeRawPointer
    public var position: UnsafeRawPointer
    /// One past the last byte this reader may read (end of a section, body or module).
    public let end: UnsafeRawPointer

    @inlinable
    public init(base: UnsafeRawPointer, position: UnsafeRawPointer, end: UnsafeRawPointer) {
        self.base = base
        self.position = position
        self.end = end
    }

    /// Offset of the next byte in the module.
    @inlinable public var offset: Int { position - base }
    @inlinable public var remaining: Int { end - position }
    @inlinable public var isAtEnd: Bool { position >= end }

    @inlinable
    public func error(_ kind: ModuleErrorKind) -> ModuleError {
        ModuleError(kind, at: position - base)
    }

    @inlinable
    public func endError() -> ModuleError {
        ModuleError(.unexpectedEndOfSectionOrFunction, at: end - base)
    }

    @inlinable @inline(__always)
    public mutating func readByte() throws(ModuleError) -> UInt8 {
        guard position < end else { throw endError() }
        let byte = position.load(as: UInt8.self)
        position += 1
        return byte
    }

    /// Unsigned 32-bit LEB128 (`u32`): at most 5 bytes, and the 5th may use only 4 bits.
    @inlinable @inline(__always)
    public mutating func readU32() throws(ModuleError) -> UInt32 {
        if position < end {
            let byte = position.load(as: UInt8.self)
            if byte < 0x80 {
                position += 1
                return UInt32(byte)
            }
        }
        return try readU32Slow()
    }

    @usableFromInline
    mutating func readU32Slow() throws(ModuleError) -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard position < end else { throw endError() }
            let byte = position.load(as: UInt8.self)
            if shift == 28 {
                // Bits 32..34 do not exist in a u32; a 6th byte is never allowed.
                if byte & 0x70 != 0 { throw error(.integerTooLarge) }
                if byte & 0x80 != 0 { throw ModuleError(.integerRepresentationTooLong, at: offset &+ 1) }
            }
            position += 1
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift &+= 7
        }
    }

    /// Signed 32-bit LEB128 (`s32`, `i32.const`).
    @inlinable @inline(__always)
    public mutating func readS32() throws(ModuleError) -> Int32 {
        Int32(truncatingIfNeeded: try readSigned(bits: 32))
    }

    /// Signed 33-bit LEB128: a block type's type index (spec 5.4.1).
    @inlinable @inline(__always)
    public mutating func readS33() throws(ModuleError) -> Int64 { try readSigned(bits: 33) }

    /// Signed 64-bit LEB128 (`s64`, `i64.const`).
    @inlinable @inline(__always)
    public mutating func readS64() throws(ModuleError) -> Int64 { try readSigned(bits: 64) }

    /// A one-byte value inline (the usual case), longer ones out of line.
    @inlinable @inline(__always)
    mutating func readSigned(bits: Int) throws(ModuleError) -> Int64 {
        if position < end {
            let byte = position.load(as: UInt8.self)
            if byte < 0x80 {
                position += 1
                return Int64(Int8(bitPattern: byte << 1) >> 1)
            }
        }
        return try readSignedSlow(bits: bits)
    }

    /// Signed LEB128 of `bits` (32, 33 or 64) bits: at most ceil(bits/7) bytes, and in the
    /// last byte the bits beyond `bits` must all equal the sign bit.
    @usableFromInline
    mutating func readSignedSlow(bits: Int) throws(ModuleError) -> Int64 {
        let maxBytes = (bits &+ 6) / 7
        var result: UInt64 = 0
        var shift = 0
        var index = 1
        while true {
            guard position < end else { throw endError() }
            let byte = position.load(as: UInt8.self)
            if index == maxBytes {
                let usedBits = bits &- shift
                // The sign bit and everything above it in this byte's 7 payload bits.
                let mask = UInt8(truncatingIfNeeded: 0x7F << (usedBits &- 1)) & 0x7F
                let top = byte & mask
                if top != 0 && top != mask { throw error(.integerTooLarge) }
                if byte & 0x80 != 0 { throw ModuleError(.integerRepresentationTooLong, at: offset &+ 1) }
            }
            position += 1
            result |= UInt64(byte & 0x7F) << UInt64(shift)
            shift &+= 7
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 { result |= ~UInt64(0) << UInt64(shift) }
                return Int64(bitPattern: result)
            }
            index &+= 1
        }
    }

    /// A little-endian 4-byte value (`f32` bits).
    @inlinable
    public mutating func readFixed32() throws(ModuleError) -> UInt32 {
        guard end - position >= 4 else { throw endError() }
        let value = position.loadUnaligned(as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    /// A little-endian 8-byte value (`f64` bits).
    @inlinable
    public mutating func readFixed64() throws(ModuleError) -> UInt64 {
        guard end - position >= 8 else { throw endError() }
        let value = position.loadUnaligned(as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    /// Skips `count` bytes and returns them.
    @inlinable
    public mutating func readBytes(_ count: Int) throws(ModuleError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= end - position else { throw endError() }
        let bytes = UnsafeRawBufferPointer(start: position, count: count)
        position += count
        return bytes
    }

    /// A `u32` length or vector count that must fit in the bytes left ("length out of
    /// bounds" otherwise). Like the reference interpreter, the bytes left are counted from
    /// the start of the length itself, so a length one byte too long is reported when the
    /// content runs out ("unexpected end of section or function").
    @inlinable
    public mutating func readLength() throws(ModuleError) -> Int {
        let start = position
        let length = try readU32()
        // Compared unsigned: on 32-bit targets a u32 need not fit in Int.
        guard UInt(length) <= UInt(bitPattern: end - start) else {
            throw ModuleError(.lengthOutOfBounds, at: start - base)
        }
        return Int(truncatingIfNeeded: length)
    }

    /// A name (spec 5.2.4): a length, then that many bytes of valid UTF-8.
    @inlinable
    public mutating func readName() throws(ModuleError) -> NameBytes {
        let count = try readLength()
        let start = position
        let bytes = try readBytes(count)
        guard isValidUTF8(bytes) else { throw ModuleError(.malformedUTF8, at: start - base) }
        return NameBytes(start: bytes.baseAddress, count: count)
    }

    @inlinable
    public mutating func readValueType() throws(ModuleError) -> ValueType {
        let start = position
        guard let type = ValueType(rawValue: try readByte()) else {
            throw ModuleError(.malformedValueType, at: start - base)
        }
        return type
    }

    @inlinable
    public mutating func readReferenceType() throws(ModuleError) -> ValueType {
        let start = position
        let byte = try readByte()
        guard byte == ValueType.funcref.rawValue || byte == ValueType.externref.rawValue else {
            throw ModuleError(.malformedReferenceType, at: start - base)
        }
        return byte == ValueType.funcref.rawValue ? .funcref : .externref
    }
}
