import Foundation
import PerchCore
import PerchDecode
import Testing
@testable import PerchValidate

/// What loading gave: per defined function its side-table size and frame needs, or the
/// error with its offset and function.
enum LoadOutcome: Equatable {
    case loaded([UInt32])
    case rejected(ModuleErrorKind, Int, UInt32?)

    init(_ module: Module) {
        var out: [UInt32] = []
        for function in module.functions[module.importedFunctionCount...] {
            let code = function.code!
            out += [code.sideTableBytes, code.maxStackSlots, code.localSlots]
        }
        self = .loaded(out)
    }

    init(_ error: ModuleError) { self = .rejected(error.kind, error.offset, error.function) }
}

/// Where a streamed load stopped: the outcome, and how many bytes had been fed when it
/// was known (the whole module when `finish()` gave it).
struct StreamedLoad {
    var outcome: LoadOutcome
    var fedWhenKnown: Int
    var knownBeforeFinish: Bool
}

/// Feeds `bytes` to a `ModuleLoader` in chunks of `nextChunk()` bytes.
func streamedLoad(_ bytes: [UInt8], arenaCapacity: Int = 1 << 22, nextChunk: () -> Int) throws -> StreamedLoad {
    let arena = try Arena(capacity: arenaCapacity)
    var fed = 0
    do throws(ModuleError) {
        var loader = try ModuleLoader(arena: arena)
        while fed < bytes.count {
            let size = min(max(nextChunk(), 1), bytes.count - fed)
            let room = try loader.reserve(size)
            bytes.withUnsafeBytes { room.baseAddress!.copyMemory(from: $0.baseAddress! + fed, byteCount: size) }
            fed += size
            do {
                try loader.commit(size)
            } catch {
                return StreamedLoad(outcome: LoadOutcome(error), fedWhenKnown: fed, knownBeforeFinish: true)
            }
        }
        return StreamedLoad(outcome: LoadOutcome(try loader.finish()), fedWhenKnown: fed, knownBeforeFinish: false)
    } catch {
        return StreamedLoad(outcome: LoadOutcome(error), fedWhenKnown: fed, knownBeforeFinish: false)
    }
}

/// The batch path: decode everything, then validate.
func batchLoad(_ bytes: [UInt8]) throws -> LoadOutcome {
    let arena = try Arena(capacity: 1 << 22)
    let result: Result<Module, ModuleError> = bytes.withUnsafeBytes { raw in
        do throws(ModuleError) {
            var decoder = try ModuleDecoder(arena: arena)
            try decoder.feed(raw)
            var module = try decoder.finish()
            try validate(&module, arena: arena)
            return .success(module)
        } catch {
            return .failure(error)
        }
    }
    switch result {
    case .success(let module): return LoadOutcome(module)
    case .failure(let error): return LoadOutcome(error)
    }
}

@Suite struct StreamingLoadTests {
    let voidType: [UInt8] = [0x60, 0x00, 0x00]
    let validBody: [UInt8] = [0x02, 0x00, 0x0B]
    /// `i32.add` with nothing on the stack.
    let invalidBody: [UInt8] = [0x03, 0x00, 0x6A, 0x0B]

    @Test func anInvalidBodyIsRefusedBeforeLaterSectionsArrive() throws {
        var m = ModuleBytes()
        m.section(0x01, [voidType])
        m.section(0x03, [[0x00], [0x00], [0x00]])
        m.section(0x05, [[0x00, 0x01]])
        let bodies = m.section(0x0A, [validBody, invalidBody, validBody])
        let dataStart = m.bytes.count
        m.section(0x0B, [[0x00, 0x41, 0x00, 0x0B, 0x04, 0x64, 0x61, 0x74, 0x61]])
        for chunk in [1, 2, 3] {
            let load = try streamedLoad(m.bytes) { chunk }
            #expect(load.outcome == .rejected(.invalid(.typeMismatch), bodies[1] + 2, 1))
            #expect(load.knownBeforeFinish)
            // Refused by the chunk that completed the bad body, long before the data section.
            let badBodyEnd = bodies[1] + invalidBody.count
            #expect(load.fedWhenKnown >= badBodyEnd && load.fedWhenKnown < badBodyEnd + chunk)
            #expect(load.fedWhenKnown < dataStart)
        }
    }

