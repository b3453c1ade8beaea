import Testing
@testable import PerchDecode

/// Runs `body` with a reader over `bytes` (offsets count from the first byte).
func withReader<T>(_ bytes: [UInt8], _ body: (inout ByteReader) throws(ModuleError) -> T) -> Result<T, ModuleError> {
    bytes.withUnsafeBytes { buffer in
        let base = buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        var reader = ByteReader(base: base, position: base, end: base + buffer.count)
        do throws(ModuleError) {
            return .success(try body(&reader))
        } catch {
            return .failure(error)
        }
    }
}

func errorKind<T>(_ result: Result<T, ModuleError>) -> ModuleErrorKind? {
    if case .failure(let error) = result { return error.kind }
    return nil
}

@Suite struct LEB128Tests {
    @Test func unsignedValues() throws {
        #expect(try withReader([0x00]) { (r) throws(ModuleError) in try r.readU32() }.get() == 0)
        #expect(try withReader([0x7F]) { (r) throws(ModuleError) in try r.readU32() }.get() == 127)
        #expect(try withReader([0x80, 0x01]) { (r) throws(ModuleError) in try r.readU32() }.get() == 128)
        #expect(try withReader([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { (r) throws(ModuleError) in try r.readU32() }.get() == UInt32.max)
        // Over-long but in range: padding with 0x80 is allowed up to 5 bytes.
        #expect(try withReader([0x83, 0x80, 0x80, 0x80, 0x00]) { (r) throws(ModuleError) in try r.readU32() }.get() == 3)
    }

    @Test func unsignedRules() throws {
        #expect(errorKind(withReader([0xFF, 0xFF, 0xFF, 0xFF, 0x1F]) { (r) throws(ModuleError) in try r.readU32() }) == .integerTooLarge)
        #expect(errorKind(withReader([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) { (r) throws(ModuleError) in try r.readU32() }) == .integerRepresentationTooLong)
        #expect(errorKind(withReader([0x80, 0x80]) { (r) throws(ModuleError) in try r.readU32() }) == .unexpectedEndOfSectionOrFunction)
        #expect(errorKind(withReader([]) { (r) throws(ModuleError) in try r.readU32() }) == .unexpectedEndOfSectionOrFunction)
    }

    @Test func errorOffsetsPointAtTheBadByte() throws {
        let result = withReader([0x80, 0x80, 0x80, 0x80, 0x70]) { (r) throws(ModuleError) in try r.readU32() }
        guard case .failure(let error) = result else {
            Issue.record("accepted")
            return
        }
        #expect(error.offset == 4)
    }

    @Test func signed32() throws {
        #expect(try withReader([0x7F]) { (r) throws(ModuleError) in try r.readS32() }.get() == -1)
        #expect(try withReader([0x3F]) { (r) throws(ModuleError) in try r.readS32() }.get() == 63)
        #expect(try withReader([0x40]) { (r) throws(ModuleError) in try r.readS32() }.get() == -64)
        #expect(try withReader([0x80, 0x7F]) { (r) throws(ModuleError) in try r.readS32() }.get() == -128)
        #expect(try withReader([0x80, 0x80, 0x80, 0x80, 0x78]) { (r) throws(ModuleError) in try r.readS32() }.get() == Int32.min)
        #expect(try withReader([0xFF, 0xFF, 0xFF, 0xFF, 0x07]) { (r) throws(ModuleError) in try r.readS32() }.get() == Int32.max)
        #expect(try withReader([0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) { (r) throws(ModuleError) in try r.readS32() }.get() == -1)
        // Unused bits must be copies of the sign bit.
        #expect(errorKind(withReader([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { (r) throws(ModuleError) in try r.readS32() }) == .integerTooLarge)
        #expect(errorKind(withReader([0x80, 0x80, 0x80, 0x80, 0x70]) { (r) throws(ModuleError) in try r.readS32() }) == .integerTooLarge)
        #expect(errorKind(withReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) { (r) throws(ModuleError) in try r.readS32() }) == .integerRepresentationTooLong)
    }

    @Test func signed33BlockTypes() throws {
        #expect(try withReader([0x40]) { (r) throws(ModuleError) in try r.readS33() }.get() == -64)
        #expect(try withReader([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { (r) throws(ModuleError) in try r.readS33() }.get() == 0xFFFF_FFFF)
        #expect(errorKind(withReader([0xFF, 0xFF, 0xFF, 0xFF, 0x1F]) { (r) throws(ModuleError) in try r.readS33() }) == .integerTooLarge)
    }

    @Test func signed64() throws {
        #expect(try withReader([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F]) { (r) throws(ModuleError) in try r.readS64() }.get() == Int64.min)
        #expect(try withReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]) { (r) throws(ModuleError) in try r.readS64() }.get() == Int64.max)
        #expect(errorKind(withReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) { (r) throws(ModuleError) in try r.readS64() }) == .integerTooLarge)
        #expect(errorKind(withReader([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) { (r) throws(ModuleError) in try r.readS64() }) == .integerRepresentationTooLong)
    }

    @Test func lengthsMustFitTheBytesLeft() throws {
        #expect(try withReader([0x02, 0xAA, 0xBB]) { (r) throws(ModuleError) in try r.readLength() }.get() == 2)
        #expect(errorKind(withReader([0x05, 0xAA, 0xBB]) { (r) throws(ModuleError) in try r.readLength() }) == .lengthOutOfBounds)
    }

    @Test func utf8Rules() throws {
        func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { isValidUTF8($0) } }
        #expect(valid(Array("héllo €𝄞".utf8)))
        #expect(!valid([0xC0, 0x80]))               // overlong NUL
        #expect(!valid([0xE0, 0x80, 0x80]))         // overlong 3-byte
        #expect(!valid([0xED, 0xA0, 0x80]))         // surrogate
        #expect(!valid([0xF4, 0x90, 0x80, 0x80]))   // above U+10FFFF
        #expect(!valid([0xE2, 0x82]))               // truncated
        #expect(!valid([0x80]))                     // lone continuation
        #expect(!valid([0xF8, 0x88, 0x80, 0x80, 0x80]))
    }
}
