import PerchCore
import PerchDecode
import PerchValidate
import Testing
@testable import PerchInterp
@testable import PerchSelfTest

/// A host module for the tests: `add` returns the sum, `sleep` asks to suspend.
final class TestHost: HostModule {
    var calls = 0
    var moduleName: StaticString { "host" }
    func lookup(field: NameBytes) -> Int? {
        if field == "add" { return 0 }
        if field == "sleep" { return 1 }
        return nil
    }
    func signature(of index: Int) -> HostSignature { index == 0 ? HostSignature("ii)i") : HostSignature("i)") }
    func call(_ index: Int, _ call: HostCall) -> HostOutcome {
        calls += 1
        if index == 0 {
            call.setI32(0, call.i32(0) &+ call.i32(1))
            return .done
        }
        return .suspend(wakeAfterNanoseconds: UInt64(call.i32(0)))
    }
}

/// Decodes, validates and instantiates `bytes` in a fresh arena of `arenaBytes`.
func instantiate(
    _ bytes: [UInt8], arenaBytes: Int = 1 << 20, linker: Linker = Linker(), callDepth: Int = 200, arena: Arena? = nil
) throws -> (Instance, Machine) {
    let arena = try arena ?? Arena(capacity: arenaBytes)
    let machine = try Machine(arena: try Arena(capacity: 1 << 20), valueStackSlots: 16_384, callDepth: callDepth)
    let module: Module = try bytes.withUnsafeBytes { chunk in
        var decoder = try ModuleDecoder(arena: arena)
        try decoder.feed(chunk)
        var module = try decoder.finish()
        try validate(&module, arena: arena)
        return module
    }
    return (try Instance.instantiate(module, in: arena, linker: linker, machine: machine), machine)
}

extension Instance {
    func function(_ name: StaticString) -> UnsafeMutablePointer<FunctionRecord> {
        exportedFunction(NameBytes(name))!
    }
}

