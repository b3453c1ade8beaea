import Foundation
import Testing

@testable import PerchSelfTest

@Suite struct SelfTestCopyTests {
    /// The self-test parses an embedded copy of the mps2-an386 board file; keep it identical.
    @Test func embeddedBoardFileMatchesTheShippedOne() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let shipped = try String(contentsOf: root.appendingPathComponent("boards/mps2-an386/board.txt"), encoding: .utf8)
        #expect("\(mps2BoardFile)\n" == shipped)
    }

    @Test func everyGroupPasses() {
        let results = runSelfTests()
        #expect(results.failed == 0)
        #expect(results.passed > 40)
    }
}
