/// Parses a byte count written the way users write memory sizes: `65536`, `512K`, `4M`,
/// `1G` (binary multiples; a trailing `B` or `iB` is accepted: `4MiB`, `512KB`).
/// Shared by the command line (`--arena 4M`) and board files (`arena = 4M`), so both
/// accept exactly the same spellings. Returns nil for anything else, including overflow.
public func parseByteSize<Bytes: Collection>(_ text: Bytes) -> Int? where Bytes.Element == UInt8 {
    let unitStart = text.firstIndex { $0 < UInt8(ascii: "0") || $0 > UInt8(ascii: "9") } ?? text.endIndex
    guard let value = parseDecimal(text[..<unitStart]) else { return nil }
    // Lower-cased unit: "", "b", or a multiplier letter optionally followed by "b"/"ib".
    let unit = text[unitStart...].map { $0 | 0x20 }
    if unit.isEmpty || unit == [UInt8(ascii: "b")] { return value }
    let shift: Int
    switch unit[0] {
    case UInt8(ascii: "k"): shift = 10
    case UInt8(ascii: "m"): shift = 20
    case UInt8(ascii: "g"): shift = 30
    default: return nil
    }
    let rest = unit[1...]
    guard rest.isEmpty || rest.elementsEqual([UInt8(ascii: "b")])
        || rest.elementsEqual([UInt8(ascii: "i"), UInt8(ascii: "b")]) else { return nil }
    guard value <= Int.max >> shift else { return nil }
    return value << shift
}

/// A non-negative decimal integer, or nil (also on overflow).
public func parseDecimal<Bytes: Collection>(_ text: Bytes) -> Int? where Bytes.Element == UInt8 {
    guard !text.isEmpty else { return nil }
    var value = 0
    for byte in text {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(Int(byte &- UInt8(ascii: "0")))
        guard !overflow1, !overflow2 else { return nil }
        value = sum
    }
    return value
}
