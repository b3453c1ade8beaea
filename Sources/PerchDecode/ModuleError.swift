import PerchCore

/// Why a module was rejected, and where. Both malformed (binary format, spec 5) and
/// invalid (validation, spec 3) modules end here, so a user always gets the byte offset
/// and, inside code, the function index.
public struct ModuleError: Error {
    public let kind: ModuleErrorKind
    /// Byte offset in the module where the problem was found.
    public let offset: Int
    /// Function index (in the function index space), when the problem is inside a body.
    public let function: UInt32?

    public init(_ kind: ModuleErrorKind, at offset: Int, function: UInt32? = nil) {
        self.kind = kind
        self.offset = offset
        self.function = function
    }

    /// The arena could not give what loading needed when it reached `offset`.
    public init(_ arenaError: ArenaError, at offset: Int) {
        self.init(
            .arenaFull(use: arenaError.use, requested: arenaError.requested, available: arenaError.available), at: offset)
    }

    /// e.g. "type mismatch at offset 0x1a3 (function 4)".
    public var message: String {
        var text = kind.message
        text += " at offset 0x" + String(UInt(bitPattern: offset), radix: 16)
        if let function { text += " (function \(function))" }
        return text
    }
}

/// The reasons a module is rejected. The message of each is the spec test suite's
/// expected text for it, so `assert_malformed`/`assert_invalid` reasons read the same.
public enum ModuleErrorKind: Error, Equatable, Sendable {
    case arenaFull(use: ArenaUse, requested: Int, available: Int)
    // Malformed binary format (spec 5), found by the decoder (PerchDecode).
    case unexpectedEndOfSectionOrFunction
    case sectionSizeMismatch
    case lengthOutOfBounds
    case integerTooLarge
    case integerRepresentationTooLong
    case malformedSectionId
    case unexpectedContentAfterLastSection
    case malformedUTF8
    case malformedFunctionType
    case malformedValueType
    case malformedReferenceType
    case malformedImportKind
    case malformedExportKind
    case malformedMutability
    case malformedElementKind
    case malformedElementSegmentKind
    case malformedDataSegmentKind
    case functionAndCodeInconsistent
    case dataCountAndDataInconsistent
    case illegalOpcode(UInt8)
    case constantExpressionRequired
    case unexpectedEnd
    case magicHeaderNotDetected
    case unknownBinaryVersion
    /// Raised by the validator (PerchValidate): spec 3 rules and the malformed code it
    /// meets while reading a function body in its single pass.
    case invalid(ValidationErrorKind)

    public var message: String {
        switch self {
        case .arenaFull(let use, let requested, let available):
            return ArenaError(use: use, requested: requested, available: available).message
        case .unexpectedEndOfSectionOrFunction: return "unexpected end of section or function"
        case .sectionSizeMismatch: return "section size mismatch"
        case .lengthOutOfBounds: return "length out of bounds"
        case .integerTooLarge: return "integer too large"
        case .integerRepresentationTooLong: return "integer representation too long"
        case .malformedSectionId: return "malformed section id"
        case .unexpectedContentAfterLastSection: return "unexpected content after last section"
        case .malformedUTF8: return "malformed UTF-8 encoding"
        case .malformedFunctionType: return "malformed functype"
        case .malformedValueType: return "malformed value type"
        case .malformedReferenceType: return "malformed reference type"
        case .malformedImportKind: return "malformed import kind"
        case .malformedExportKind: return "malformed export kind"
        case .malformedMutability: return "malformed mutability"
        case .malformedElementKind: return "malformed element kind"
        case .malformedElementSegmentKind: return "malformed elements segment kind"
        case .malformedDataSegmentKind: return "malformed data segment kind"
        case .functionAndCodeInconsistent: return "function and code section have inconsistent lengths"
        case .dataCountAndDataInconsistent: return "data count and data section have inconsistent lengths"
        case .illegalOpcode(let op): return "illegal opcode 0x" + String(op, radix: 16)
        case .constantExpressionRequired: return "constant expression required"
        case .unexpectedEnd: return "unexpected end"
        case .magicHeaderNotDetected: return "magic header not detected"
        case .unknownBinaryVersion: return "unknown binary version"
        case .invalid(let reason): return reason.message
        }
    }
}
