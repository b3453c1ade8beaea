/// Whether `bytes` is well-formed UTF-8 (Unicode 3.9, table 3-7): no overlong forms, no
/// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. Names in
/// imports, exports and custom-section ids must be (spec 5.2.4).
public func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var index = 0
    let count = bytes.count
    while index < count {
        let lead = bytes[index]
        if lead < 0x80 {
            index &+= 1
            continue
        }
        // Allowed range of the second byte depends on the lead (excludes overlongs,
        // surrogates and code points past U+10FFFF); later bytes are always 80..BF.
        var length = 0
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return false
        }
        guard count &- index >= length else { return false }
        let second = bytes[index &+ 1]
        guard second >= low && second <= high else { return false }
        var next = index &+ 2
        while next < index &+ length {
            guard bytes[next] & 0xC0 == 0x80 else { return false }
            next &+= 1
        }
        index = next
    }
    return true
}
