/// The contract between the interpreter and host modules (WASI, gpio, i2c, sensor).
///
/// A host function reads its arguments straight from the value stack and writes its
/// results over them, so a call allocates nothing (unlike runtimes that box arguments
/// into arrays on every call). Pointer arguments are checked against linear memory by
/// the interpreter, from the function's `HostSignature`, before the host code runs.
public struct HostCall {
    /// Argument slots on the value stack (one 8-byte slot each, low bits hold i32/f32).
    /// Results are written from slot 0 up; there are at least max(params, results) slots.
    public let slots: UnsafeMutablePointer<UInt64>
    public let memory: GuestMemory

    public init(slots: UnsafeMutablePointer<UInt64>, memory: GuestMemory) {
        self.slots = slots
        self.memory = memory
    }

    @inline(__always) public func i32(_ index: Int) -> UInt32 { UInt32(truncatingIfNeeded: slots[index]) }
    @inline(__always) public func i64(_ index: Int) -> UInt64 { slots[index] }
    @inline(__always) public func setI32(_ index: Int, _ value: UInt32) { slots[index] = UInt64(value) }
    @inline(__always) public func setI64(_ index: Int, _ value: UInt64) { slots[index] = value }
}

/// How a host function call ended.
public enum HostOutcome: Sendable, Equatable {
    /// Results are in the slots; execution continues.
    case done
    /// Results are in the slots, and the caller should regain control before the guest
    /// continues (a sleep, a wait for an edge): execution suspends like fuel running out
    /// and resumes after the instruction that called the host.
    case suspend(wakeAfterNanoseconds: UInt64)
    /// The guest asked to exit (WASI `proc_exit`).
    case exit(code: UInt32)
    /// The host function trapped (e.g. a misuse the spec defines as a trap).
    case trap(HostTrap)
}

/// A trap raised by host code, named so the user sees what went wrong.
public enum HostTrap: UInt8, Error, Sendable, Equatable {
    case outOfBoundsPointer
    case unreachable
    case hostFailure

    public var message: StaticString {
        switch self {
        case .outOfBoundsPointer: return "out of bounds memory access"
        case .unreachable: return "unreachable"
        case .hostFailure: return "host function failed"
        }
    }
}

/// Declares a host function's parameter kinds so guest pointers are checked once, by the
/// interpreter, before the host code runs (WAMR's signature idea). One character a
/// wasm parameter, then `)` and the result characters:
///
///     i  i32        I  i64        f  f32        F  f64
///     *  i32 guest pointer; the next parameter, `~` (an i32), is its length in bytes
///     4  i32 guest pointer to 4 bytes (an out-parameter)     8  the same for 8 bytes
///
/// e.g. `"*~4)i"`: a buffer, its length, a pointer to a 4-byte result; returns an i32.
/// Nested pointers (an iovec's buffers) are checked by the host through `GuestMemory`.
public struct HostSignature: Sendable {
    public let text: StaticString

    public init(_ text: StaticString) { self.text = text }

    /// Checks every pointer parameter; nil if all lie inside memory, else the index of
    /// the first that does not.
    public func firstBadPointer(in call: HostCall) -> Int? {
        var index = 0
        var i = 0
        let count = text.utf8CodeUnitCount
        let chars = text.utf8Start
        while i < count, chars[i] != UInt8(ascii: ")") {
            switch chars[i] {
            case UInt8(ascii: "*"):
                if call.memory.range(call.i32(index), call.i32(index + 1)) == nil { return index }
            case UInt8(ascii: "4"):
                if call.memory.range(call.i32(index), 4) == nil { return index }
            case UInt8(ascii: "8"):
                if call.memory.range(call.i32(index), 8) == nil { return index }
            default:
                break
            }
            index += 1
            i += 1
        }
        return nil
    }

    /// The wasm value types this signature declares, for matching against an import.
    public func matches(params: UnsafeRawBufferPointer, results: UnsafeRawBufferPointer) -> Bool {
        var paramIndex = 0
        var resultIndex = 0
        var inResults = false
        let count = text.utf8CodeUnitCount
        let chars = text.utf8Start
        for i in 0..<count {
            let c = chars[i]
            if c == UInt8(ascii: ")") { inResults = true; continue }
            let type: ValueType
            switch c {
            case UInt8(ascii: "I"): type = .i64
            case UInt8(ascii: "f"): type = .f32
            case UInt8(ascii: "F"): type = .f64
            default: type = .i32
            }
            if inResults {
                guard resultIndex < results.count, results[resultIndex] == type.rawValue else { return false }
                resultIndex += 1
            } else {
                guard paramIndex < params.count, params[paramIndex] == type.rawValue else { return false }
                paramIndex += 1
            }
        }
        return paramIndex == params.count && resultIndex == results.count
    }
}

/// A module of host functions that wasm imports by name. Class-bound so the interpreter
/// can hold `any HostModule` in Embedded Swift too.
public protocol HostModule: AnyObject {
    /// The import module name it answers to, e.g. "wasi_snapshot_preview1".
    var moduleName: StaticString { get }
    /// The function index for an import `field`, or nil if this module has no such function.
    func lookup(field: NameBytes) -> Int?
    /// The signature of function `index` (also used to check the import's type).
    func signature(of index: Int) -> HostSignature
    /// Runs function `index`. Pointer parameters have already been bounds-checked.
    func call(_ index: Int, _ call: HostCall) -> HostOutcome
}
