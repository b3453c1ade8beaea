import Testing
@testable import PerchLink

/// Small deterministic generator so fuzz runs are reproducible.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

struct Received {
    var frames: [(type: UInt8, sequence: UInt16, payload: [UInt8])] = []
    var errors: [FrameError] = []
}

func parse(_ bytes: [UInt8], pieces: [Int]? = nil, parser: FrameParser = FrameParser(), idleAtEnd: Bool = false) -> Received {
    var got = Received()
    let handler: (FrameEvent) -> Void = { event in
        switch event {
        case .frame(let f): got.frames.append((f.type, f.sequence, Array(f.payload)))
        case .rejected(let e): got.errors.append(e)
        }
    }
    if let pieces {
        var at = 0
        for n in pieces where at < bytes.count {
            let end = min(bytes.count, at + n)
            parser.feed(Array(bytes[at..<end]), handler)
            at = end
        }
        if at < bytes.count { parser.feed(Array(bytes[at...]), handler) }
    } else {
        parser.feed(bytes, handler)
    }
    if idleAtEnd {
        while parser.pendingBytes >= Frame.headerSize { parser.linkIdle(handler) }
    }
    return got
}

func frame(_ type: UInt8, _ seq: UInt16, _ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    #expect(Frame.encode(type: type, sequence: seq, payload: payload, into: &out))
    return out
}

@Suite struct FrameParserTests {
    @Test func layoutMatchesTheDocumentedDiagram() {
        let bytes = frame(0x03, 0x1234, [0xAA, 0xBB])
        #expect(bytes.count == 8 + 2 + 4)
        #expect(Array(bytes[0..<8]) == [0x50, 0xE7, 1, 0x03, 0x34, 0x12, 2, 0])
        let crc = CRC32.checksum(Array(bytes[2..<10]))
        #expect(Array(bytes[10..<14]) == [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)])
    }

    @Test func byteAtATimeAndWholeGiveTheSameFrames() {
        var stream: [UInt8] = []
        for i in 0..<20 { stream += frame(UInt8(i % 11 + 1), UInt16(i), Array(repeating: UInt8(i), count: i * 37)) }
        let whole = parse(stream)
        let single = parse(stream, pieces: Array(repeating: 1, count: stream.count))
        #expect(whole.frames.count == 20 && single.frames.count == 20)
        #expect(whole.errors.isEmpty && single.errors.isEmpty)
        for i in 0..<20 {
            #expect(single.frames[i].sequence == UInt16(i))
            #expect(single.frames[i].payload == Array(repeating: UInt8(i), count: i * 37))
        }
    }

    @Test func maximalFramesBackToBackInOddPieces() {
        var stream: [UInt8] = []
        for i in 0..<5 { stream += frame(0x03, UInt16(i), Array(repeating: UInt8(i), count: Frame.maxPayload)) }
        let got = parse(stream, pieces: [1, 4099, 7, 4200, 3, 5000, 1])
        #expect(got.frames.count == 5)
        #expect(got.errors.isEmpty)
        #expect(got.frames.last?.payload.count == Frame.maxPayload)
    }

    @Test func resynchronisesAfterGarbage() {
        let garbage: [UInt8] = [0x00, 0x50, 0x50, 0xE7, 0x09, 0xFF, 0x50]
        let stream = garbage + frame(1, 7, [1, 2, 3]) + [0x50] + frame(2, 8, [])
        let got = parse(stream)
        #expect(got.frames.map(\.sequence) == [7, 8])
        #expect(!got.errors.isEmpty)
    }

    @Test func corruptCRCIsRejectedAndTheNextFrameSurvives() {
        var bad = frame(5, 1, Array("hello".utf8))
        bad[9] ^= 0x01
        let got = parse(bad + frame(5, 2, Array("world".utf8)))
        #expect(got.frames.count == 1)
        #expect(got.frames.first?.sequence == 2)
        #expect(got.errors.contains { if case .checksumMismatch = $0 { return true } else { return false } })
    }

    @Test func oversizeLengthAndWrongVersionAreTypedErrors() {
        var long = frame(3, 1, [])
        long[6] = 0xFF; long[7] = 0xFF
        var version = frame(3, 2, [])
        version[2] = 9
        let got = parse(long + version + frame(3, 3, [7]))
        #expect(got.frames.map(\.sequence) == [3])
        #expect(got.errors.contains(.payloadTooLong(0xFFFF)))
        #expect(got.errors.contains(.unsupportedVersion(9)))
    }

    @Test func corruptedLengthStallsOnlyUntilTheLinkGoesIdle() {
        var first = frame(3, 1, [1, 2, 3])
        first[6] = 200  // claims 200 bytes; the next frame is shorter than that
        let stream = first + frame(3, 2, [4, 5])
        let stalled = parse(stream)
        #expect(stalled.frames.isEmpty)
        let recovered = parse(stream, idleAtEnd: true)
        #expect(recovered.frames.map(\.sequence) == [2])
        #expect(recovered.errors.contains(.incompleteFrame(bytes: stream.count)))
    }

    @Test func smallerDeviceLimitIsEnforced() {
        let parser = FrameParser(maxPayload: 64)
        let got = parse(frame(3, 1, Array(repeating: 1, count: 65)) + frame(3, 2, Array(repeating: 1, count: 64)), parser: parser)
        #expect(got.frames.map(\.sequence) == [2])
        #expect(got.errors.contains(.payloadTooLong(65)))
    }

    /// Random corruption of a random stream: never a crash, never a frame that was not
    /// sent, and every frame whose bytes were untouched is delivered.
    @Test func fuzzRandomCorruptionAndSplitting() {
        var rng = SplitMix(state: 0x5EED)
        var deliveredIntact = 0
        for round in 0..<300 {
            var stream: [UInt8] = []
            var sent: [(range: Range<Int>, seq: UInt16, payload: [UInt8])] = []
            for i in 0..<(1 + rng.below(8)) {
                if rng.below(4) == 0 { stream += (0..<rng.below(20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
                let payload = (0..<rng.below(300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let seq = UInt16(truncatingIfNeeded: round &* 16 &+ i)
                let start = stream.count
                stream += frame(UInt8(1 + rng.below(11)), seq, payload)
                sent.append((start..<stream.count, seq, payload))
            }
            var touched = Set<Int>()
            for _ in 0..<rng.below(4) {
                let at = rng.below(stream.count)
                stream[at] ^= UInt8(1 + rng.below(255))
                touched.insert(at)
            }
            var pieces: [Int] = []
            var total = 0
            while total < stream.count { let n = 1 + rng.below(200); pieces.append(n); total += n }
            let got = parse(stream, pieces: pieces, idleAtEnd: true)
            let sentBySeq = Dictionary(uniqueKeysWithValues: sent.map { ($0.seq, $0.payload) })
            for f in got.frames {
                #expect(sentBySeq[f.sequence] == f.payload, "round \(round): delivered a frame that was not sent")
            }
            for s in sent where !touched.contains(where: { s.range.contains($0) }) {
                // A corrupted earlier length can swallow a later frame only if it makes the
                // parser wait past it; the resync rescans those bytes, so intact frames arrive.
                #expect(got.frames.contains { $0.sequence == s.seq }, "round \(round): lost intact frame \(s.seq)")
                deliveredIntact += 1
            }
        }
        #expect(deliveredIntact > 500)
    }
}
