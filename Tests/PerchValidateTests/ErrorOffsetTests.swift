import PerchCore
import PerchDecode
import Testing
@testable import PerchValidate

/// A binary module built section by section, remembering where each entry landed so a
/// test can compute the offset an error must name from the bytes themselves.
struct ModuleBytes {
    var bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

    /// Appends a vector section (count, then `entries`) and returns each entry's offset.
    /// Sections here stay under 128 bytes, so their size is one LEB128 byte.
    @discardableResult
    mutating func section(_ id: UInt8, _ entries: [[UInt8]]) -> [Int] {
        let content = [UInt8(entries.count)] + entries.flatMap { $0 }
        var offsets: [Int] = []
        var at = bytes.count + 2 + 1
        for entry in entries {
            offsets.append(at)
            at += entry.count
        }
        bytes += [id, UInt8(content.count)] + content
        return offsets
    }

    /// Appends the start section and returns the offset of its function index.
    mutating func start(_ function: UInt8) -> Int {
        bytes += [0x08, 0x01, function]
        return bytes.count - 1
    }

    /// Appends a code section of `count` empty bodies.
    mutating func emptyBodies(_ count: Int) {
        section(0x0A, Array(repeating: [0x02, 0x00, 0x0B], count: count))
    }

    func rejection() throws -> ModuleError? {
        let arena = try Arena(capacity: 1 << 16)
        do {
            _ = try loadModule(bytes, into: arena)
            return nil
        } catch {
            return error
        }
    }
}

/// Module-level errors name the byte offset of the record that is wrong, whether it was
/// imported or defined (each kind once defined, once imported where it can be).
@Suite struct ErrorOffsetTests {
    let voidType: [UInt8] = [0x60, 0x00, 0x00]
    let i32ToVoid: [UInt8] = [0x60, 0x01, 0x7F, 0x00]

    @Test func definedTableWithMinimumAboveMaximum() throws {
        var m = ModuleBytes()
        let tables = m.section(0x04, [[0x70, 0x00, 0x01], [0x70, 0x01, 0x03, 0x02]])
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.sizeMinimumGreaterThanMaximum))
        #expect(error.offset == tables[1])
    }

    @Test func importedTableWithMinimumAboveMaximum() throws {
        var m = ModuleBytes()
        let imports = m.section(0x02, [[0x01, 0x6D, 0x01, 0x74, 0x01, 0x70, 0x01, 0x03, 0x02]])
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.sizeMinimumGreaterThanMaximum))
        #expect(error.offset == imports[0] + 1)  // the module name, after its length byte
    }

    @Test func definedMemoryTooLarge() throws {
        var m = ModuleBytes()
        let memories = m.section(0x05, [[0x00, 0x81, 0x80, 0x04]])  // 65,537 pages
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.memorySizeTooLarge))
        #expect(error.offset == memories[0])
    }

    @Test func definedMemoryWithMinimumAboveMaximum() throws {
        var m = ModuleBytes()
        let memories = m.section(0x05, [[0x01, 0x02, 0x01]])
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.sizeMinimumGreaterThanMaximum))
        #expect(error.offset == memories[0])
    }

    @Test func secondMemoryAfterAnImportedOne() throws {
        var m = ModuleBytes()
        m.section(0x02, [[0x01, 0x6D, 0x01, 0x6D, 0x02, 0x00, 0x01]])
        let memories = m.section(0x05, [[0x00, 0x01]])
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.multipleMemories))
        #expect(error.offset == memories[0])
    }

    @Test func startNamingNoFunction() throws {
        var m = ModuleBytes()
        let start = m.start(3)
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.unknownFunction(3)))
        #expect(error.offset == start)
    }

    @Test func startFunctionWithParameters() throws {
        var m = ModuleBytes()
        m.section(0x01, [voidType, i32ToVoid])
        m.section(0x03, [[0x00], [0x01]])
        let start = m.start(1)
        m.emptyBodies(2)
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.startFunction))
        #expect(error.offset == start)
    }

    @Test func definedFunctionWithUnknownType() throws {
        var m = ModuleBytes()
        m.section(0x01, [voidType])
        let functions = m.section(0x03, [[0x00], [0x05]])
        m.emptyBodies(2)
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.unknownType(5)))
        #expect(error.offset == functions[1])
    }

    @Test func importedFunctionWithUnknownType() throws {
        var m = ModuleBytes()
        let imports = m.section(0x02, [[0x01, 0x6D, 0x01, 0x66, 0x00, 0x07]])
        let error = try #require(try m.rejection())
        #expect(error.kind == .invalid(.unknownType(7)))
        #expect(error.offset == imports[0] + 1)
    }
}
