import PerchCore

/// Decodes a WebAssembly 2.0 binary module (spec 5) pushed to it in chunks of any size,
/// as it arrives over a serial line or from a file; one call with every byte is the same
/// path. `finish()` checks the end state and returns the `Module`.
///
/// ```
/// var decoder = try ModuleDecoder(arena: arena)
/// try decoder.feed(chunk)          // any number of times, any sizes
/// let module = try decoder.finish()
/// ```
/// The decoder checks the binary format only (every "malformed" case); types and indices
/// are the validator's. Function bodies are recorded, not read: the validator reads their
/// locals and instructions in its single pass. `ModuleLoader` (PerchValidate) pairs the two
/// so each body is validated as it arrives.
///
/// # Invariants
/// - The module bytes are the arena's most recent low-end allocation,
///   `bytes ..< bytes + received`; each chunk extends it in place, so **nothing else may
///   take low-end memory until `finish()`**. Records come from the high end.
/// - Bytes never move, so record pointers into them stay valid for the arena's life.
/// - `cursor <= received`: everything before `cursor` (header, whole sections) is decoded.
///   A section is decoded only once its whole body has arrived, so section decoding reads
///   complete bytes through a `ByteReader` bounded by the section's end. The code section
///   is the exception: its count and each body are decoded as soon as their bytes are all
///   in (`bodiesDecoded`), so they can be validated while the rest arrives; `cursor` stays
///   at its start until all of it is in.
/// - After an error the decoder keeps failing with that error.
/// - It is not copyable: it owns the low end of its arena until `finish()`.
public struct ModuleDecoder: ~Copyable {
    public let arena: Arena
    private let bytes: UnsafeMutableRawPointer
    /// Bytes received so far.
    public private(set) var received = 0
    private var cursor = 0
    /// Bytes handed out by the last `reserve` and not yet committed.
    private var pendingReservation = 0
    private var headerDone = false
    /// Rank (position in the required order) of the last non-custom section decoded.
    private var lastSectionRank = 0
    private var failure: ModuleError?
    private var module: Module

    private var importSectionStart = 0
    private var importSectionEnd = 0
    private var definedFunctionCount = 0
    /// Index spaces allocated so far, in section order (`ExternKind` order): functions,
    /// tables, memories, globals.
    private var allocatedSpaces: UInt8 = 0
    private var codeCount = 0
    /// Set once the code section's count has been read.
    private var codeCountOffset: Int?
    /// Offset of the next code entry not decoded yet.
    private var codePosition = 0
    /// Code entries decoded so far (a body is decoded once all its bytes are in).
    public private(set) var bodiesDecoded = 0
    /// Where the code section ends, once all of it is decoded.
    public private(set) var codeSectionEnd: Int?
    private var sawData = false

    public init(arena: Arena) throws(ModuleError) {
        self.arena = arena
        do {
            bytes = try arena.allocateLow(0, alignment: 16, for: .moduleBytes)
        } catch {
            throw ModuleError(error, at: 0)
        }
        module = Module(bytes: UnsafeRawBufferPointer(start: bytes, count: 0))
    }

    /// Decodes bytes already read into the arena (a file loaded in one go). `bytes` must be
    /// the arena's most recent low-end allocation, ending at its `lowTop`; more may still be
    /// fed after it.
    public init(arena: Arena, adopting existing: UnsafeMutableRawBufferPointer) throws(ModuleError) {
        self.arena = arena
        bytes = existing.baseAddress ?? arena.base + arena.lowTop
        module = Module(bytes: UnsafeRawBufferPointer(start: bytes, count: 0))
        pendingReservation = existing.count
        try commit(existing.count)
    }

