import Testing
@testable import PerchLink

func roundTrip(_ message: Message) throws -> Message {
    var out: [UInt8] = []
    #expect(message.encode(sequence: 42, into: &out))
    var decoded: Message? = nil
    var failure: DecodeError? = nil
    FrameParser().feed(out) { event in
        guard case .frame(let f) = event else { return }
        #expect(f.sequence == 42)
        do throws(DecodeError) { decoded = try Message.decode(f) } catch { failure = error }
    }
    if let failure { throw failure }
    return try #require(decoded)
}

let sampleHash = SHA256.hash(Array("module".utf8))

func sampleManifest(version: UInt64 = 3) -> Manifest {
    Manifest(app: "blinky", version: version, moduleSize: 1234, moduleSHA256: sampleHash,
             arenaSize: 1 << 20, fuelSlice: 10_000, grants: ["gpio:17", "clock", "gpio:4"])
}

@Suite struct ManifestTests {
    @Test func encodingIsCanonicalAndRoundTrips() throws {
        let m = sampleManifest()
        let bytes = try #require(m.encoded())
        let back = try Manifest.decode(bytes)
        #expect(back.grants == ["clock", "gpio:17", "gpio:4"])
        #expect(back.app == "blinky" && back.version == 3 && back.moduleSHA256 == sampleHash)
        var shuffled = m
        shuffled.grants = ["gpio:4", "gpio:17", "clock"]
        #expect(shuffled.encoded() == bytes)
    }

    @Test func rejectsNonCanonicalOrBadFields() throws {
        var m = sampleManifest()
        m.app = "../etc"
        #expect(m.encoded() == nil)
        m = sampleManifest(); m.grants = ["a", "a"]
        #expect(m.encoded() == nil)
        m = sampleManifest(); m.moduleSHA256 = [1, 2]
        #expect(m.encoded() == nil)
        let good = try #require(sampleManifest().encoded())
        #expect(throws: DecodeError.self) { try Manifest.decode(good + [0]) }
        #expect(throws: DecodeError.self) { try Manifest.decode(Array(good.dropLast())) }
        // Swap two grants in the encoding: decodes only if sorted, so this must fail.
        var m2 = sampleManifest(); m2.grants = ["aa", "bb"]
        var bytes = try #require(m2.encoded())
        let n = bytes.count
        bytes[n - 2] = 0x61; bytes[n - 1] = 0x61; bytes[n - 5] = 0x62; bytes[n - 4] = 0x62
        #expect(throws: DecodeError.self) { try Manifest.decode(bytes) }
        for cut in 0..<good.count {
            #expect(throws: DecodeError.self) { try Manifest.decode(Array(good[0..<cut])) }
        }
    }
}

@Suite struct MessageTests {
    @Test func everyRequestRoundTrips() throws {
        let manifest = try #require(sampleManifest().encoded())
        let sig = [UInt8](repeating: 9, count: 64)
        if case .uploadBegin(let m, let s) = try roundTrip(.uploadBegin(manifest: manifest, signature: sig)) {
            #expect(m == manifest && s == sig)
        } else { Issue.record("uploadBegin") }
        let data: [UInt8] = [1, 2, 3, 4, 5]
        let chunk = try data.withUnsafeBytes { try roundTrip(.chunk(offset: 4096, data: $0)) }
        if case .chunk(let offset, _) = chunk { #expect(offset == 4096) } else { Issue.record("chunk") }
        if case .resumeQuery(let app, let v, let h) = try roundTrip(.resumeQuery(app: "blinky", version: 7, moduleSHA256: sampleHash)) {
            #expect(app == "blinky" && v == 7 && h == sampleHash)
        } else { Issue.record("resumeQuery") }
        if case .logs(let app, let since) = try roundTrip(.logs(app: "x", since: 99)) {
            #expect(app == "x" && since == 99)
        } else { Issue.record("logs") }
        if case .rollback(let app) = try roundTrip(.rollback(app: "y")) { #expect(app == "y") } else { Issue.record("rollback") }
    }

    @Test func repliesRoundTrip() throws {
        let status = AppStatus(app: "blinky", state: .running, committedVersion: 5, previousVersion: 4, refusedVersion: 6, restarts: 1, lastError: "v6: trap: unreachable")
        if case .statusReply(let apps) = try roundTrip(.statusReply([status, status])) {
            #expect(apps == [status, status])
        } else { Issue.record("status") }
        if case .error(let code, let reason) = try roundTrip(.error(code: .replayedVersion, reason: "v3 <= v5")) {
            #expect(code == .replayedVersion && reason == "v3 <= v5")
        } else { Issue.record("error") }
        if case .chunkAck(let n) = try roundTrip(.chunkAck(nextOffset: 77)) { #expect(n == 77) } else { Issue.record("ack") }
    }

    @Test func truncatedOrPaddedPayloadsAreDecodeErrors() {
        let payload = Message.resumeQuery(app: "blinky", version: 1, moduleSHA256: sampleHash).payload()
        for cut in 0..<payload.count {
            let bytes = Array(payload[0..<cut])
            _ = bytes.withUnsafeBytes { raw in
                #expect(throws: DecodeError.self) { try Message.decode(Frame(type: MessageType.resumeQuery.rawValue, sequence: 0, payload: raw)) }
            }
        }
        _ = (payload + [0]).withUnsafeBytes { raw in
            #expect(throws: DecodeError.self) { try Message.decode(Frame(type: MessageType.resumeQuery.rawValue, sequence: 0, payload: raw)) }
        }
        _ = [UInt8]().withUnsafeBytes { raw in
            #expect(throws: DecodeError.self) { try Message.decode(Frame(type: 0x55, sequence: 0, payload: raw)) }
        }
    }
}
