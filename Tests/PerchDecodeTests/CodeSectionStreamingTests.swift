import Testing
@testable import PerchCore
@testable import PerchDecode

/// The code section is decoded body by body as bytes arrive (for validation while the rest
/// of the module comes), not once the whole section is in.
@Suite struct CodeSectionStreamingTests {
    @Test func eachBodyIsDecodedWhenItsLastByteArrives() throws {
        let bodies: [[UInt8]] = [[0x02, 0x00, 0x0B], [0x04, 0x00, 0x01, 0x01, 0x0B], [0x02, 0x00, 0x0B]]
        let code = [UInt8(bodies.count)] + bodies.flatMap { $0 }
        let bytes = moduleBytes(
            [0x01, 0x04, 0x01, 0x60, 0x00, 0x00], [0x03, 0x04, 0x03, 0x00, 0x00, 0x00],
            [0x0A, UInt8(code.count)] + code, [0x00, 0x02, 0x01, 0x78])
        let codeContent = 8 + 6 + 6 + 2  // header, type and function sections, code id and size
        var bodyEnds: [Int] = []
        var end = codeContent + 1
        for body in bodies {
            end += body.count
            bodyEnds.append(end)
        }
        let arena = try Arena(capacity: 1 << 16)
        var decoder = try ModuleDecoder(arena: arena)
        var decodedAt: [Int] = []
        var sectionEndSeenAt: Int?
        for (i, byte) in bytes.enumerated() {
            let before = decoder.bodiesDecoded
            let fed = [byte].withUnsafeBytes { chunk in Result { () throws(ModuleError) in try decoder.feed(chunk) } }
            try fed.get()
            if decoder.bodiesDecoded > before { decodedAt.append(i + 1) }
            if sectionEndSeenAt == nil, decoder.codeSectionEnd != nil { sectionEndSeenAt = i + 1 }
            // A body's bytes are in the records as soon as it counts as decoded.
            let module = decoder.decodedSoFar
            for index in 0..<decoder.bodiesDecoded {
                #expect(module.functions[index].body.count == Int(bodies[index][0]))
            }
        }
        #expect(decodedAt == bodyEnds)
        #expect(sectionEndSeenAt == bodyEnds.last)
        #expect(decoder.codeSectionEnd == bodyEnds.last)
        let module = try decoder.finish()
        #expect(module.functions.count == 3)
    }

    @Test func aBodyRunningPastItsSectionIsReportedOnlyOnceTheSectionIsIn() throws {
        // The body claims 5 bytes but the section holds 3: fed byte by byte, the decoder
        // waits while they could still come, then gives the error a whole decode gives.
        let bytes = moduleBytes(
            [0x01, 0x04, 0x01, 0x60, 0x00, 0x00], [0x03, 0x02, 0x01, 0x00],
            [0x0A, 0x04, 0x01, 0x05, 0x00, 0x0B], [0x00, 0x02, 0x01, 0x78])
        let oneByOne = try decode(bytes, nextChunk: { 1 })
        let whole = try decode(bytes)
        #expect(oneByOne == whole)
        guard case .rejected(let kind, _) = oneByOne else {
            Issue.record("accepted")
            return
        }
        #expect(kind == .lengthOutOfBounds)
    }
}