    /// Appends `chunk` to the module and decodes every section it completes.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer) throws(ModuleError) {
        let room = try reserve(chunk.count)
        if let source = chunk.baseAddress, let target = room.baseAddress {
            target.copyMemory(from: source, byteCount: chunk.count)
        }
        try commit(chunk.count)
    }

    /// Room for up to `count` more bytes in place, so a file or UART can be read straight
    /// into the arena; follow with `commit` of how many were written.
    public mutating func reserve(_ count: Int) throws(ModuleError) -> UnsafeMutableRawBufferPointer {
        if let failure { throw failure }
        do {
            try arena.extendLow(by: count, for: .moduleBytes)
        } catch {
            let failed = ModuleError(error, at: received)
            failure = failed
            throw failed
        }
        pendingReservation = count
        return UnsafeMutableRawBufferPointer(start: bytes + received, count: count)
    }

    /// Takes `written` bytes of the last `reserve` as module bytes and decodes what they
    /// complete; the rest of the reservation is given back.
    public mutating func commit(_ written: Int) throws(ModuleError) {
        if let failure { throw failure }
        let taken = min(max(written, 0), pendingReservation)
        arena.shrinkLow(by: pendingReservation &- taken)
        pendingReservation = 0
        received &+= taken
        do {
            try advance()
        } catch {
            failure = error
            throw error
        }
    }

    /// Checks that the module is complete and returns it.
    public mutating func finish() throws(ModuleError) -> Module {
        if let failure { throw failure }
        do {
            return try checkEnd()
        } catch {
            failure = error
            throw error
        }
    }

    /// The records decoded so far, over the bytes received so far: everything before the
    /// code section once `bodiesDecoded > 0`, and each body as it is decoded. For
    /// validating while the rest arrives; `finish()` gives the complete module.
    public var decodedSoFar: Module {
        var partial = module
        partial.bytes = UnsafeRawBufferPointer(start: bytes, count: received)
        return partial
    }

    // MARK: - Framing

    private mutating func advance() throws(ModuleError) {
        if !headerDone {
            try checkHeader()
            guard received >= 8 else { return }
            headerDone = true
            cursor = 8
        }
        while cursor < received {
            let id = bytes.load(fromByteOffset: cursor, as: UInt8.self)
            guard id <= 12 else { throw ModuleError(.malformedSectionId, at: cursor) }
            guard let (size, bodyStart) = try sectionSize(at: cursor &+ 1) else { return }
            let rank = Self.rank(ofSection: id)
            if rank != 0 && rank <= lastSectionRank {
                throw ModuleError(.unexpectedContentAfterLastSection, at: cursor)
            }
            if id == 10 {
                guard try decodeArrivedBodies(sectionStart: bodyStart, sectionEnd: bodyStart &+ size) else { return }
            } else {
                guard received &- bodyStart >= size else { return }
                var reader = ByteReader(base: bytes, position: bytes + bodyStart, end: bytes + bodyStart + size)
                try decodeSection(id, &reader)
                guard reader.isAtEnd else { throw ModuleError(.sectionSizeMismatch, at: reader.offset) }
            }
            if rank != 0 { lastSectionRank = rank }
            cursor = bodyStart &+ size
        }
    }

    /// Checks as much of the 8-byte header as has arrived.
    private func checkHeader() throws(ModuleError) {
        if received >= 4 && bytes.loadUnaligned(as: UInt32.self) != UInt32(littleEndian: 0x6D73_6100) {
            throw ModuleError(.magicHeaderNotDetected, at: 0)
        }
        if received >= 8 && bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self) != UInt32(littleEndian: 1) {
            throw ModuleError(.unknownBinaryVersion, at: 4)
        }
    }

    /// The section size at `offset` and where the body starts, or nil if the size has not
    /// fully arrived yet.
    private func sectionSize(at offset: Int) throws(ModuleError) -> (Int, Int)? {
        var reader = ByteReader(base: bytes, position: bytes + offset, end: bytes + received)
        let size: UInt32
        do {
            size = try reader.readU32()
        } catch {
            if error.kind == .unexpectedEndOfSectionOrFunction { return nil }
            throw error
        }
        // On 32-bit targets a size above Int.max cannot be in memory anyway.
        guard let count = Int(exactly: size) else { throw ModuleError(.lengthOutOfBounds, at: offset) }
        return (count, reader.offset)
    }

    /// Position in the required section order (spec 5.5.2); 0 for custom sections, which
    /// may appear anywhere. The data count section (12) sits between element and code.
    private static func rank(ofSection id: UInt8) -> Int {
        switch id {
        case 0: return 0
        case 12: return 10
        case 10: return 11
        case 11: return 12
        default: return Int(id)
        }
    }

    private mutating func checkEnd() throws(ModuleError) -> Module {
        guard headerDone else { throw ModuleError(.unexpectedEnd, at: received) }
        if cursor < received {
            // A section whose header or body did not all arrive.
            guard try sectionSize(at: cursor &+ 1) != nil else { throw ModuleError(.unexpectedEnd, at: received) }
            throw ModuleError(.lengthOutOfBounds, at: cursor &+ 1)
        }
        if codeCount != definedFunctionCount {
            throw ModuleError(.functionAndCodeInconsistent, at: codeCountOffset ?? received)
        }
        if let dataCount = module.dataCount, dataCount != 0, !sawData {
            throw ModuleError(.dataCountAndDataInconsistent, at: received)
        }
        try allocateIndexSpaces(through: .global, defined: 0, at: received)
        module.bytes = UnsafeRawBufferPointer(start: bytes, count: received)
        return module
    }

    // MARK: - Sections

    private mutating func decodeSection(_ id: UInt8, _ reader: inout ByteReader) throws(ModuleError) {
        switch id {
        case 0: try decodeCustomSection(&reader)
        case 1: try decodeTypeSection(&reader)
        case 2: try decodeImportSection(&reader)
        case 3: try decodeFunctionSection(&reader)
        case 4: try decodeTableSection(&reader)
        case 5: try decodeMemorySection(&reader)
        case 6: try decodeGlobalSection(&reader)
        case 7: try decodeExportSection(&reader)
        case 8: module.start = try reader.readU32()
        case 9: try decodeElementSection(&reader)
        case 11: try decodeDataSection(&reader)
        default: module.dataCount = try reader.readU32()
        }
    }

    private mutating func decodeCustomSection(_ reader: inout ByteReader) throws(ModuleError) {
        let name: NameBytes
        do {
            name = try reader.readName()
        } catch {
            // The reference interpreter reads the name before bounding the section.
            if error.kind == .unexpectedEndOfSectionOrFunction { throw ModuleError(.unexpectedEnd, at: error.offset) }
            throw error
        }
        // Custom sections are not validated (spec 5.5.3): a malformed name section is
        // ignored rather than rejecting the module.
        if name == "name" && module.functionNames.isEmpty {
            decodeNameSection(reader)
        }
        reader.position = reader.end
    }

    /// Reads the function-names subsection (spec 7.4.1) into `functionNames`, or leaves
    /// it empty if the section is malformed.
    private mutating func decodeNameSection(_ section: ByteReader) {
        let mark = arena.mark
        var reader = section
        do throws(ModuleError) {
            while !reader.isAtEnd {
                let id = try reader.readByte()
                let content = try reader.readBytes(try reader.readLength())
                guard let start = content.baseAddress else { continue }
                var subsection = ByteReader(base: bytes, position: start, end: start + content.count)
                guard id == 1 else { continue }
                let count = try subsection.readLength()
                let names = try allocate(FunctionName.self, count: count, at: subsection.offset)
                for index in 0..<count {
                    let function = try subsection.readU32()
                    names[index] = FunctionName(function: function, name: try subsection.readName())
                }
                guard subsection.isAtEnd else { throw subsection.error(.sectionSizeMismatch) }
                module.functionNames = names
                return
            }
        } catch {
            arena.reset(to: mark)
            module.functionNames = .init(start: nil, count: 0)
        }
    }

    private mutating func decodeTypeSection(_ reader: inout ByteReader) throws(ModuleError) {
        let count = try reader.readLength()
        let types = try allocate(FuncType.self, count: count, at: reader.offset)
        for index in 0..<count {
            let formStart = reader.offset
            let form = try reader.readByte()
            // The reference interpreter reads the form as a 7-bit signed LEB128.
            if form & 0x80 != 0 { throw ModuleError(.integerRepresentationTooLong, at: formStart &+ 1) }
            guard form == 0x60 else { throw ModuleError(.malformedFunctionType, at: formStart) }
            let (params, paramSlots) = try readResultType(&reader)
            let (results, resultSlots) = try readResultType(&reader)
            types[index] = FuncType(params: params, results: results, paramSlots: paramSlots, resultSlots: resultSlots)
        }
        module.types = types
    }

    /// A vector of value types, left in place, and the stack slots it takes.
    private func readResultType(_ reader: inout ByteReader) throws(ModuleError) -> (UnsafeRawBufferPointer, UInt32) {
        let count = try reader.readLength()
        var slots: UInt32 = 0
        let start = reader.position
        for _ in 0..<count {
            slots &+= UInt32(try reader.readValueType().slots)
        }
        return (UnsafeRawBufferPointer(start: start, count: count), slots)
    }

    private enum ImportDescriptor {
        case function(UInt32)
        case table(TableType)
        case memory(Limits)
        case global(GlobalType)

        var kind: ExternKind {
            switch self {
            case .function: .function
            case .table: .table
            case .memory: .memory
            case .global: .global
            }
        }
        var functionType: UInt32? { if case .function(let index) = self { index } else { nil } }
        var tableType: TableType? { if case .table(let type) = self { type } else { nil } }
        var memoryLimits: Limits? { if case .memory(let limits) = self { limits } else { nil } }
        var globalType: GlobalType? { if case .global(let type) = self { type } else { nil } }
    }

    private func readImport(_ reader: inout ByteReader) throws(ModuleError) -> (NameBytes, NameBytes, ImportDescriptor) {
        let moduleName = try reader.readName()
        let field = try reader.readName()
        let kindOffset = reader.offset
        switch try reader.readByte() {
        case 0: return (moduleName, field, .function(try reader.readU32()))
        case 1: return (moduleName, field, .table(try readTableType(&reader)))
        case 2: return (moduleName, field, .memory(try reader.readLimits()))
        case 3: return (moduleName, field, .global(try readGlobalType(&reader)))
        default: throw ModuleError(.malformedImportKind, at: kindOffset)
        }
    }

    private mutating func decodeImportSection(_ reader: inout ByteReader) throws(ModuleError) {
        importSectionStart = reader.offset
        let count = try reader.readLength()
        let imports = try allocate(Import.self, count: count, at: reader.offset)
        // Imports so far of each kind, by `ExternKind` raw value: each import's slot.
        var counts = SIMD4<Int>()
        for index in 0..<count {
            let (moduleName, field, descriptor) = try readImport(&reader)
            let kind = descriptor.kind
            let slot = counts[Int(kind.rawValue)]
            counts[Int(kind.rawValue)] = slot &+ 1
            imports[index] = Import(module: moduleName, field: field, kind: kind, index: UInt32(truncatingIfNeeded: slot))
        }
        module.importedFunctionCount = counts[Int(ExternKind.function.rawValue)]
        module.importedTableCount = counts[Int(ExternKind.table.rawValue)]
        module.importedMemoryCount = counts[Int(ExternKind.memory.rawValue)]
        module.importedGlobalCount = counts[Int(ExternKind.global.rawValue)]
        importSectionEnd = reader.offset
        module.imports = imports
    }

    /// Calls `body` with each import's descriptor, re-reading the (already checked) import
    /// section: index spaces are allocated once their defined part is known, so imported
    /// entries are filled then instead of being kept in a second copy.
    private func forEachImport(_ body: (ImportDescriptor) -> Void) throws(ModuleError) {
        guard importSectionEnd > importSectionStart else { return }
        var reader = ByteReader(base: bytes, position: bytes + importSectionStart, end: bytes + importSectionEnd)
        let count = try reader.readLength()
        for _ in 0..<count {
            body(try readImport(&reader).2)
        }
    }

    /// Allocates every index space up to `kind`'s not yet allocated: `kind`'s with room for
    /// `defined` entries after its imports, earlier ones (their section was absent) with
    /// their imports only. Their sections come in this order, so each is allocated once.
    private mutating func allocateIndexSpaces(through kind: ExternKind, defined: Int, at offset: Int) throws(ModuleError) {
        let noBody = UnsafeRawBufferPointer(start: nil, count: 0)
        while allocatedSpaces <= kind.rawValue {
            let count = allocatedSpaces == kind.rawValue ? defined : 0
            switch allocatedSpaces {
            case ExternKind.function.rawValue:
                module.functions = try indexSpace(module.importedFunctionCount, count, offset, Function(typeIndex: 0, body: noBody)) {
                    $0.functionType.map { Function(typeIndex: $0, body: noBody) }
                }
            case ExternKind.table.rawValue:
                let empty = TableType(elementType: .funcref, limits: Limits(min: 0, max: nil))
                module.tables = try indexSpace(module.importedTableCount, count, offset, empty) { $0.tableType }
            case ExternKind.memory.rawValue:
                let empty = Limits(min: 0, max: nil)
                module.memories = try indexSpace(module.importedMemoryCount, count, offset, empty) { $0.memoryLimits }
            default:
                let noInitializer = ConstExpr(code: noBody)
                let empty = Global(type: GlobalType(valueType: .i32, mutable: false), initializer: noInitializer)
                module.globals = try indexSpace(module.importedGlobalCount, count, offset, empty) {
                    $0.globalType.map { Global(type: $0, initializer: noInitializer) }
                }
            }
            allocatedSpaces &+= 1
        }
    }

    /// An index space of `imported + defined` entries: the imported ones from the import
    /// section in order (`importedEntry` picks those of this space), the defined ones
    /// `placeholder` until their section fills them.
    private func indexSpace<Entry>(
        _ imported: Int, _ defined: Int, _ offset: Int, _ placeholder: Entry, _ importedEntry: (ImportDescriptor) -> Entry?
    ) throws(ModuleError) -> UnsafeMutableBufferPointer<Entry> {
        let entries = try allocate(Entry.self, count: imported &+ defined, at: offset)
        entries.initialize(repeating: placeholder)
        var next = 0
        try forEachImport { descriptor in
            if let entry = importedEntry(descriptor) {
                entries[next] = entry
                next &+= 1
            }
        }
        return entries
    }

    private mutating func decodeFunctionSection(_ reader: inout ByteReader) throws(ModuleError) {
        let count = try reader.readLength()
        try allocateIndexSpaces(through: .function, defined: count, at: reader.offset)
        definedFunctionCount = count
        for index in 0..<count {
            module.functions[module.importedFunctionCount &+ index].typeIndex = try reader.readU32()
        }
    }

    private func readTableType(_ reader: inout ByteReader) throws(ModuleError) -> TableType {
        let elementType = try reader.readReferenceType()
        return TableType(elementType: elementType, limits: try reader.readLimits())
    }

    private func readGlobalType(_ reader: inout ByteReader) throws(ModuleError) -> GlobalType {
        let valueType = try reader.readValueType()
        let mutabilityOffset = reader.offset
        switch try reader.readByte() {
        case 0: return GlobalType(valueType: valueType, mutable: false)
        case 1: return GlobalType(valueType: valueType, mutable: true)
        default: throw ModuleError(.malformedMutability, at: mutabilityOffset)
        }
    }

    private mutating func decodeTableSection(_ reader: inout ByteReader) throws(ModuleError) {
        let count = try reader.readLength()
        try allocateIndexSpaces(through: .table, defined: count, at: reader.offset)
        for index in 0..<count {
            module.tables[module.importedTableCount &+ index] = try readTableType(&reader)
        }
    }

    private mutating func decodeMemorySection(_ reader: inout ByteReader) throws(ModuleError) {
        let count = try reader.readLength()
        try allocateIndexSpaces(through: .memory, defined: count, at: reader.offset)
        for index in 0..<count {
            module.memories[module.importedMemoryCount &+ index] = try reader.readLimits()
        }
    }

    private mutating func decodeGlobalSection(_ reader: inout ByteReader) throws(ModuleError) {
        let count = try reader.readLength()
        try allocateIndexSpaces(through: .global, defined: count, at: reader.offset)
        for index in 0..<count {
            let type = try readGlobalType(&reader)
            module.globals[module.importedGlobalCount &+ index] = Global(type: type, initializer: try reader.readConstantExpression())
        }
    }

    private mutating func decodeExportSection(_ reader: inout ByteReader) throws(ModuleError) {
        let count = try reader.readLength()
        let exports = try allocate(Export.self, count: count, at: reader.offset)
        for index in 0..<count {
            let name = try reader.readName()
            let kindOffset = reader.offset
            guard let kind = ExternKind(rawValue: try reader.readByte()) else {
                throw ModuleError(.malformedExportKind, at: kindOffset)
            }
            exports[index] = Export(name: name, kind: kind, index: try reader.readU32())
        }
        module.exports = exports
    }

    private mutating func decodeElementSection(_ reader: inout ByteReader) throws(ModuleError) {
        let count = try reader.readLength()
        let segments = try allocate(ElementSegment.self, count: count, at: reader.offset)
        let noOffset = ConstExpr(code: UnsafeRawBufferPointer(start: nil, count: 0))
        for index in 0..<count {
            let flagsOffset = reader.offset
            let flags = try reader.readU32()
            guard flags <= 7 else { throw ModuleError(.malformedElementSegmentKind, at: flagsOffset) }
            // Bit 0: passive or declarative; bit 1: explicit table index (active) or
            // declarative (otherwise); bit 2: items are expressions, not function indices.
            let mode: SegmentMode = flags & 1 == 0 ? .active : (flags & 2 == 0 ? .passive : .declarative)
            var table: UInt32 = 0
            var offset = noOffset
            if flags & 3 == 2 { table = try reader.readU32() }
            if mode == .active { offset = try reader.readConstantExpression() }
            let usesExpressions = flags & 4 != 0
            var elementType = ValueType.funcref
            if flags & 3 != 0 {
                if usesExpressions {
                    elementType = try reader.readReferenceType()
                } else {
                    let kindOffset = reader.offset
                    guard try reader.readByte() == 0 else { throw ModuleError(.malformedElementKind, at: kindOffset) }
                }
            }
            let itemCount = try reader.readLength()
            let itemsStart = reader.position
            for _ in 0..<itemCount {
                if usesExpressions {
                    _ = try reader.readConstantExpression()
                } else {
                    _ = try reader.readU32()
                }
            }
            segments[index] = ElementSegment(
                mode: mode, table: table, offset: offset, elementType: elementType,
                count: UInt32(truncatingIfNeeded: itemCount), itemsAreFunctionIndices: !usesExpressions,
                items: UnsafeRawBufferPointer(start: itemsStart, count: reader.position - itemsStart))
        }
        module.elements = segments
    }

    /// Decodes the code section's count and then each body as soon as all its bytes are
    /// in (not waiting for the whole section, so a validator can check each body while the
    /// rest arrives). Returns true once the whole section is in and decoded. Until then a
    /// read that runs past the bytes received means "wait"; once the section is complete
    /// the same reads give the same errors as any other section's.
    private mutating func decodeArrivedBodies(sectionStart: Int, sectionEnd: Int) throws(ModuleError) -> Bool {
        let complete = received >= sectionEnd
        let start = codeCountOffset == nil ? sectionStart : codePosition
        var reader = ByteReader(base: bytes, position: bytes + start, end: bytes + min(received, sectionEnd))
        do {
            if codeCountOffset == nil {
                let countOffset = reader.offset
                let count = try reader.readLength()
                try allocateIndexSpaces(through: .global, defined: 0, at: countOffset)
                // A count mismatch is reported once all sections are in (`checkEnd`), as the
                // reference interpreter does, so a misplaced section is named first.
                codeCount = count
                codeCountOffset = countOffset
                codePosition = reader.offset
            }
            while bodiesDecoded < codeCount {
                let size = try reader.readLength()
                let body = try reader.readBytes(size)
                if bodiesDecoded < definedFunctionCount {
                    module.functions[module.importedFunctionCount &+ bodiesDecoded].body = body
                }
                bodiesDecoded &+= 1
                codePosition = reader.offset
            }
        } catch {
            let ranPastReceived = error.kind == .unexpectedEndOfSectionOrFunction || error.kind == .lengthOutOfBounds
            if !complete && ranPastReceived { return false }
            throw error
        }
        guard complete else { return false }
        guard reader.isAtEnd else { throw ModuleError(.sectionSizeMismatch, at: reader.offset) }
        codeSectionEnd = sectionEnd
        return true
    }

    private mutating func decodeDataSection(_ reader: inout ByteReader) throws(ModuleError) {
        let countOffset = reader.offset
        let count = try reader.readLength()
        if let dataCount = module.dataCount, UInt(dataCount) != UInt(count) {
            throw ModuleError(.dataCountAndDataInconsistent, at: countOffset)
        }
        sawData = true
        let segments = try allocate(DataSegment.self, count: count, at: reader.offset)
        let noOffset = ConstExpr(code: UnsafeRawBufferPointer(start: nil, count: 0))
        for index in 0..<count {
            let flagsOffset = reader.offset
            let flags = try reader.readU32()
            var memory: UInt32 = 0
            var offset = noOffset
            let mode: SegmentMode
            switch flags {
            case 0:
                mode = .active
                offset = try reader.readConstantExpression()
            case 1:
                mode = .passive
            case 2:
                mode = .active
                memory = try reader.readU32()
                offset = try reader.readConstantExpression()
            default:
                throw ModuleError(.malformedDataSegmentKind, at: flagsOffset)
            }
            let size = try reader.readLength()
            segments[index] = DataSegment(mode: mode, memory: memory, offset: offset, bytes: try reader.readBytes(size))
        }
        module.data = segments
    }

    private func allocate<T>(_ type: T.Type, count: Int, at offset: Int) throws(ModuleError) -> UnsafeMutableBufferPointer<T> {
        do {
            return try arena.allocateHigh(T.self, count: count, for: .moduleMetadata)
        } catch {
            throw ModuleError(error, at: offset)
        }
    }
}

extension ByteReader {
    /// Table and memory limits (spec 5.3.7). The flags are read like the reference
    /// interpreter's 1-bit integer: values above 1 are "integer too large".
    mutating func readLimits() throws(ModuleError) -> Limits {
        let flagsOffset = offset
        let flags = try readByte()
        if flags & 0x7F > 1 { throw ModuleError(.integerTooLarge, at: flagsOffset) }
        if flags & 0x80 != 0 { throw ModuleError(.integerRepresentationTooLong, at: flagsOffset &+ 1) }
        let min = try readU32()
        return Limits(min: min, max: flags == 1 ? try readU32() : nil)
    }
}
