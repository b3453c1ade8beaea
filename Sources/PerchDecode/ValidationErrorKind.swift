/// Why the validator rejected a module. Messages are the spec test suite's expected text
/// (`assert_invalid`, and `assert_malformed` for the malformed code found while reading
/// bodies; the byte-level ones, LEB128 and value types, are `ModuleErrorKind`s raised by
/// `ByteReader`); an index, where one is named, follows the text ("unknown global 3").
public enum ValidationErrorKind: Equatable, Sendable {
    // Invalid (spec 3).
    case typeMismatch
    case unknownLocal(UInt32)
    case unknownGlobal(UInt32)
    case unknownFunction(UInt32)
    case unknownTable(UInt32)
    case unknownMemory(UInt32)
    case unknownType(UInt32)
    case unknownLabel(UInt32)
    case unknownDataSegment(UInt32)
    case unknownElemSegment(UInt32)
    case alignmentTooLarge
    case invalidLaneIndex
    case duplicateExportName
    case memorySizeTooLarge
    case multipleMemories
    case sizeMinimumGreaterThanMaximum
    case undeclaredFunctionReference
    case startFunction
    case invalidResultArity
    case globalIsImmutable
    // Malformed code (spec 5.4), met while reading a body.
    /// A 0xFC or 0xFD prefix followed by a sub-opcode that does not exist.
    case illegalPrefixedOpcode(UInt8, UInt32)
    case zeroByteExpected
    case malformedMemopFlags
    case endOpcodeExpected
    case tooManyLocals
    case dataCountSectionRequired

    public var message: String {
        switch self {
        case .typeMismatch: return "type mismatch"
        case .unknownLocal(let i): return "unknown local \(i)"
        case .unknownGlobal(let i): return "unknown global \(i)"
        case .unknownFunction(let i): return "unknown function \(i)"
        case .unknownTable(let i): return "unknown table \(i)"
        case .unknownMemory(let i): return "unknown memory \(i)"
        case .unknownType(let i): return "unknown type \(i)"
        case .unknownLabel(let i): return "unknown label \(i)"
        case .unknownDataSegment(let i): return "unknown data segment \(i)"
        case .unknownElemSegment(let i): return "unknown elem segment \(i)"
        case .alignmentTooLarge: return "alignment must not be larger than natural"
        case .invalidLaneIndex: return "invalid lane index"
        case .duplicateExportName: return "duplicate export name"
        case .memorySizeTooLarge: return "memory size must be at most 65536 pages (4GiB)"
        case .multipleMemories: return "multiple memories"
        case .sizeMinimumGreaterThanMaximum: return "size minimum must not be greater than maximum"
        case .undeclaredFunctionReference: return "undeclared function reference"
        case .startFunction: return "start function"
        case .invalidResultArity: return "invalid result arity"
        case .globalIsImmutable: return "global is immutable"
        case .illegalPrefixedOpcode(let prefix, let op):
            return "illegal opcode 0x" + String(prefix, radix: 16) + " " + String(op)
        case .zeroByteExpected: return "zero byte expected"
        case .malformedMemopFlags: return "malformed memop flags"
        case .endOpcodeExpected: return "END opcode expected"
        case .tooManyLocals: return "too many locals"
        case .dataCountSectionRequired: return "data count section required"
        }
    }
}
