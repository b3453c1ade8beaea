import Testing
@testable import PerchLink
@testable import PerchSupervisor

func unhex(_ s: String) -> [UInt8] { parseHex(Array(s.utf8))! }

@Suite struct Ed25519Tests {
    // RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte).
    @Test func rfc8032Vectors() throws {
        let pair1 = try #require(Ed25519.keyPair(seed: unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")))
        #expect(hexString(pair1.publicKey) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let sig1 = Ed25519.sign([], with: pair1)
        #expect(hexString(sig1) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(Ed25519.verify(signature: sig1, message: [], publicKey: pair1.publicKey))

        let pair2 = try #require(Ed25519.keyPair(seed: unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")))
        #expect(hexString(pair2.publicKey) == "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
        let sig2 = Ed25519.sign([0x72], with: pair2)
        #expect(hexString(sig2) == "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        #expect(Ed25519.verify(signature: sig2, message: [0x72], publicKey: pair2.publicKey))
        #expect(!Ed25519.verify(signature: sig2, message: [0x73], publicKey: pair2.publicKey))
        #expect(!Ed25519.verify(signature: sig2, message: [0x72], publicKey: pair1.publicKey))
        var flipped = sig2
        flipped[10] ^= 1
        #expect(!Ed25519.verify(signature: flipped, message: [0x72], publicKey: pair2.publicKey))
        #expect(!Ed25519.verify(signature: Array(sig2.dropLast()), message: [0x72], publicKey: pair2.publicKey))
    }
}

@Suite struct KeyFileTests {
    @Test func secretAndPublicFilesRoundTripAndSecretIsPrivate() throws {
        let dir = try TempDirectory()
        let path = dir.path + "/deploy.key"
        let pair = try KeyFile.generate(to: path)
        let secret = try KeyFile.load(path)
        #expect(secret.keyPair?.publicKey == pair.publicKey)
        let pub = try KeyFile.load(path + ".pub")
        #expect(pub.keyPair == nil && pub.publicKeys == [pair.publicKey])
        #expect(fileMode(path) == 0o600)
        // Never overwrite a key.
        #expect(throws: KeyFile.Failure.self) { try KeyFile.generate(to: path) }
        chmod(path, 0o644)
        do {
            _ = try KeyFile.load(path)
            Issue.record("a world-readable secret key must be refused")
        } catch {
            if case .readableByOthers = error {} else { Issue.record("wrong error \(error.message)") }
        }
    }

    @Test func editedOrMalformedKeyFilesAreRefused() throws {
        let pair = try #require(Ed25519.keyPair(seed: [UInt8](repeating: 7, count: 32)))
        var text = Array(KeyFile.render(secret: pair).utf8)
        _ = try KeyFile.parse(text, path: "k")
        // Change one hex digit of the public key: it no longer matches the seed.
        let i = text.count - 2
        text[i] = text[i] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(throws: KeyFile.Failure.self) { try KeyFile.parse(text, path: "k") }
        #expect(throws: KeyFile.Failure.self) { try KeyFile.parse(Array("hello\n".utf8), path: "k") }
        #expect(throws: KeyFile.Failure.self) { try KeyFile.parse(Array("perch-ed25519-public-key\npublic: zz\n".utf8), path: "k") }
        #expect(throws: KeyFile.Failure.self) { try KeyFile.parse(Array("perch-ed25519-public-key\n".utf8), path: "k") }
    }
}