@Suite struct MachineTests {
    /// `wat2wasm --debug-names` of:
    /// (module
    ///   (import "host" "add" (func $hadd (param i32 i32) (result i32)))
    ///   (import "host" "sleep" (func $sleep (param i32)))
    ///   (memory 1)
    ///   (func $fib (export "fib") (param i32) (result i32)
    ///     (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
    ///       (then (local.get 0))
    ///       (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
    ///                      (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
    ///   (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    ///   (func $count (export "count") (param i32) (result i32) (local i32)
    ///     (loop $l
    ///       (local.set 1 (i32.add (local.get 1) (i32.const 1)))
    ///       (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    ///     (local.get 1))
    ///   (func $deep (export "deep") (call $deep))
    ///   (func (export "callhost") (param i32 i32) (result i32) (call $hadd (local.get 0) (local.get 1)))
    ///   (func (export "sleepy") (result i32) (call $sleep (i32.const 5)) (i32.const 42))
    ///   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    /// )
    static let module: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x17, 0x05, 0x60, 0x02, 0x7f, 0x7f,
        0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60,
        0x00, 0x01, 0x7f, 0x02, 0x19, 0x02, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x03, 0x61, 0x64, 0x64,
        0x00, 0x00, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x05, 0x73, 0x6c, 0x65, 0x65, 0x70, 0x00, 0x01,
        0x03, 0x08, 0x07, 0x02, 0x00, 0x02, 0x03, 0x00, 0x04, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01,
        0x07, 0x37, 0x07, 0x03, 0x66, 0x69, 0x62, 0x00, 0x02, 0x03, 0x64, 0x69, 0x76, 0x00, 0x03,
        0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x00, 0x04, 0x04, 0x64, 0x65, 0x65, 0x70, 0x00, 0x05,
        0x08, 0x63, 0x61, 0x6c, 0x6c, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x06, 0x06, 0x73, 0x6c, 0x65,
        0x65, 0x70, 0x79, 0x00, 0x07, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x08, 0x0a, 0x5c, 0x07,
        0x1c, 0x00, 0x20, 0x00, 0x41, 0x02, 0x49, 0x04, 0x7f, 0x20, 0x00, 0x05, 0x20, 0x00, 0x41,
        0x01, 0x6b, 0x10, 0x02, 0x20, 0x00, 0x41, 0x02, 0x6b, 0x10, 0x02, 0x6a, 0x0b, 0x0b, 0x07,
        0x00, 0x20, 0x00, 0x20, 0x01, 0x6d, 0x0b, 0x17, 0x01, 0x01, 0x7f, 0x03, 0x40, 0x20, 0x01,
        0x41, 0x01, 0x6a, 0x21, 0x01, 0x20, 0x01, 0x20, 0x00, 0x49, 0x0d, 0x00, 0x0b, 0x20, 0x01,
        0x0b, 0x04, 0x00, 0x10, 0x05, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x0b,
        0x08, 0x00, 0x41, 0x05, 0x10, 0x01, 0x41, 0x2a, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00,
        0x0b, 0x00, 0x41, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x25, 0x06, 0x00, 0x04, 0x68, 0x61,
        0x64, 0x64, 0x01, 0x05, 0x73, 0x6c, 0x65, 0x65, 0x70, 0x02, 0x03, 0x66, 0x69, 0x62, 0x03,
        0x03, 0x64, 0x69, 0x76, 0x04, 0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x05, 0x04, 0x64, 0x65,
        0x65, 0x70, 0x02, 0x13, 0x09, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00,
        0x05, 0x00, 0x06, 0x00, 0x07, 0x00, 0x08, 0x00
    ]

    func setUp() throws -> (Instance, Machine, TestHost) {
        let host = TestHost()
        let linker = Linker()
        linker.register(host: host)
        let (instance, machine) = try instantiate(Self.module, linker: linker)
        return (instance, machine, host)
    }

    @Test func recursiveCallsComputeFib() throws {
        let (instance, machine, _) = try setUp()
        let outcome = try [20].withUnsafeBufferPointer { try machine.invoke(instance.function("fib"), arguments: $0) }
        #expect(outcome == .finished)
        #expect(machine.results.first == 6765)
    }

    @Test func trapsNameTheFunctionAndOffset() throws {
        let (instance, machine, _) = try setUp()
        do {
            _ = try [7, 0].withUnsafeBufferPointer { try machine.invoke(instance.function("div"), arguments: $0) }
            Issue.record("expected a trap")
        } catch let trap as Trap {
            #expect(trap.kind == .integerDivideByZero)
            #expect(trap.function == 3)  // two imports, then fib, div
            #expect(trap.functionName?.string == "div")
            // The offset is the i32.div_s opcode's position in the module.
            #expect(Self.module[trap.offset] == 0x6D)
            #expect(trap.message.contains("integer divide by zero in function 3 ($div) at offset 0x"))
        }
        // The machine is usable again after a trap.
        let outcome = try [9, 2].withUnsafeBufferPointer { try machine.invoke(instance.function("div"), arguments: $0) }
        #expect(outcome == .finished && machine.results.first == 4)
    }

    /// `wat2wasm` of: constants and memargs of several bytes, whose decoded values come from
    /// the side table, around branches that step over their entries:
    /// (module (memory 1)
    ///   (func (export "mix") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    ///     (loop $l
    ///       (i32.store16 offset=300 (i32.shl (local.get $i) (i32.const 1)) (i32.add (local.get $i) (i32.const 1000)))
    ///       (if (i32.and (local.get $i) (i32.const 1))
    ///         (then (local.set $acc (i64.add (local.get $acc) (i64.const 0x100000000))))
    ///         (else (local.set $acc (i64.add (local.get $acc)
    ///           (i64.extend_i32_u (i32.load16_u offset=300 (i32.shl (local.get $i) (i32.const 1))))))))
    ///       (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    ///     (local.get $acc))
    ///   (func (export "widths") (result i64)
    ///     (i64.store offset=1000 (i32.const 0) (i64.const -2))
    ///     (i32.store8 offset=2000 (i32.const 0) (i32.const 300))
    ///     (i64.add
    ///       (i64.add (i64.load8_s offset=1000 (i32.const 0)) (i64.load16_u offset=1000 (i32.const 0)))
    ///       (i64.add
    ///         (i64.add (i64.extend_i32_s (i32.load offset=1000 (i32.const 0))) (i64.load32_u offset=1004 (i32.const 0)))
    ///         (i64.extend_i32_u (i32.load8_u offset=2000 (i32.const 0)))))))
    static let immediates: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x01,
        0x7e, 0x60, 0x00, 0x01, 0x7e, 0x03, 0x03, 0x02, 0x00, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01,
        0x07, 0x10, 0x02, 0x03, 0x6d, 0x69, 0x78, 0x00, 0x00, 0x06, 0x77, 0x69, 0x64, 0x74, 0x68,
        0x73, 0x00, 0x01, 0x0a, 0x83, 0x01, 0x02, 0x49, 0x02, 0x01, 0x7f, 0x01, 0x7e, 0x03, 0x40,
        0x20, 0x01, 0x41, 0x01, 0x74, 0x20, 0x01, 0x41, 0xe8, 0x07, 0x6a, 0x3b, 0x01, 0xac, 0x02,
        0x20, 0x01, 0x41, 0x01, 0x71, 0x04, 0x40, 0x20, 0x02, 0x42, 0x80, 0x80, 0x80, 0x80, 0x10,
        0x7c, 0x21, 0x02, 0x05, 0x20, 0x02, 0x20, 0x01, 0x41, 0x01, 0x74, 0x2f, 0x01, 0xac, 0x02,
        0xad, 0x7c, 0x21, 0x02, 0x0b, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x22, 0x01, 0x20, 0x00, 0x47,
        0x0d, 0x00, 0x0b, 0x20, 0x02, 0x0b, 0x37, 0x00, 0x41, 0x00, 0x42, 0x7e, 0x37, 0x03, 0xe8,
        0x07, 0x41, 0x00, 0x41, 0xac, 0x02, 0x3a, 0x00, 0xd0, 0x0f, 0x41, 0x00, 0x30, 0x00, 0xe8,
        0x07, 0x41, 0x00, 0x33, 0x01, 0xe8, 0x07, 0x7c, 0x41, 0x00, 0x28, 0x02, 0xe8, 0x07, 0xac,
        0x41, 0x00, 0x35, 0x02, 0xec, 0x07, 0x7c, 0x41, 0x00, 0x2d, 0x00, 0xd0, 0x0f, 0xad, 0x7c,
        0x7c, 0x0b,
    ]

    @Test func multiByteImmediatesReadTheirSideTableEntries() throws {
        let (instance, machine) = try instantiate(Self.immediates)
        let outcome = try [10].withUnsafeBufferPointer { try machine.invoke(instance.function("mix"), arguments: $0) }
        #expect(outcome == .finished)
        var expected: UInt64 = 0
        for i in 0..<10 as Range<UInt64> { expected += i & 1 == 1 ? 1 << 32 : i + 1000 }
        #expect(machine.results.first == expected)
        _ = try machine.invoke(instance.function("widths"), arguments: UnsafeBufferPointer(start: nil, count: 0))
        // -2 + 0xFFFE + -2 + 0xFFFF_FFFF + (300 & 0xFF)
        #expect(machine.results.first == 4_295_032_869)
    }

    /// Runs export `name` of `module` with `args` to the end in slices of `fuel` units: its
    /// first result, and how many times it stopped out of fuel. A run that stops 100 times
    /// is abandoned, its result nil, so a loop that never ends fails a test instead of
    /// hanging it.
    func runInSlices(_ module: [UInt8], _ name: StaticString, args: [UInt64], fuel: Int) throws -> (UInt64?, slices: Int) {
        let (instance, machine) = try instantiate(module, arenaBytes: 1 << 18)
        try args.withUnsafeBufferPointer { try machine.start(instance.function(name), arguments: $0) }
        var slices = 0
        while try machine.run(fuel: fuel) != .finished {
            slices += 1
            if slices == 100 {
                machine.abandon()
                return (nil, slices)
            }
        }
        return (machine.results.first, slices)
    }

    /// `runInSlices` with the one argument `n`.
    func runInSlices(_ module: [UInt8], _ name: StaticString, n: Int, fuel: Int) throws -> (UInt64?, slices: Int) {
        try runInSlices(module, name, args: [UInt64(n)], fuel: fuel)
    }

    /// A call whose function index is padded to five bytes, as linkers leave relocated
    /// ones, reads the index from its side-table entry; the `if` and back-edge `br_if` after
    /// it find theirs, and a run out of fuel at the call re-executes it from that entry.
    ///   (func $twice (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))
    ///   (func (export "padded") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    ///     (loop $l
    ///       (local.set $acc (i32.add (local.get $acc) (call $twice (local.get $i))))  ;; 10 80 80 80 80 00
    ///       (if (i32.and (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 1))
    ///         (then (local.set $acc (i32.add (local.get $acc) (i32.const 3)))))
    ///       (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    ///     (local.get $acc))
    static let paddedCall: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
        0x03, 0x03, 0x02, 0x00, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x70, 0x61, 0x64, 0x64, 0x65, 0x64, 0x00,
        0x01, 0x0a, 0x3b, 0x02, 0x07, 0x00, 0x20, 0x00, 0x20, 0x00, 0x6a, 0x0b, 0x31, 0x01, 0x02, 0x7f,
        0x03, 0x40, 0x20, 0x02, 0x20, 0x01, 0x10, 0x80, 0x80, 0x80, 0x80, 0x00, 0x6a, 0x21, 0x02, 0x20,
        0x01, 0x41, 0x01, 0x6a, 0x22, 0x01, 0x41, 0x01, 0x71, 0x04, 0x40, 0x20, 0x02, 0x41, 0x03, 0x6a,
        0x21, 0x02, 0x0b, 0x20, 0x01, 0x20, 0x00, 0x49, 0x0d, 0x00, 0x0b, 0x20, 0x02, 0x0b,
    ]

    @Test(arguments: [Int.max, 1])
    func paddedCallIndexComesFromTheSideTable(fuel: Int) throws {
        let n = 10
        let (result, slices) = try runInSlices(Self.paddedCall, "padded", n: n, fuel: fuel)
        let expected = (0..<n).reduce(0) { $0 + 2 * $1 + (($1 + 1) & 1 == 1 ? 3 : 0) }
        #expect(result == UInt64(expected))
        // One unit per call and per back-edge (10 + 9): a stop before each after the first.
        #expect(slices == (fuel == 1 ? 2 * n - 2 : 0))
    }

    /// local.tee and local.get take along an i32.const whose value is in the side table,
    /// stepping past its entry, so the if and the back-edge br_if after them find theirs.
    ///   (func (export "wide") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    ///     (loop $l
    ///       (local.set $acc (i32.add (local.get $acc)
    ///         (i32.add (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100000))))
    ///       (if (i32.and (local.get $i) (i32.const 1))
    ///         (then (local.set $acc (i32.sub (local.get $acc) (i32.const 300)))))
    ///       (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    ///     (local.get $acc))
    static let wideConstants: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
        0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 0x77, 0x69, 0x64, 0x65, 0x00, 0x00, 0x0a, 0x33,
        0x01, 0x31, 0x01, 0x02, 0x7f, 0x03, 0x40, 0x20, 0x02, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x22, 0x01,
        0x41, 0xa0, 0x8d, 0x06, 0x6a, 0x6a, 0x21, 0x02, 0x20, 0x01, 0x41, 0x01, 0x71, 0x04, 0x40, 0x20,
        0x02, 0x41, 0xac, 0x02, 0x6b, 0x21, 0x02, 0x0b, 0x20, 0x01, 0x20, 0x00, 0x49, 0x0d, 0x00, 0x0b,
        0x20, 0x02, 0x0b,
    ]

    @Test(arguments: [Int.max, 1])
    func constantsFromTheSideTableAreTakenAlong(fuel: Int) throws {
        let n = 10
        let (result, slices) = try runInSlices(Self.wideConstants, "wide", n: n, fuel: fuel)
        let expected = (1...n).reduce(0) { $0 + $1 + 100_000 - ($1 & 1 == 1 ? 300 : 0) }
        #expect(result == UInt64(expected))
        // One unit per back-edge: with 1-unit slices, a stop before each after the first.
        #expect(slices == (fuel == 1 ? n - 2 : 0))
    }

    /// Wide side-table entries (a payload after the stream) taken and stepped past: a
    /// `br_if`, a `br` and one of a `br_table`'s two entries that drop 20 values, and a
    /// back-edge 33,000 bytes long; also when the run stops at each unit of fuel.
    ///   (func (export "f") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    ///     (loop $l
    ///       (block $b (result i32)
    ///         20 x (i32.const 7)
    ///         (br_if $b (local.get $i) (i32.and (local.get $i) (i32.const 1)))  ;; odd: i
    ///         (drop)
    ///         (block $c (result i32)
    ///           (br_table $c $b (i32.mul (local.get $i) (i32.const 10))
    ///                           (i32.and (local.get $i) (i32.const 2))))        ;; i % 4 == 2: 10i
    ///         (br $b (i32.add (i32.const 1))))                                  ;; i % 4 == 0: 10i + 1
    ///       (local.set $acc (i32.add (local.get $acc)))
    ///       33000 x (nop)
    ///       (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    ///     (local.get $acc))
    static var wideEntries: [UInt8] {
        var body: [UInt8] = [0x01, 0x02, 0x7F, 0x03, 0x40, 0x02, 0x7F]
        body += [UInt8](repeating: 0, count: 20).flatMap { _ in [0x41, 0x07] }
        body += [0x20, 0x01, 0x20, 0x01, 0x41, 0x01, 0x71, 0x0D, 0x00, 0x1A]
        body += [0x02, 0x7F, 0x20, 0x01, 0x41, 0x0A, 0x6C, 0x20, 0x01, 0x41, 0x02, 0x71, 0x0E, 0x01, 0x00, 0x01, 0x0B]
        body += [0x41, 0x01, 0x6A, 0x0C, 0x00, 0x0B, 0x20, 0x02, 0x6A, 0x21, 0x02]
        body += [UInt8](repeating: 0x01, count: 33000)
        body += [0x20, 0x01, 0x41, 0x01, 0x6A, 0x22, 0x01, 0x20, 0x00, 0x49, 0x0D, 0x00, 0x0B, 0x20, 0x02, 0x0B]
        func leb(_ n: Int) -> [UInt8] {
            n < 0x80 ? [UInt8(n)] : [UInt8(n & 0x7F | 0x80)] + leb(n >> 7)
        }
        func section(_ id: UInt8, _ content: [UInt8]) -> [UInt8] { [id] + leb(content.count) + content }
        let function = leb(body.count) + body
        return [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
            + section(1, [0x01, 0x60, 0x01, 0x7F, 0x01, 0x7F]) + section(3, [0x01, 0x00])
            + section(7, [0x01, 0x01, 0x66, 0x00, 0x00]) + section(10, [0x01] + function)
    }

    @Test(arguments: [Int.max, 1])
    func wideEntriesRunLikeCompactOnes(fuel: Int) throws {
        let n = 10
        let (result, slices) = try runInSlices(Self.wideEntries, "f", n: n, fuel: fuel)
        let expected = (0..<n).reduce(0) { $0 + ($1 & 1 == 1 ? $1 : $1 & 2 == 2 ? 10 * $1 : 10 * $1 + 1) }
        #expect(result == UInt64(expected))
        #expect(slices == (fuel == 1 ? n - 2 : 0))
    }

    /// Labels and block types written in two bytes (`paddedLabelsModule`, the device
    /// self-test's module; its comment gives the function), also when the run stops at each
    /// unit of fuel.
    @Test(arguments: [Int.max, 1])
    func paddedLabelsAndBlockTypesAreSteppedOver(fuel: Int) throws {
        let n = 12
        let (result, slices) = try runInSlices(paddedLabelsModule, "f", n: n, fuel: fuel)
        let expected = (0..<n).reduce(0) {
            $0 + ($1 & 4 == 0 ? 1000 : 0) + ($1 & 1 == 1 ? 3 : 5) + ($1 % 3 == 0 ? 0 : 100)
        }
        #expect(result == UInt64(expected))
        // One unit per back-edge: with 1-unit slices, a stop before each after the first.
        #expect(slices == (fuel == 1 ? n - 2 : 0))
    }

    /// i64 results going straight into locals (`i64ResultsModule`, the device self-test's
    /// module; its comment gives the functions), also when the run stops at each unit of
    /// fuel: every path of `i64Result` and a division by zero before a `local.set`. The
    /// functions need at most 64 units.
    @Test(arguments: [10_000, 1])
    func i64ResultsGoStraightIntoLocals(fuel: Int) throws {
        func run(_ name: StaticString, _ args: [UInt64]) throws -> (UInt64?, slices: Int) {
            try runInSlices(i64ResultsModule, name, args: args, fuel: fuel)
        }
        let e: UInt64 = 123_456_789
        let (result, slices) = try run("powmod", [7, e, 4_294_967_291])
        #expect(result == expectedPowmod(7, e, 4_294_967_291))
        // One unit per back-edge, one a bit of e: with 1-unit slices, a stop before each
        // after the first.
        let bits = 64 - e.leadingZeroBitCount
        #expect(slices == (fuel == 1 ? bits - 1 : 0))
        #expect(try run("powmod", [3, 1_000_000_000_000_000_009, 1 << 63 - 25]).0
            == expectedPowmod(3, 1_000_000_000_000_000_009, 1 << 63 - 25))
        #expect(try run("wide", [0x0123_4567_89AB_CDEF, 5]).0 == expectedWide(0x0123_4567_89AB_CDEF, 5))
        #expect(try run("divset", [200, 30]).0 == 30 + 3 - 6)
        do {
            _ = try run("divset", [1, 0])
            Issue.record("i64.div_u by zero did not trap")
        } catch let trap as Trap {
            #expect(trap.kind == .integerDivideByZero)
            #expect(i64ResultsModule[trap.offset] == 0x80)
        }
    }

    /// Local indices written in two bytes, as a producer may pad them, run with the
    /// handlers that take multi-byte indices; a module calling into that one runs with
    /// the one-byte set, and the calls and returns between them switch sets, also when
    /// the run stops at each unit of fuel.
    ///   (module $w (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    ///     (loop $l  ;; every local index as two bytes: 20 82 00, 21 82 00, 22 81 00, ...
    ///       (local.set $acc (i32.add (local.get $acc) (local.get $i)))
    ///       (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    ///     (local.get $acc)))
    static let paddedLocalIndices: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
        0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x73, 0x75, 0x6d, 0x00, 0x00, 0x0a, 0x25, 0x01,
        0x23, 0x01, 0x02, 0x7f, 0x03, 0x40, 0x20, 0x82, 0x00, 0x20, 0x81, 0x00, 0x6a, 0x21, 0x82, 0x00,
        0x20, 0x81, 0x00, 0x41, 0x01, 0x6a, 0x22, 0x81, 0x00, 0x20, 0x80, 0x00, 0x49, 0x0d, 0x00, 0x0b,
        0x20, 0x82, 0x00, 0x0b,
    ]
    ///   (module (import "w" "sum" (func $sum (param i32) (result i32)))
    ///     (func (export "outer") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    ///       (loop $l
    ///         (local.set $acc (i32.add (local.get $acc) (call $sum (local.get $i))))
    ///         (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    ///       (local.get $acc)))
    static let callsPaddedLocalIndices: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,
        0x02, 0x09, 0x01, 0x01, 0x77, 0x03, 0x73, 0x75, 0x6d, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07,
        0x09, 0x01, 0x05, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x00, 0x01, 0x0a, 0x20, 0x01, 0x1e, 0x01, 0x02,
        0x7f, 0x03, 0x40, 0x20, 0x02, 0x20, 0x01, 0x10, 0x00, 0x6a, 0x21, 0x02, 0x20, 0x01, 0x41, 0x01,
        0x6a, 0x22, 0x01, 0x20, 0x00, 0x49, 0x0d, 0x00, 0x0b, 0x20, 0x02, 0x0b,
    ]

    @Test(arguments: [Int.max, 1])
    func paddedLocalIndicesRunWithTheirOwnHandlers(fuel: Int) throws {
        let linker = Linker()
        let (padded, _) = try instantiate(Self.paddedLocalIndices, arenaBytes: 1 << 18, linker: linker)
        linker.register(padded, as: Array("w".utf8))
        let (caller, machine) = try instantiate(Self.callsPaddedLocalIndices, arenaBytes: 1 << 18, linker: linker)
        #expect(!padded.record.pointee.oneByteLocalIndices)
        #expect(caller.record.pointee.oneByteLocalIndices)
        let n = 6
        try [UInt64(n)].withUnsafeBufferPointer { try machine.start(caller.function("outer"), arguments: $0) }
        var slices = 0
        while try machine.run(fuel: fuel) != .finished { slices += 1 }
        let sums: [Int] = (0..<n).map { k in k * (k - 1) / 2 }
        #expect(machine.results.first == UInt64(sums.reduce(0, +)))
        // Units: n calls, n - 1 outer back-edges, max(k - 1, 0) in sum(k); with 1-unit
        // slices, a stop before each after the first.
        let innerBackEdges: [Int] = (0..<n).map { k in max(k - 1, 0) }
        let units = n + (n - 1) + innerBackEdges.reduce(0, +)
        #expect(slices == (fuel == 1 ? units - 1 : 0))
    }

    /// Pending operands (perch_dispatch.h) before each kind of consumer: a call (a cold
    /// opcode), select, a store's value, a load's address, i64.and after a fused
    /// local.get + i64.const, an i64.eqz whose i32.eqz is taken along, and a br_if on a
    /// back-edge, where a run out of fuel must stop with the condition on the stack.
    ///   (func $twice (param i32) (result i32) (i32.add (local.get 0) (local.get 0)))
    ///   (func (export "pending") (param $n i32) (result i64)
    ///     (local $i i32) (local $more i32) (local $c i32) (local $v i32) (local $w i64) (local $acc i64)
    ///     (loop $l
    ///       (local.set $w (i64.extend_i32_u (local.get $i)))
    ///       (local.set $c (i32.and (local.get $i) (i32.const 2)))
    ///       (local.set $v
    ///         (if (result i32) (i32.eqz (i64.eqz (i64.and (local.get $w) (i64.const 1))))
    ///           (then (call $twice (local.get $i)))
    ///           (else (select (local.get $i) (i32.const 7) (local.get $c)))))
    ///       (i32.store offset=8 (i32.const 0) (local.get $v))
    ///       (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load offset=8 (i32.const 0)))))
    ///       (local.set $i (i32.add (local.get $i) (i32.const 1)))
    ///       (local.set $more (i32.lt_u (local.get $i) (local.get $n)))
    ///       (br_if $l (local.get $more)))
    ///     (local.get $acc))
    static let pendingOperands: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0b, 0x02, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7e, 0x03, 0x03, 0x02, 0x00, 0x01, 0x05, 0x03, 0x01, 0x00,
        0x01, 0x07, 0x0b, 0x01, 0x07, 0x70, 0x65, 0x6e, 0x64, 0x69, 0x6e, 0x67, 0x00, 0x01, 0x0a,
        0x5d, 0x02, 0x07, 0x00, 0x20, 0x00, 0x20, 0x00, 0x6a, 0x0b, 0x53, 0x02, 0x04, 0x7f, 0x02,
        0x7e, 0x03, 0x40, 0x20, 0x01, 0xad, 0x21, 0x05, 0x20, 0x01, 0x41, 0x02, 0x71, 0x21, 0x03,
        0x20, 0x05, 0x42, 0x01, 0x83, 0x50, 0x45, 0x04, 0x7f, 0x20, 0x01, 0x10, 0x00, 0x05, 0x20,
        0x01, 0x41, 0x07, 0x20, 0x03, 0x1b, 0x0b, 0x21, 0x04, 0x41, 0x00, 0x20, 0x04, 0x36, 0x02,
        0x08, 0x20, 0x06, 0x41, 0x00, 0x28, 0x02, 0x08, 0xad, 0x7c, 0x21, 0x06, 0x20, 0x01, 0x41,
        0x01, 0x6a, 0x21, 0x01, 0x20, 0x01, 0x20, 0x00, 0x49, 0x21, 0x02, 0x20, 0x02, 0x0d, 0x00,
        0x0b, 0x20, 0x06, 0x0b,
    ]

    @Test(arguments: [Int.max, 1])
    func pendingOperandsReachEveryKindOfConsumer(fuel: Int) throws {
        let n = 10
        let (result, slices) = try runInSlices(Self.pendingOperands, "pending", n: n, fuel: fuel)
        var expected: UInt64 = 0
        for i in 0..<n {
            let value: Int = i & 1 == 1 ? 2 * i : (i & 2 != 0 ? i : 7)
            expected += UInt64(value)
        }
        #expect(result == expected)
        // One unit per back-edge and per call: 9 back-edges and 5 calls, a stop before each
        // unit after the first.
        #expect(slices == (fuel == 1 ? (n - 1) + n / 2 - 1 : 0))
    }

    /// A pending operand beneath an opcode that leaves it on the stack (nop, a float
    /// constant, global.get, block, a reinterpretation, else) or reads it from its slot
    /// (global.set): that opcode's pending entry must store it (perch_dispatch.h,
    /// `PERCH_KEEPING`), or the value read back later is stale. With f32.const moved to
    /// the popping list, the result is 33.
    ///   (global $g (mut i32) (i32.const 0))
    ///   (func (export "keep") (param $x i32) (result i32)
    ///     (local.get $x) nop
    ///     (local.get $x) (f32.const 1.5) drop  i32.add
    ///     (local.get $x) (f64.const 2.5) drop  i32.add
    ///     (local.get $x) (global.get $g) drop  i32.add
    ///     (local.get $x) (block)  i32.add
    ///     (local.get $x) f32.reinterpret_i32 i32.reinterpret_f32  i32.add
    ///     (i32.const 3) (global.set $g) (global.get $g)  i32.add
    ///     (if (result i32) (i32.const 1) (then (local.get $x)) (else (i32.const 0)))  i32.add)
    static let keptPendingOperands: [UInt8] = [
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
        0x7f, 0x03, 0x02, 0x01, 0x00, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x08,
        0x01, 0x04, 0x6b, 0x65, 0x65, 0x70, 0x00, 0x00, 0x0a, 0x40, 0x01, 0x3e, 0x00, 0x20, 0x00,
        0x01, 0x20, 0x00, 0x43, 0x00, 0x00, 0xc0, 0x3f, 0x1a, 0x6a, 0x20, 0x00, 0x44, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x04, 0x40, 0x1a, 0x6a, 0x20, 0x00, 0x23, 0x00, 0x1a, 0x6a, 0x20,
        0x00, 0x02, 0x40, 0x0b, 0x6a, 0x20, 0x00, 0xbe, 0xbc, 0x6a, 0x41, 0x03, 0x24, 0x00, 0x23,
        0x00, 0x6a, 0x41, 0x01, 0x04, 0x7f, 0x20, 0x00, 0x05, 0x41, 0x00, 0x0b, 0x6a, 0x0b,
    ]

    @Test func pendingOperandsSurviveOpcodesThatKeepThem() throws {
        let (result, _) = try runInSlices(Self.keptPendingOperands, "keep", n: 5, fuel: .max)
        #expect(result == 7 * 5 + 3)
    }

    @Test func deepRecursionEndsInCallStackExhausted() throws {
        let (instance, machine, _) = try setUp()
        do {
            _ = try machine.invoke(instance.function("deep"), arguments: UnsafeBufferPointer(start: nil, count: 0))
            Issue.record("expected a trap")
        } catch {
            #expect(error.kind == .callStackExhausted)
            #expect(error.functionName?.string == "deep")
        }
    }

    @Test func fuelSuspendsAtBackEdgesAndResumes() throws {
        let (instance, machine, _) = try setUp()
        try [100_000].withUnsafeBufferPointer { args in try machine.start(instance.function("count"), arguments: args) }
        var slices = 0
        while true {
            let outcome = try machine.run(fuel: 1_000)
            slices += 1
            if outcome == .finished { break }
            #expect(outcome == .outOfFuel)
            #expect(machine.status == .runnable)
        }
        #expect(machine.results.first == 100_000)
        // One unit per back-edge, exactly: 99,999 back-edges take 99 full slices of 1,000
        // and a last one of 999.
        #expect(slices == 100)
        #expect(machine.status == .idle)
    }

    @Test func fuelAlsoStopsAtCallsAndAbandonLeavesTheMachineReusable() throws {
        let (instance, machine, _) = try setUp()
        try [25].withUnsafeBufferPointer { args in try machine.start(instance.function("fib"), arguments: args) }
        #expect(try machine.run(fuel: 10) == .outOfFuel)
        machine.abandon()
        #expect(machine.status == .idle)
        let outcome = try [10].withUnsafeBufferPointer { try machine.invoke(instance.function("fib"), arguments: $0) }
        #expect(outcome == .finished && machine.results.first == 55)
    }

    @Test func hostFunctionsTakeArgumentsFromTheStackAndCanSuspend() throws {
        let (instance, machine, host) = try setUp()
        let outcome = try [40, 2].withUnsafeBufferPointer { try machine.invoke(instance.function("callhost"), arguments: $0) }
        #expect(outcome == .finished && machine.results.first == 42)
        try machine.start(instance.function("sleepy"), arguments: UnsafeBufferPointer(start: nil, count: 0))
        #expect(try machine.run(fuel: .max) == .hostSuspended(wakeAfterNanoseconds: 5))
        #expect(try machine.run(fuel: .max) == .finished)
        #expect(machine.results.first == 42)
        #expect(host.calls == 2)
    }

    @Test func memoryGrowsInPlaceUntilTheArenaIsFull() throws {
        let host = TestHost()
        let linker = Linker()
        linker.register(host: host)
        // Room for the module and a few pages, not for 100 more.
        let (instance, machine) = try instantiate(Self.module, arenaBytes: 6 * 65536, linker: linker)
        let base = instance.memory.base
        let grown = try [2].withUnsafeBufferPointer { try machine.invoke(instance.function("grow"), arguments: $0) }
        #expect(grown == .finished && machine.results.first == 1)
        #expect(instance.memory.size == 3 * 65536 && instance.memory.base == base)
        _ = try [100].withUnsafeBufferPointer { try machine.invoke(instance.function("grow"), arguments: $0) }
        #expect(machine.results.first == 0xFFFF_FFFF)
        #expect(instance.memory.size == 3 * 65536)
    }

    @Test func unknownAndIncompatibleImportsAreLinkErrors() throws {
        #expect(throws: InstantiationError.self) { _ = try instantiate(Self.module) }
        // The error names the import by bytes in the arena, so the arena must outlive it.
        let arena = try Arena(capacity: 1 << 20)
        do {
            _ = try instantiate(Self.module, arena: arena)
        } catch let error as InstantiationError {
            #expect(error.reason == "unknown import")
            #expect(error.message.contains("\"host\" \"add\""))
        }
        withExtendedLifetime(arena) {}
    }

    @Test func aModuleThatDoesNotFitNamesWhatDidNot() throws {
        let host = TestHost()
        let linker = Linker()
        linker.register(host: host)
        do {
            _ = try instantiate(Self.module, arenaBytes: 40_000, linker: linker)
            Issue.record("expected arena full")
        } catch let error as InstantiationError {
            guard case .arenaFull(let arena) = error else { Issue.record("\(error.message)"); return }
            #expect(arena.use == .linearMemory)
            #expect(arena.requested == 65536)
        }
    }
}

/// perch_dispatch.h finds the side-table pointer at the start of `Registers` on 32-bit
/// ARM, where it is not passed in a register.
@Test func sideTablePointerIsTheFirstRegister() throws {
    let machine = try Machine(arena: try Arena(capacity: 1 << 16), valueStackSlots: 64, callDepth: 4)
    let registers = machine.registers
    let stpAddress = withUnsafeMutablePointer(to: &registers.pointee.stp) { UnsafeMutableRawPointer($0) }
    #expect(stpAddress == UnsafeMutableRawPointer(registers))
}
