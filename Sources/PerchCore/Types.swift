/// WebAssembly value types (spec 2.3.1..2.3.4, binary 5.3.1..5.3.3), by their binary encoding.
public enum ValueType: UInt8, Sendable {
    case i32 = 0x7F
    case i64 = 0x7E
    case f32 = 0x7D
    case f64 = 0x7C
    case v128 = 0x7B
    case funcref = 0x70
    case externref = 0x6F

    public var isReference: Bool { self == .funcref || self == .externref }

    /// Value-stack slots (8 bytes each) a value of this type takes: v128 takes two.
    public var slots: Int { self == .v128 ? 2 : 1 }

    public var name: StaticString {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .funcref: return "funcref"
        case .externref: return "externref"
        }
    }
}

/// Size limits of a memory (in 64 KiB pages) or table (in elements), spec 2.3.5.
public struct Limits: Sendable, Equatable {
    public var min: UInt32
    public var max: UInt32?

    public init(min: UInt32, max: UInt32?) {
        self.min = min
        self.max = max
    }

    /// Import matching, spec 4.5.2.1: the provided limits must lie within the expected ones.
    public func isSubtype(of expected: Limits) -> Bool {
        guard min >= expected.min else { return false }
        guard let expectedMax = expected.max else { return true }
        guard let max else { return false }
        return max <= expectedMax
    }
}

/// Size of a WebAssembly page (spec 2.3.8).
public let wasmPageSize = 65536

/// A name as UTF-8 bytes that live elsewhere (module bytes in the arena, or a static
/// string); never copied, so looking up imports and exports allocates nothing.
public struct NameBytes {
    public let start: UnsafeRawPointer?
    public let count: Int

    public init(start: UnsafeRawPointer?, count: Int) {
        self.start = start
        self.count = count
    }

    public init(_ string: StaticString) {
        self.start = UnsafeRawPointer(string.utf8Start)
        self.count = string.utf8CodeUnitCount
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: start, count: count) }

    public static func == (lhs: NameBytes, rhs: NameBytes) -> Bool {
        lhs.count == rhs.count && lhs.bytes.elementsEqual(rhs.bytes)
    }

    public static func == (lhs: NameBytes, rhs: StaticString) -> Bool {
        lhs == NameBytes(rhs)
    }

    /// A printable copy, for messages only (never on a hot path).
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}
