import Testing
@testable import PerchLink

func hex(_ bytes: [UInt8]) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var s = ""
    for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
    return s
}

@Suite struct CRC32Tests {
    @Test func checkValueAndKnownStrings() {
        // The CRC catalogue's check value for CRC-32/ISO-HDLC.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    @Test func incrementalEqualsOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var crc = CRC32()
        data[0..<333].withUnsafeBytes { crc.update($0) }
        for b in data[333..<500] { crc.update(b) }
        data[500...].withUnsafeBytes { crc.update($0) }
        #expect(crc.value == CRC32.checksum(data))
    }
}

@Suite struct SHA256Tests {
    // NIST FIPS 180-4 examples (csrc.nist.gov SHA256.pdf, SHA2_Additional.pdf).
    @Test func nistShortMessages() {
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)))
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(hex(SHA256.hash([0xbd])) == "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b")
        #expect(hex(SHA256.hash([0xc9, 0x8c, 0x8e, 0x55])) == "7abc22c0ae5af26ce93dbb94433a0e0b2e119d014f8e7f65bd56c61ccccd9504")
    }

    @Test func nistMillionAs() {
        var h = SHA256()
        let block = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { h.update(block) }
        #expect(hex(h.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func nistZeroBlocks() {
        // SHA2_Additional #5: 55 zero bytes (one block with padding exactly fitting), #6: 56, #8: 1000.
        #expect(hex(SHA256.hash([UInt8](repeating: 0, count: 55))) == "02779466cdec163811d078815c633f21901413081449002f24aa3e80f0b88ef7")
        #expect(hex(SHA256.hash([UInt8](repeating: 0, count: 56))) == "d4817aa5497628e7c77e6b606107042bbba3130888c5f47a375e6179be789fbb")
        #expect(hex(SHA256.hash([UInt8](repeating: 0, count: 1000))) == "541b3e9daa09b20bf85fa273e5cbd3e80185aa4ec298e765db87742b70138a53")
        #expect(hex(SHA256.hash([UInt8](repeating: 0x41, count: 1000))) == "c2e686823489ced2017f6059b8b239318b6364f6dcd835d0a519105a1eadd6e4")
    }

    @Test func anySplitGivesTheSameDigest() {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        let whole = SHA256.hash(data)
        for split in [0, 1, 55, 56, 63, 64, 65, 127, 128, 200, 299, 300] {
            var h = SHA256()
            h.update(Array(data[0..<split]))
            h.update(Array(data[split...]))
            #expect(h.finalize() == whole, "split at \(split)")
        }
    }
}
