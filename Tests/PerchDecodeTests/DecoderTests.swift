import Foundation
import Testing
@testable import PerchCore
@testable import PerchDecode

/// `../shared` beside the package root, or $PERCH_SHARED.
func sharedDirectory() -> URL {
    if let path = ProcessInfo.processInfo.environment["PERCH_SHARED"] { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
}

/// Everything the decoder recorded, as numbers (pointers as offsets into the module), so
/// two decodes can be compared.
func fingerprint(_ module: Module) -> [Int] {
    let base = module.bytes.baseAddress!
    func at(_ buffer: UnsafeRawBufferPointer) -> [Int] {
        guard let start = buffer.baseAddress else { return [-1, 0] }
        return [start - base, buffer.count]
    }
    var out: [Int] = [module.bytes.count, module.types.count, module.imports.count, module.functions.count,
                      module.importedFunctionCount, module.tables.count, module.memories.count,
                      module.globals.count, module.exports.count, module.elements.count, module.data.count,
                      Int(module.dataCount ?? 9999), Int(module.start ?? 9999), module.functionNames.count]
    for type in module.types { out += at(type.params) + at(type.results) + [Int(type.paramSlots), Int(type.resultSlots)] }
    for i in module.imports { out += at(i.module.bytes) + at(i.field.bytes) + [Int(i.kind.rawValue), Int(i.index)] }
    for f in module.functions { out += [Int(f.typeIndex)] + at(f.body) }
    for t in module.tables { out += [Int(t.elementType.rawValue), Int(t.limits.min), Int(t.limits.max ?? 0)] }
    for m in module.memories { out += [Int(m.min), Int(m.max ?? 0)] }
    for g in module.globals { out += [Int(g.type.valueType.rawValue), g.type.mutable ? 1 : 0] + at(g.initializer.code) }
    for e in module.exports { out += at(e.name.bytes) + [Int(e.kind.rawValue), Int(e.index)] }
    for e in module.elements {
        out += [Int(e.mode.rawValue), Int(e.table), Int(e.elementType.rawValue), Int(e.count),
                e.itemsAreFunctionIndices ? 1 : 0] + at(e.offset.code) + at(e.items)
    }
    for d in module.data { out += [Int(d.mode.rawValue), Int(d.memory)] + at(d.offset.code) + at(d.bytes) }
    for n in module.functionNames { out += [Int(n.function)] + at(n.name.bytes) }
    return out
}

enum Outcome: Equatable {
    case decoded([Int])
    case rejected(ModuleErrorKind, Int)
}

/// Decodes `bytes` fed in chunks whose sizes come from `nextChunk` (all at once if nil).
func decode(_ bytes: [UInt8], arenaCapacity: Int = 1 << 22, nextChunk: (() -> Int)? = nil) throws -> Outcome {
    let arena = try Arena(capacity: arenaCapacity)
    do throws(ModuleError) {
        var decoder = try ModuleDecoder(arena: arena)
        var offset = 0
        repeat {
            let size = min(nextChunk?() ?? bytes.count, bytes.count - offset)
            let chunk = Array(bytes[offset..<offset + size])
            let result = chunk.withUnsafeBytes { buffer in
                Result { () throws(ModuleError) in try decoder.feed(buffer) }
            }
            try result.get()
            offset += size
        } while offset < bytes.count
        return .decoded(fingerprint(try decoder.finish()))
    } catch {
        return .rejected(error.kind, error.offset)
    }
}

func moduleBytes(_ sections: [UInt8]...) -> [UInt8] {
    [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00] + sections.flatMap { $0 }
}

func rejection(_ bytes: [UInt8]) throws -> ModuleErrorKind? {
    if case .rejected(let kind, _) = try decode(bytes) { return kind }
    return nil
}

@Suite struct ChunkedFeedingTests {
    /// Every binary module of the wasm2 spec scripts decodes to the same result (records or
    /// error and offset) whether fed at once, one byte at a time or in random chunks.
    @Test func everySpecModuleGivesTheSameResultInAnyChunking() throws {
        let root = sharedDirectory().appendingPathComponent("spec/wasm2/json")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "wasm" }
        #expect(files.count > 4000)
        var generator = SystemRandomNumberGenerator()
        var decoded = 0
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: file))
            let whole = try decode(bytes)
            if case .decoded = whole { decoded += 1 }
            #expect(try decode(bytes, nextChunk: { 1 }) == whole, "\(file.lastPathComponent) byte by byte")
            #expect(try decode(bytes, nextChunk: { Int.random(in: 1...64, using: &generator) }) == whole,
                    "\(file.lastPathComponent) random chunks")
        }
        #expect(decoded > 3000)
    }

    @Test func bytesLandAtTheLowEndAndRecordsAtTheHighEnd() throws {
        let arena = try Arena(capacity: 1 << 16)
        var decoder = try ModuleDecoder(arena: arena)
        let bytes = moduleBytes([0x01, 0x04, 0x01, 0x60, 0x00, 0x00], [0x03, 0x02, 0x01, 0x00],
                                [0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B])
        try bytes.withUnsafeBytes { try decoder.feed($0) }
        let module = try decoder.finish()
        #expect(module.bytes.baseAddress == UnsafeRawPointer(arena.base))
        #expect(arena.lowTop == bytes.count)
        #expect(arena.highBottom < arena.capacity)
        #expect(module.functions.count == 1)
        #expect(module.functions[0].body.count == 2)
    }

    @Test func reserveAndCommitReadInPlace() throws {
        let arena = try Arena(capacity: 1 << 16)
        var decoder = try ModuleDecoder(arena: arena)
        let bytes = moduleBytes([0x01, 0x04, 0x01, 0x60, 0x00, 0x00])
        let room = try decoder.reserve(100)
        room.copyBytes(from: bytes)
        try decoder.commit(bytes.count)
        #expect(arena.lowTop == bytes.count)
        #expect(try decoder.finish().types.count == 1)
    }

    @Test func aFullArenaIsATypedError() throws {
        let bytes = moduleBytes([0x01, 0x04, 0x01, 0x60, 0x00, 0x00])
        guard case .rejected(let kind, _) = try decode(bytes, arenaCapacity: 10) else {
            Issue.record("decoded in a 10-byte arena")
            return
        }
        guard case .arenaFull(let use, _, _) = kind else {
            Issue.record("wrong error \(kind)")
            return
        }
        #expect(use == .moduleBytes)
    }
}

