import PerchCore
import PerchDecode
import Testing
@testable import PerchValidate

@Suite struct FunctionValidationTests {
    @Test func reportsTheSpecReasonAndWhere() throws {
        // i32.add with one operand.
        let f = try Fixture(results: [i32], body: [0x00, 0x41, 0x01, 0x6A, 0x0B])
        do {
            try f.validate()
            Issue.record("expected type mismatch")
        } catch {
            #expect(error.kind == .invalid(.typeMismatch))
            #expect(error.function == 0)
            #expect(error.offset == 4)  // after the one result-type byte
            #expect(error.message == "type mismatch at offset 0x4 (function 0)")
        }
    }

    @Test(arguments: [
        ([0x00, 0x20, 0x00, 0x1A, 0x0B], "unknown local 0"),
        ([0x00, 0x0C, 0x01, 0x0B], "unknown label 1"),
        ([0x00, 0xFF, 0x0B], "illegal opcode 0xff"),
        ([0x00, 0x41, 0x00, 0x28, 0x02, 0x00, 0x1A, 0x0B], "unknown memory 0"),
        ([0x00, 0x3F, 0x01, 0x1A, 0x0B], "zero byte expected"),
        ([0x00, 0x41, 0x00], "unexpected end of section or function"),
        ([0x00, 0x41, 0x00, 0x1A, 0x0B, 0x01], "section size mismatch"),
        ([0x00, 0xFC, 0x09, 0x00, 0x0B], "unknown data segment 0"),
        ([0x00, 0xD2, 0x00, 0x1A, 0x0B], "undeclared function reference"),
        ([0x00, 0x23, 0x00, 0x1A, 0x0B], "unknown global 0"),
        ([0x00, 0x02, 0x7F, 0x0B, 0x1A, 0x0B], "type mismatch"),
        ([0x00, 0x41, 0x00, 0x1A, 0x05, 0x0B], "type mismatch"),
        ([0x01, 0x80, 0x80, 0x80, 0x80, 0x10, 0x7F, 0x0B], "integer too large"),
        ([0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x01, 0x7E, 0x0B], "too many locals"),
    ] as [([UInt8], String)])
    func rejects(body: [UInt8], reason: String) throws {
        #expect(try Fixture(body: body).failure() == reason)
    }

    @Test func alignmentAndLanes() throws {
        // i32.load align=8 bytes: more than natural.
        #expect(try Fixture(body: [0x00, 0x41, 0x00, 0x28, 0x03, 0x00, 0x1A, 0x0B], memories: 1).failure()
            == "alignment must not be larger than natural")
        #expect(try Fixture(body: [0x00, 0x41, 0x00, 0x28, 0x20, 0x00, 0x1A, 0x0B], memories: 1).failure()
            == "malformed memop flags")
        // i32x4.extract_lane 4 of a v128.const.
        let lane4: [UInt8] = [0x00, 0xFD, 0x0C] + [UInt8](repeating: 0, count: 16) + [0xFD, 0x1B, 0x04, 0x1A, 0x0B]
        #expect(try Fixture(body: lane4).failure() == "invalid lane index")
        let lane3: [UInt8] = [0x00, 0xFD, 0x0C] + [UInt8](repeating: 0, count: 16) + [0xFD, 0x1B, 0x03, 0x1A, 0x0B]
        #expect(try Fixture(body: lane3).failure() == nil)
    }

    /// Whether every local index is one byte, which picks the interpreter's local handlers:
    /// a local 128 or an index written in two bytes (here local.set, then local.tee) is not.
    @Test(arguments: [
        ([0x01, 0x01, 0x7F, 0x20, 0x00, 0x21, 0x00, 0x20, 0x00, 0x22, 0x00, 0x1A, 0x0B], true),
        ([0x01, 0x01, 0x7F, 0x20, 0x00, 0x21, 0x80, 0x00, 0x0B], false),
        ([0x01, 0x01, 0x7F, 0x20, 0x00, 0x22, 0x80, 0x00, 0x1A, 0x0B], false),
        ([0x01, 0x81, 0x01, 0x7F, 0x20, 0x80, 0x01, 0x1A, 0x0B], false),
    ] as [([UInt8], Bool)])
    func notesWhetherLocalIndicesAreOneByte(body: [UInt8], oneByte: Bool) throws {
        let f = try Fixture(body: body)
        try f.validate()
        #expect(f.code.oneByteLocalIndices == oneByte)
    }

    @Test func polymorphicStackAfterUnreachable() throws {
        // unreachable; i32.add; drop  — operands come from the polymorphic stack.
        #expect(try Fixture(body: [0x00, 0x00, 0x6A, 0x1A, 0x0B]).failure() == nil)
        // unreachable; select (untyped) gives the known operand's type: f32 then i32.add fails.
        #expect(try Fixture(body: [0x00, 0x00, 0x43, 0, 0, 0, 0, 0x1B, 0x6A, 0x0B]).failure() == "type mismatch")
    }

    @Test func hugeFunctionFillsTheArenaWithoutCrashing() throws {
        // 100,000 nested blocks need more control-stack scratch than a 512 KiB arena holds.
        let depth = 100_000
        var body: [UInt8] = [0x00]
        for _ in 0..<depth { body += [0x02, 0x40] }
        body += [UInt8](repeating: 0x0B, count: depth + 1)
        let f = try Fixture(body: body, arenaBytes: 512 << 10)
        let before = f.arena.mark
        do {
            try f.validate()
            Issue.record("expected arena full")
        } catch {
            guard case .arenaFull(let use, _, _) = error.kind else {
                Issue.record("unexpected \(error.message)")
                return
            }
            #expect(use == .validationScratch)
            #expect(error.message.hasPrefix("arena full: validation scratch"))
        }
        // The scratch was given back.
        #expect(f.arena.mark.high >= before.high - 16)
    }
}