    @Test func theLastBodyWaitsForWhatFollowsTheCodeSection() throws {
        // A missing `end` in the last body reads as "section size mismatch" if a section
        // follows and "unexpected end" if the module ends there, so it is judged only then.
        let truncated: [UInt8] = [0x02, 0x00, 0x01]
        var followed = ModuleBytes()
        followed.section(0x01, [voidType])
        followed.section(0x03, [[0x00]])
        followed.section(0x0A, [truncated])
        let codeEnd = followed.bytes.count
        followed.bytes += [0x00, 0x02, 0x01, 0x78]  // a custom section named "x"
        let early = try streamedLoad(followed.bytes) { 1 }
        #expect(early.outcome == .rejected(.sectionSizeMismatch, codeEnd, 0))
        #expect(early.knownBeforeFinish && early.fedWhenKnown == codeEnd + 1)

        var last = ModuleBytes()
        last.section(0x01, [voidType])
        last.section(0x03, [[0x00]])
        last.section(0x0A, [truncated])
        let atEnd = try streamedLoad(last.bytes) { 1 }
        #expect(atEnd.outcome == .rejected(.unexpectedEndOfSectionOrFunction, last.bytes.count, 0))
        #expect(!atEnd.knownBeforeFinish)
    }

    @Test func aDataIndexWithoutDataCountIsJudgedWhenTheDataSectionIsKnown() throws {
        let dataDrop: [UInt8] = [0x05, 0x00, 0xFC, 0x09, 0x00, 0x0B]
        var withSegment = ModuleBytes()
        withSegment.section(0x01, [voidType])
        withSegment.section(0x03, [[0x00], [0x00]])
        withSegment.section(0x05, [[0x00, 0x01]])
        withSegment.section(0x0A, [dataDrop, validBody])
        withSegment.section(0x0B, [[0x01, 0x00]])
        let required = try streamedLoad(withSegment.bytes) { 2 }
        guard case .rejected(.invalid(.dataCountSectionRequired), _, 0) = required.outcome else {
            Issue.record("\(required.outcome)")
            return
        }
        #expect(!required.knownBeforeFinish)

        var without = ModuleBytes()
        without.section(0x01, [voidType])
        without.section(0x03, [[0x00], [0x00]])
        without.section(0x0A, [dataDrop, validBody])
        let unknown = try streamedLoad(without.bytes) { 2 }
        guard case .rejected(.invalid(.unknownDataSegment(0)), _, 0) = unknown.outcome else {
            Issue.record("\(unknown.outcome)")
            return
        }
    }

    /// Every binary module of the wasm2 spec scripts (SIMD included) gets the same verdict,
    /// offset and function, and the same side tables, streamed byte by byte or in random
    /// chunks as decoded whole and validated afterwards.
    @Test func everySpecModuleLoadsTheSameStreamedAsInOneGo() throws {
        let root = sharedDirectory().appendingPathComponent("spec/wasm2/json")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "wasm" }
        #expect(files.count > 4000)
        var generator = SystemRandomNumberGenerator()
        var loaded = 0
        var refusedEarly = 0
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: file))
            let batch = try batchLoad(bytes)
            if case .loaded = batch { loaded += 1 }
            let byByte = try streamedLoad(bytes) { 1 }
            #expect(byByte.outcome == batch, "\(file.lastPathComponent) byte by byte")
            if byByte.knownBeforeFinish, byByte.fedWhenKnown < bytes.count { refusedEarly += 1 }
            // The chunk sizes drawn are named on failure, so the case can be replayed.
            var chunks: [Int] = []
            let random = try streamedLoad(bytes) {
                chunks.append(Int.random(in: 1...64, using: &generator))
                return chunks[chunks.count - 1]
            }
            #expect(random.outcome == batch, "\(file.lastPathComponent) in chunks of \(chunks)")
        }
        #expect(loaded > 1600)
        #expect(refusedEarly > 100)
        print("StreamingLoadTests: \(files.count) spec modules, \(loaded) valid, \(refusedEarly) refused before their last byte")
    }
}

/// `../shared` beside the package root, or $PERCH_SHARED.
func sharedDirectory() -> URL {
    if let path = ProcessInfo.processInfo.environment["PERCH_SHARED"] { return URL(fileURLWithPath: path) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
}
