import PerchCore

/// Where records were declared, for error offsets. Records keep no offsets of their own
/// (they would cost arena bytes on every module); only error paths ask, and they re-read
/// the sections, which were already decoded and so are well formed.
extension Module {
    /// How many entries of `kind`'s index space are imported (they come first).
    public func importedCount(_ kind: ExternKind) -> Int {
        switch kind {
        case .function: return importedFunctionCount
        case .table: return importedTableCount
        case .memory: return importedMemoryCount
        case .global: return importedGlobalCount
        }
    }

    /// Byte offset of entry `index` of `kind`'s index space: its import's module name, or
    /// its entry in the function, table, memory or global section.
    public func declarationOffset(of kind: ExternKind, _ index: Int) -> Int {
        let imported = importedCount(kind)
        if index < imported {
            for entry in imports where entry.kind == kind && Int(entry.index) == index {
                return entry.module.start.map { offset(of: $0) } ?? 0
            }
        }
        let sectionID: UInt8
        switch kind {
        case .function: sectionID = 3
        case .table: sectionID = 4
        case .memory: sectionID = 5
        case .global: sectionID = 6
        }
        guard var reader = sectionReader(sectionID) else { return bytes.count }
        let sectionStart = reader.offset
        do throws(ModuleError) {
            let count = try reader.readLength()
            for defined in 0..<count {
                if defined == index &- imported { return reader.offset }
                switch kind {
                case .function: _ = try reader.readU32()
                case .table: _ = try reader.readReferenceType(); _ = try reader.readLimits()
                case .memory: _ = try reader.readLimits()
                case .global:
                    _ = try reader.readValueType()
                    _ = try reader.readByte()
                    _ = try reader.readConstantExpression()
                }
            }
        } catch {}
        return sectionStart
    }

    /// Byte offset of the start section's function index.
    public var startOffset: Int {
        sectionReader(8)?.offset ?? bytes.count
    }

    /// A reader over the content of the first section with `id`, if there is one.
    func sectionReader(_ id: UInt8) -> ByteReader? {
        var found: ByteReader?
        forEachSection { header in
            guard found == nil, header.id == id, let start = header.body.baseAddress, let base = bytes.baseAddress
            else { return }
            found = ByteReader(base: base, position: start, end: start + header.body.count)
        }
        return found
    }
}
