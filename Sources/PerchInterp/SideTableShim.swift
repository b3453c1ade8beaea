// TEMPORARY until PerchValidate's SideTable lands on main: same reader API and format.
enum SideTable {
    struct Entry { var pcDelta: Int; var stpDelta: Int; var keep: Int; var drop: Int }
    @inline(__always) static func entry(at stp: UnsafeRawPointer) -> Entry {
        let word = stp.load(as: UInt32.self).littleEndian
        if word & 1 == 0 {
            let signed = Int32(bitPattern: word)
            return Entry(pcDelta: Int(signed >> 19), stpDelta: Int((signed << 13) >> 23) << 2,
                         keep: Int((word >> 7) & 0x7), drop: Int((word >> 1) & 0x3F))
        }
        return Entry(pcDelta: Int(Int32(bitPattern: (stp + 8).load(as: UInt32.self))),
                     stpDelta: Int(Int32(bitPattern: (stp + 12).load(as: UInt32.self))),
                     keep: Int(word >> 1), drop: Int((stp + 4).load(as: UInt32.self)))
    }
    @inline(__always) static func size(at stp: UnsafeRawPointer) -> Int { 4 &+ 12 &* Int(stp.load(as: UInt8.self) & 1) }
}
