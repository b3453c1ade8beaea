import PerchCore

/// Why execution stopped abnormally. Messages are the spec test suite's wording, so
/// `assert_trap` reasons compare directly.
public enum TrapKind: UInt8, Error, Sendable, Equatable {
    case unreachable
    case integerDivideByZero
    case integerOverflow
    case invalidConversionToInteger
    case outOfBoundsMemoryAccess
    case outOfBoundsTableAccess
    case undefinedElement
    case uninitializedElement
    case indirectCallTypeMismatch
    case callStackExhausted
    case simdNotSupported
    case hostFailure
    /// A host function returned `.suspend`/`.exit` where the embedder cannot honour it
    /// (instantiation's start function).
    case hostCannotSuspendHere

    public var message: StaticString {
        switch self {
        case .unreachable: return "unreachable"
        case .integerDivideByZero: return "integer divide by zero"
        case .integerOverflow: return "integer overflow"
        case .invalidConversionToInteger: return "invalid conversion to integer"
        case .outOfBoundsMemoryAccess: return "out of bounds memory access"
        case .outOfBoundsTableAccess: return "out of bounds table access"
        case .undefinedElement: return "undefined element"
        case .uninitializedElement: return "uninitialized element"
        case .indirectCallTypeMismatch: return "indirect call type mismatch"
        case .callStackExhausted: return "call stack exhausted"
        case .simdNotSupported: return "SIMD not supported yet"
        case .hostFailure: return "host function failed"
        case .hostCannotSuspendHere: return "host function cannot suspend here"
        }
    }

    init(_ host: HostTrap) {
        switch host {
        case .outOfBoundsPointer: self = .outOfBoundsMemoryAccess
        case .unreachable: self = .unreachable
        case .hostFailure: self = .hostFailure
        }
    }
}

/// A trap with where it happened: the function (index and, when the module's name section
/// has it, its name) and the byte offset of the trapping instruction in the module.
/// `@unchecked Sendable`: `functionName` points into module bytes, which never change.
public struct Trap: Error, @unchecked Sendable {
    public let kind: TrapKind
    /// Index in the defining module's function index space; nil when no function ran yet
    /// (a trap while applying segments during instantiation).
    public let function: UInt32?
    public let functionName: NameBytes?
    /// Byte offset in the module of the trapping instruction.
    public let offset: Int

    public init(_ kind: TrapKind, function: UInt32?, functionName: NameBytes?, offset: Int) {
        self.kind = kind
        self.function = function
        self.functionName = functionName
        self.offset = offset
    }

    /// e.g. "integer divide by zero in function 3 ($div) at offset 0x4a".
    public var message: String {
        var text = "\(kind.message)"
        if let function {
            text += " in function \(function)"
            if let functionName, functionName.count > 0 { text += " ($" + functionName.string + ")" }
        }
        text += " at offset 0x" + String(UInt(bitPattern: offset), radix: 16)
        return text
    }
}

/// A trap at `op` in `function`, with its name from the name section. Out of line: traps
/// are rare, and a handler's registers must not be captured.
@inline(never)
func makeTrap(_ function: UnsafeMutablePointer<FunctionRecord>, _ kind: TrapKind, at op: UnsafeRawPointer) -> Trap {
    let f = function.pointee
    return Trap(kind, function: f.index, functionName: f.instance.pointee.name(ofFunction: f.index),
                offset: op - f.instance.pointee.moduleBytes)
}