@Suite struct ModuleValidationTests {
    @Test func localsAreFoundInTheirRuns() throws {
        // param i32; locals: 2 x i64, 1 x f32. local 2 is i64, local 3 f32.
        let locals: [UInt8] = [0x02, 0x02, 0x7E, 0x01, 0x7D]
        #expect(try Fixture(params: [i32], body: locals + [0x20, 0x02, 0x50, 0x1A, 0x0B]).failure() == nil)
        #expect(try Fixture(params: [i32], body: locals + [0x20, 0x03, 0x50, 0x1A, 0x0B]).failure() == "type mismatch")
        #expect(try Fixture(params: [i32], body: locals + [0x20, 0x04, 0x1A, 0x0B]).failure() == "unknown local 4")
        let f = try Fixture(params: [i32], body: locals + [0x0B])
        try f.validate()
        #expect(f.code.localSlots == 3)
    }

    @Test func dataCountSectionIsRequiredOnlyWhenThereAreSegments() throws {
        let dataDrop: [UInt8] = [0x00, 0xFC, 0x09, 0x00, 0x0B]
        let signature = Fixture.Signature(params: [], results: [])
        let withSegment = try Fixture(types: [signature], functions: [(0, dataDrop)], passiveDataSegments: 1)
        #expect(withSegment.failure() == "data count section required")
        let counted = try Fixture(types: [signature], functions: [(0, dataDrop)], dataCount: 1, passiveDataSegments: 1)
        #expect(counted.failure() == nil)
    }

    @Test func pushPipelineMatchesWholeModuleValidation() throws {
        let bodies: [[UInt8]] = [
            [0x00, 0x02, 0x40, 0x0C, 0x00, 0x0B, 0x0B],
            [0x00, 0x03, 0x40, 0x41, 0x00, 0x0D, 0x00, 0x0B, 0x0B],
        ]
        let signature = Fixture.Signature(params: [], results: [])
        let whole = try Fixture(types: [signature], functions: bodies.map { (0, $0) })
        try whole.validate()
        let pushed = try Fixture(types: [signature], functions: bodies.map { (0, $0) })
        let validator = try ModuleValidator(pushed.module, arena: pushed.arena)
        for index in 0..<bodies.count {
            let code = try validator.validateFunction(index, in: pushed.module)
            let expected = whole.module.functions[index].code!
            #expect(code.sideTableBytes == expected.sideTableBytes)
            #expect(SideTable.entry(at: code.sideTable!) == SideTable.entry(at: expected.sideTable!))
            #expect(code.maxStackSlots == expected.maxStackSlots)
        }
        try validator.finish(pushed.module)
    }
}
