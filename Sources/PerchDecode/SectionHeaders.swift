import PerchCore

/// One section of a decoded module, for listings (`perch inspect`).
public struct SectionHeader {
    public let id: UInt8
    /// Offset of the section's id byte in the module.
    public let offset: Int
    /// The section's content, after its id and size.
    public let body: UnsafeRawBufferPointer
    /// For custom sections, their name.
    public let customName: NameBytes?

    /// The spec's name for the section id.
    public var name: StaticString { Self.name(of: id) }

    public static func name(of id: UInt8) -> StaticString {
        switch id {
        case 0: return "custom"
        case 1: return "type"
        case 2: return "import"
        case 3: return "function"
        case 4: return "table"
        case 5: return "memory"
        case 6: return "global"
        case 7: return "export"
        case 8: return "start"
        case 9: return "element"
        case 10: return "code"
        case 11: return "data"
        case 12: return "data count"
        default: return "unknown"
        }
    }
}

extension Module {
    /// Calls `body` with each section in order. The module was decoded, so its framing is
    /// sound; the walk still stops at the first inconsistency rather than read past the end.
    public func forEachSection(_ body: (SectionHeader) -> Void) {
        guard let base = bytes.baseAddress, bytes.count >= 8 else { return }
        var reader = ByteReader(base: base, position: base + 8, end: base + bytes.count)
        while !reader.isAtEnd {
            let offset = reader.offset
            do throws(ModuleError) {
                let id = try reader.readByte()
                let content = try reader.readBytes(Int(truncatingIfNeeded: try reader.readU32()))
                var customName: NameBytes?
                if id == 0, let start = content.baseAddress {
                    var nameReader = ByteReader(base: base, position: start, end: start + content.count)
                    customName = try? nameReader.readName()
                }
                body(SectionHeader(id: id, offset: offset, body: content, customName: customName))
            } catch {
                return
            }
        }
    }
}