@Suite struct MalformedModuleTests {
    @Test func header() throws {
        #expect(try rejection([]) == .unexpectedEnd)
        #expect(try rejection([0x00, 0x61, 0x73]) == .unexpectedEnd)
        #expect(try rejection([0x00, 0x61, 0x73, 0x6E]) == .magicHeaderNotDetected)
        #expect(try rejection([0x00, 0x61, 0x73, 0x6D, 0x02, 0, 0, 0]) == .unknownBinaryVersion)
        #expect(try rejection([0x00, 0x61, 0x73, 0x6D, 0x01, 0]) == .unexpectedEnd)
        #expect(try decode(moduleBytes()) != .rejected(.unexpectedEnd, 0))
    }

    @Test func sectionFraming() throws {
        #expect(try rejection(moduleBytes([0x0D, 0x00])) == .malformedSectionId)
        #expect(try rejection(moduleBytes([0x01, 0x05, 0x01, 0x60, 0x00, 0x00])) == .lengthOutOfBounds)
        #expect(try rejection(moduleBytes([0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00])) == .sectionSizeMismatch)
        #expect(try rejection(moduleBytes([0x01])) == .unexpectedEnd)
        #expect(try rejection(moduleBytes([0x01, 0x80])) == .unexpectedEnd)
        #expect(try rejection(moduleBytes([0x03, 0x01, 0x00], [0x01, 0x01, 0x00])) == .unexpectedContentAfterLastSection)
        #expect(try rejection(moduleBytes([0x01, 0x01, 0x00], [0x01, 0x01, 0x00])) == .unexpectedContentAfterLastSection)
        // Data count (12) goes between element (9) and code (10).
        #expect(try rejection(moduleBytes([0x0A, 0x01, 0x00], [0x0C, 0x01, 0x00])) == .unexpectedContentAfterLastSection)
        #expect(try rejection(moduleBytes([0x0C, 0x01, 0x00], [0x0A, 0x01, 0x00])) == nil)
        // Custom sections may go anywhere, even between others.
        #expect(try rejection(moduleBytes([0x01, 0x01, 0x00], [0x00, 0x02, 0x01, 0x61], [0x03, 0x01, 0x00])) == nil)
    }

    @Test func customSections() throws {
        #expect(try rejection(moduleBytes([0x00, 0x00])) == .unexpectedEnd)
        #expect(try rejection(moduleBytes([0x00, 0x03, 0x02, 0xC0, 0x80])) == .malformedUTF8)
        // A malformed name section is ignored, not an error.
        #expect(try rejection(moduleBytes([0x00, 0x08, 0x04] + Array("name".utf8) + [0x01, 0x09, 0x05])) == nil)
    }

