import Foundation
import Testing
@testable import PerchSpecTest

@Suite struct SpecValueTests {
    func expectation(_ json: String) throws -> SpecExpectation {
        try parseExpectation(try parseJSON(Array(json.utf8)))
    }

    @Test func scalarsAreBitPatterns() throws {
        #expect(try expectation(#"{"type": "i32", "value": "4294967295"}"#) == .exact(.i32(0xFFFF_FFFF)))
        #expect(try expectation(#"{"type": "i64", "value": "-1"}"#) == .exact(.i64(~0)))
        #expect(try expectation(#"{"type": "f32", "value": "2143289344"}"#) == .exact(.f32(0x7FC0_0000)))
        #expect(try expectation(#"{"type": "externref", "value": "null"}"#) == .exact(.externref(nil)))
        #expect(try expectation(#"{"type": "externref", "value": "7"}"#) == .exact(.externref(7)))
        #expect(try expectation(#"{"type": "i32"}"#) == .anyValue(type: "i32"))
        #expect(throws: SpecParseError.self) { try expectation(#"{"type": "i32", "value": "12x"}"#) }
    }

    @Test func nanExpectations() throws {
        let canonical = try expectation(#"{"type": "f32", "value": "nan:canonical"}"#)
        let arithmetic = try expectation(#"{"type": "f64", "value": "nan:arithmetic"}"#)
        #expect(canonical.isMatched(by: .f32(0x7FC0_0000)))
        #expect(canonical.isMatched(by: .f32(0xFFC0_0000)))
        #expect(!canonical.isMatched(by: .f32(0x7FC0_0001)))
        #expect(!canonical.isMatched(by: .f32(0x7F80_0000)))  // infinity
        #expect(!canonical.isMatched(by: .f64(0x7FF8_0000_0000_0000)))  // wrong type
        #expect(arithmetic.isMatched(by: .f64(0x7FF8_0000_0000_0001)))
        #expect(!arithmetic.isMatched(by: .f64(0x7FF0_0000_0000_0001)))  // signalling
    }

    @Test func v128Lanes() throws {
        let exact = try expectation(#"{"type": "v128", "lane_type": "i16", "value": ["1", "2", "3", "4", "5", "6", "7", "65535"]}"#)
        #expect(exact == .exact(.v128(low: 0x0004_0003_0002_0001, high: 0xFFFF_0007_0006_0005)))
        let lanes = try expectation(#"{"type": "v128", "lane_type": "f32", "value": ["nan:canonical", "0", "1065353216", "nan:arithmetic"]}"#)
        #expect(lanes.isMatched(by: .v128(low: 0x0000_0000_7FC0_0000, high: 0x7FC0_0001_3F80_0000)))
        #expect(!lanes.isMatched(by: .v128(low: 0x0000_0001_7FC0_0000, high: 0x7FC0_0001_3F80_0000)))
    }

    /// Every action and expected value in the 148 wasm2 scripts parses.
    @Test func everyScriptValueParses() throws {
        var actions = 0
        var expectations = 0
        for folder in try wasm2ScriptFolders() {
            let bytes = try #require(readWholeFile(folder.appendingPathComponent(folder.lastPathComponent + ".json").path))
            for json in try #require(try parseJSON(bytes)["commands"]?.array) {
                let command = SpecCommand(kind: json["type"]?.string ?? "", line: json["line"]?.int ?? 0, json: json)
                guard command.json["action"] != nil else { continue }
                _ = try command.action()
                expectations += try command.expectations().count
                actions += 1
            }
        }
        #expect(actions == 45734 + 2408 + 15 + 155)
        #expect(expectations > 45000)
    }
}