    @Test func nameSectionGivesFunctionNames() throws {
        let arena = try Arena(capacity: 1 << 16)
        var decoder = try ModuleDecoder(arena: arena)
        let names: [UInt8] = [0x04] + Array("name".utf8) + [0x01, 0x06, 0x01, 0x00, 0x03] + Array("foo".utf8)
        let bytes = moduleBytes([0x01, 0x04, 0x01, 0x60, 0x00, 0x00], [0x03, 0x02, 0x01, 0x00],
                                [0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B], [0x00, UInt8(names.count)] + names)
        try bytes.withUnsafeBytes { try decoder.feed($0) }
        let module = try decoder.finish()
        #expect(module.functionNames.count == 1)
        #expect(module.functionNames.first?.name.string == "foo")
    }

    @Test func importsAndExports() throws {
        let name: [UInt8] = [0x01, 0x61]
        #expect(try rejection(moduleBytes([0x02, 0x06, 0x01] + name + name + [0x04, 0x00])) == .malformedImportKind)
        #expect(try rejection(moduleBytes([0x02, 0x08, 0x01] + name + name + [0x03, 0x7F, 0x02])) == .malformedMutability)
        #expect(try rejection(moduleBytes([0x02, 0x09, 0x01] + name + name + [0x01, 0x71, 0x00, 0x00])) == .malformedReferenceType)
        #expect(try rejection(moduleBytes([0x02, 0x08, 0x01] + name + name + [0x03, 0x7A, 0x00])) == .malformedValueType)
        #expect(try rejection(moduleBytes([0x02, 0x07, 0x01, 0x01, 0xFF] + name + [0x00, 0x00])) == .malformedUTF8)
        #expect(try rejection(moduleBytes([0x07, 0x05, 0x01] + name + [0x04, 0x00])) == .malformedExportKind)
        // Imports come first in their index spaces.
        let arena = try Arena(capacity: 1 << 16)
        var decoder = try ModuleDecoder(arena: arena)
        let bytes = moduleBytes([0x01, 0x04, 0x01, 0x60, 0x00, 0x00],
                                [0x02, 0x0E, 0x02] + name + name + [0x00, 0x00] + name + name + [0x02, 0x00, 0x01],
                                [0x03, 0x02, 0x01, 0x00], [0x05, 0x04, 0x01, 0x01, 0x02, 0x03],
                                [0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B])
        try bytes.withUnsafeBytes { try decoder.feed($0) }
        let module = try decoder.finish()
        #expect(module.functions.count == 2 && module.importedFunctionCount == 1)
        #expect(module.functions[0].body.count == 0 && module.functions[1].body.count == 2)
        #expect(module.memories.count == 2 && module.importedMemoryCount == 1)
        #expect(module.memories[0] == Limits(min: 1, max: nil))
        #expect(module.memories[1] == Limits(min: 2, max: 3))
    }

    @Test func limitsFlags() throws {
        #expect(try rejection(moduleBytes([0x05, 0x02, 0x01, 0x02])) == .integerTooLarge)
        #expect(try rejection(moduleBytes([0x05, 0x03, 0x01, 0x81, 0x00])) == .integerRepresentationTooLong)
    }

    @Test func functionAndCodeCounts() throws {
        let type: [UInt8] = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00]
        #expect(try rejection(moduleBytes(type, [0x03, 0x02, 0x01, 0x00])) == .functionAndCodeInconsistent)
        #expect(try rejection(moduleBytes(type, [0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B])) == .functionAndCodeInconsistent)
        #expect(try rejection(moduleBytes(type, [0x03, 0x03, 0x02, 0x00, 0x00], [0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B]))
            == .functionAndCodeInconsistent)
    }

    @Test func dataCount() throws {
        let memory: [UInt8] = [0x05, 0x03, 0x01, 0x00, 0x01]
        #expect(try rejection(moduleBytes(memory, [0x0C, 0x01, 0x01])) == .dataCountAndDataInconsistent)
        #expect(try rejection(moduleBytes(memory, [0x0C, 0x01, 0x02], [0x0B, 0x04, 0x01, 0x01, 0x01, 0x61]))
            == .dataCountAndDataInconsistent)
        #expect(try rejection(moduleBytes(memory, [0x0C, 0x01, 0x01], [0x0B, 0x04, 0x01, 0x01, 0x01, 0x61])) == nil)
        #expect(try rejection(moduleBytes(memory, [0x0B, 0x04, 0x01, 0x03, 0x01, 0x61])) == .malformedDataSegmentKind)
    }

    @Test func segmentsAndConstantExpressions() throws {
        let table: [UInt8] = [0x04, 0x04, 0x01, 0x70, 0x00, 0x01]
        #expect(try rejection(moduleBytes(table, [0x09, 0x02, 0x01, 0x08])) == .malformedElementSegmentKind)
        #expect(try rejection(moduleBytes(table, [0x09, 0x04, 0x01, 0x01, 0x01, 0x00])) == .malformedElementKind)
        #expect(try rejection(moduleBytes(table, [0x09, 0x04, 0x01, 0x05, 0x71, 0x00])) == .malformedReferenceType)
        // A global whose initializer holds a block cannot be constant.
        #expect(try rejection(moduleBytes([0x06, 0x06, 0x01, 0x7F, 0x00, 0x02, 0x40, 0x0B])) == .constantExpressionRequired)
        #expect(try rejection(moduleBytes([0x06, 0x05, 0x01, 0x7F, 0x00, 0x06, 0x0B])) == .illegalOpcode(0x06))
        #expect(try rejection(moduleBytes([0x06, 0x05, 0x01, 0x7F, 0x00, 0x41, 0x00])) == .unexpectedEndOfSectionOrFunction)
        // Other instructions are left to the validator ("constant expression required").
        #expect(try rejection(moduleBytes([0x06, 0x07, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x68, 0x0B])) == nil)
    }
}

@Suite struct SectionListingTests {
    @Test func sectionsAreListedInOrderWithCustomNames() throws {
        let arena = try Arena(capacity: 1 << 16)
        var decoder = try ModuleDecoder(arena: arena)
        let bytes = moduleBytes([0x01, 0x04, 0x01, 0x60, 0x00, 0x00], [0x00, 0x03, 0x02, 0x68, 0x69],
                                [0x03, 0x02, 0x01, 0x00], [0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B])
        try bytes.withUnsafeBytes { try decoder.feed($0) }
        let module = try decoder.finish()
        var seen: [(UInt8, Int, Int, String?)] = []
        module.forEachSection { seen.append(($0.id, $0.offset, $0.body.count, $0.customName?.string)) }
        #expect(seen.map(\.0) == [1, 0, 3, 10])
        #expect(seen.map(\.1) == [8, 14, 19, 23])
        #expect(seen.map(\.2) == [4, 3, 2, 4])
        #expect(seen[1].3 == "hi")
    }

    @Test func adoptedBytesDecodeLikeFedOnes() throws {
        let arena = try Arena(capacity: 1 << 16)
        let bytes = moduleBytes([0x01, 0x04, 0x01, 0x60, 0x00, 0x00])
        let buffer = try arena.allocateLow(bytes.count, alignment: 16, for: .moduleBytes)
        buffer.copyMemory(from: bytes, byteCount: bytes.count)
        var decoder = try ModuleDecoder(arena: arena, adopting: UnsafeMutableRawBufferPointer(start: buffer, count: bytes.count))
        let module = try decoder.finish()
        #expect(module.types.count == 1)
        #expect(module.bytes.baseAddress == UnsafeRawPointer(buffer))
    }
}

@Suite struct MutationTests {
    /// Spec modules with bytes flipped, cut or duplicated are decoded without a Swift trap
    /// (which would kill this test process), whatever the verdict; a deterministic seed
    /// keeps failures reproducible.
    @Test func mutatedSpecModulesNeverTrap() throws {
        let root = sharedDirectory().appendingPathComponent("spec/wasm2/json")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "wasm" }
            .sorted { $0.path < $1.path }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
        var rejected = 0
        var total = 0
        for file in files where file.lastPathComponent.hasPrefix("binary") || next(8) == 0 {
            let original = [UInt8](try Data(contentsOf: file))
            guard original.count > 8 else { continue }
            for _ in 0..<24 {
                var bytes = original
                switch next(4) {
                case 0: bytes[8 + next(bytes.count - 8)] ^= UInt8(1 << next(8))
                case 1: bytes[8 + next(bytes.count - 8)] = UInt8(next(256))
                case 2: bytes.removeLast(next(bytes.count - 8) + 1)
                default:
                    let at = 8 + next(bytes.count - 8)
                    bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 1 + next(6))], at: at)
                }
                total += 1
                if case .rejected = try decode(bytes, arenaCapacity: 1 << 20) { rejected += 1 }
            }
        }
        #expect(total > 2000)
        #expect(rejected > total / 10)
    }
}
