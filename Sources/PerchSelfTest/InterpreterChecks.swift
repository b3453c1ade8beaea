import PerchCore
import PerchDecode
import PerchInterp
import PerchValidate

/// `wat2wasm --debug-names` of:
/// (module
///   (memory 1)
///   (func $fib (export "fib") (param i32) (result i32)
///     (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
///       (then (local.get 0))
///       (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
///                      (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
///   (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
///   (func $sum (export "sum") (param i32) (result i64) (local i64)
///     (loop $l
///       (i64.store (i32.const 8) (i64.add (i64.load (i32.const 8)) (i64.extend_i32_u (local.get 0))))
///       (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))
///       (br_if $l))
///     (i64.load (i32.const 8)))
///   (func $nearest (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
/// )
private let interpreterModule: [UInt8] = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x16, 0x04, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7e, 0x60, 0x01, 0x7c, 0x01, 0x7c,
    0x03, 0x05, 0x04, 0x00, 0x01, 0x02, 0x03, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x1d, 0x04, 0x03,
    0x66, 0x69, 0x62, 0x00, 0x00, 0x03, 0x64, 0x69, 0x76, 0x00, 0x01, 0x03, 0x73, 0x75, 0x6d, 0x00,
    0x02, 0x07, 0x6e, 0x65, 0x61, 0x72, 0x65, 0x73, 0x74, 0x00, 0x03, 0x0a, 0x50, 0x04, 0x1c, 0x00,
    0x20, 0x00, 0x41, 0x02, 0x49, 0x04, 0x7f, 0x20, 0x00, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10,
    0x00, 0x20, 0x00, 0x41, 0x02, 0x6b, 0x10, 0x00, 0x6a, 0x0b, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20,
    0x01, 0x6d, 0x0b, 0x23, 0x01, 0x01, 0x7e, 0x03, 0x40, 0x41, 0x08, 0x41, 0x08, 0x29, 0x03, 0x00,
    0x20, 0x00, 0xad, 0x7c, 0x37, 0x03, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00,
    0x0b, 0x41, 0x08, 0x29, 0x03, 0x00, 0x0b, 0x05, 0x00, 0x20, 0x00, 0x9e, 0x0b, 0x00, 0x2b, 0x04,
    0x6e, 0x61, 0x6d, 0x65, 0x01, 0x19, 0x04, 0x00, 0x03, 0x66, 0x69, 0x62, 0x01, 0x03, 0x64, 0x69,
    0x76, 0x02, 0x03, 0x73, 0x75, 0x6d, 0x03, 0x07, 0x6e, 0x65, 0x61, 0x72, 0x65, 0x73, 0x74, 0x02,
    0x09, 0x04, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00
]

/// Decode, validate, instantiate and run a small module on the device itself: calls,
/// a trap with its location, memory, a float rounding and fuel suspend/resume.
func interpreterChecks(_ t: inout SelfTest) {
    guard let (instance, machine) = instantiated(
        interpreterModule, "interpreter module", arenaBytes: 136 * 1024, slots: 4096, callDepth: 128, &t)
    else { return }
    func call(_ name: StaticString, _ args: [UInt64], fuel: Int = .max) -> (UInt64?, slices: Int, trap: Trap?) {
        runExport(name, args, of: instance, on: machine, fuel: fuel)
    }
    t.check(call("fib", [15]).0 == 610, "fib(15) = 610 through 1,973 wasm calls")
    let trapped = call("div", [1, 0]).trap
    t.check(trapped?.kind == .integerDivideByZero, "i32.div_s by zero traps")
    t.check(trapped?.function == 1 && trapped?.functionName.map { $0 == "div" } == true, "trap names function 1 ($div)")
    t.check(trapped.map { interpreterModule[$0.offset] == 0x6D } == true, "trap offset is the div opcode")
    t.check(call("div", [UInt64(UInt32(bitPattern: -7)), 2]).0 == UInt64(UInt32(bitPattern: -3)), "machine usable after a trap")
    let sliced = call("sum", [1000], fuel: 100)
    t.check(sliced.0 == 500_500, "memory loop sums 1..1000")
    t.check(sliced.slices == 10, "fuel 100 suspends and resumes the 999 back-edges in 10 slices")
    t.check(call("nearest", [Double(2.5).bitPattern]).0 == Double(2).bitPattern, "f64.nearest(2.5) = 2 (ties to even)")
    hugeFrameCheck(&t)
    paddedLabelsCheck(&t)
    i64ResultsCheck(&t)
}

/// (module
///   (func $big (local i32 × 2^29 + 1))
///   (func (export "call_big") (call $big)))
/// The frame's byte size, 2^32 + 8, wraps a 32-bit UInt: the call check must not.
private let hugeFrameModule: [UInt8] = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x03,
    0x02, 0x00, 0x00, 0x07, 0x0c, 0x01, 0x08, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x62, 0x69, 0x67, 0x00,
    0x01, 0x0a, 0x0f, 0x02, 0x08, 0x01, 0x81, 0x80, 0x80, 0x80, 0x02, 0x7f, 0x0b, 0x04, 0x00, 0x10,
    0x00, 0x0b,
]

private func hugeFrameCheck(_ t: inout SelfTest) {
    let name = "huge frame"
    guard let (instance, machine) = instantiated(hugeFrameModule, name, arenaBytes: 32 * 1024, slots: 512, callDepth: 8, &t)
    else { return }
    guard let function = instance.exportedFunction(NameBytes("call_big")) else { return t.fail("\(name): no export") }
    do throws(Trap) {
        _ = try machine.invoke(function, arguments: UnsafeBufferPointer(start: nil, count: 0))
        t.fail("\(name): the call ran")
    } catch {
        t.check(error.kind == .callStackExhausted, "a call of a 2^29-slot frame is refused (call stack exhausted)")
    }
}

/// Every label and block type written in two bytes, as a producer may pad them (`skipLEB`
/// steps over them): a block and a loop entered, an if's then-arm entered, and br_ifs that
/// fall through after a plain condition, a test and an `i32.eqz`. Also run by
/// PerchInterpTests at 1-unit fuel slices.
///   (type $t (func (param i32) (result i32)))
///   (type $v (func))
///   (func (export "f") (type $t) (local $i i32) (local $acc i32)
///     (loop (type $v)                                   ;; 03 81 00, as every block type
///       (block (type $v)
///         (br_if 0 (i32.and (local.get $i) (i32.const 4)))  ;; 0d 80 00, as every label
///         (local.set $acc (i32.add (local.get $acc) (i32.const 1000))))
///       (if (type $v) (i32.and (local.get $i) (i32.const 1))
///         (then (local.set $acc (i32.add (local.get $acc) (i32.const 3))))
///         (else (local.set $acc (i32.add (local.get $acc) (i32.const 5)))))
///       (block (type $v)
///         (br_if 0 (i32.eqz (i32.rem_u (local.get $i) (i32.const 3))))
///         (local.set $acc (i32.add (local.get $acc) (i32.const 100))))
///       (br_if 0 (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get 0))))
///     (local.get $acc))
/// f(12) = 8848.
let paddedLabelsModule: [UInt8] = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x5a,
    0x01, 0x58, 0x01, 0x02, 0x7f, 0x03, 0x81, 0x00, 0x02, 0x81, 0x00, 0x20, 0x01, 0x41, 0x04, 0x71,
    0x0d, 0x80, 0x00, 0x20, 0x02, 0x41, 0xe8, 0x07, 0x6a, 0x21, 0x02, 0x0b, 0x20, 0x01, 0x41, 0x01,
    0x71, 0x04, 0x81, 0x00, 0x20, 0x02, 0x41, 0x03, 0x6a, 0x21, 0x02, 0x05, 0x20, 0x02, 0x41, 0x05,
    0x6a, 0x21, 0x02, 0x0b, 0x02, 0x81, 0x00, 0x20, 0x01, 0x41, 0x03, 0x70, 0x45, 0x0d, 0x80, 0x00,
    0x20, 0x02, 0x41, 0xe4, 0x00, 0x6a, 0x21, 0x02, 0x0b, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x22, 0x01,
    0x20, 0x00, 0x49, 0x0d, 0x80, 0x00, 0x0b, 0x20, 0x02, 0x0b,
]

private func paddedLabelsCheck(_ t: inout SelfTest) {
    let name = "padded labels"
    guard let (instance, machine) = instantiated(paddedLabelsModule, name, arenaBytes: 16 * 1024, slots: 64, callDepth: 8, &t)
    else { return }
    guard let function = instance.exportedFunction(NameBytes("f")) else { return t.fail("\(name): no export") }
    do throws(Trap) {
        _ = try [UInt64(12)].withUnsafeBufferPointer { args throws(Trap) in try machine.invoke(function, arguments: args) }
        t.check(machine.results.first == 8848, "labels and block types of two bytes are stepped over: f(12) = 8848")
    } catch {
        t.fail("\(name): \(error.kind)")
    }
}

/// i64 operations whose results go straight into a following `local.set`'s local
/// (`i64Result`), with and without the `local.get` after it, beside ones that do not: a
/// multi-byte `local.set` or `local.get` index, a result that stays on the stack, a value
/// beneath the fused pair, and a division by zero before a `local.set`. Also run by
/// PerchInterpTests at 1-unit fuel slices.
///   (func (export "powmod") (param $b i64) (param $e i64) (param $m i64) (result i64)
///     (local $r i64) (local $t i64)
///     (local.set $r (i64.const 1))
///     (local.set $b (i64.rem_u (local.get $b) (local.get $m)))
///     (block $done
///       (loop $l
///         (br_if $done (i64.eqz (local.get $e)))
///         (if (i32.wrap_i64 (i64.and (local.get $e) (i64.const 1)))
///           (then (local.set $r (i64.rem_u (i64.mul (local.get $r) (local.get $b)) (local.get $m)))))
///         (local.set $b (i64.rem_u (i64.mul (local.get $b) (local.get $b)) (local.get $m)))
///         (local.set $e (i64.shr_u (local.get $e) (i64.const 1)))
///         (local.set $r (i64.add (local.get $r)
///           (block (result i64) (local.set $t (i64.sub (local.get $r) (local.get $r))) (local.get $t))))
///         (br $l)))
///     (local.get $r))
///   (func (export "divset") (param i64 i64) (result i64) (local i64)
///     (local.get 1)                                     ;; beneath the fused pair
///     (local.set 2 (i64.div_u (local.get 0) (local.get 1)))
///     (i64.const 3)
///     i64.add
///     (local.get 2)
///     i64.sub)
///   (func (export "wide") (param i64 i64) (result i64) (local i64 × 130)
///     (local.set 130 (i64.xor (local.get 0) (local.get 1)))
///     (local.set 5 (i64.rotl (local.get 130) (i64.const 8)))
///     (local.get 130)
///     (local.set 6 (i64.or (local.get 5) (local.get 0)))
///     (local.get 6)
///     i64.sub)
let i64ResultsModule: [UInt8] = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x02, 0x60, 0x03, 0x7e, 0x7e, 0x7e,
    0x01, 0x7e, 0x60, 0x02, 0x7e, 0x7e, 0x01, 0x7e, 0x03, 0x04, 0x03, 0x00, 0x01, 0x01, 0x07, 0x1a,
    0x03, 0x06, 0x70, 0x6f, 0x77, 0x6d, 0x6f, 0x64, 0x00, 0x00, 0x06, 0x64, 0x69, 0x76, 0x73, 0x65,
    0x74, 0x00, 0x01, 0x04, 0x77, 0x69, 0x64, 0x65, 0x00, 0x02, 0x0a, 0x8c, 0x01, 0x03, 0x53, 0x01,
    0x02, 0x7e, 0x42, 0x01, 0x21, 0x03, 0x20, 0x00, 0x20, 0x02, 0x82, 0x21, 0x00, 0x02, 0x40, 0x03,
    0x40, 0x20, 0x01, 0x50, 0x0d, 0x01, 0x20, 0x01, 0x42, 0x01, 0x83, 0xa7, 0x04, 0x40, 0x20, 0x03,
    0x20, 0x00, 0x7e, 0x20, 0x02, 0x82, 0x21, 0x03, 0x0b, 0x20, 0x00, 0x20, 0x00, 0x7e, 0x20, 0x02,
    0x82, 0x21, 0x00, 0x20, 0x01, 0x42, 0x01, 0x88, 0x21, 0x01, 0x20, 0x03, 0x02, 0x7e, 0x20, 0x03,
    0x20, 0x03, 0x7d, 0x21, 0x04, 0x20, 0x04, 0x0b, 0x7c, 0x21, 0x03, 0x0c, 0x00, 0x0b, 0x0b, 0x20,
    0x03, 0x0b, 0x13, 0x01, 0x01, 0x7e, 0x20, 0x01, 0x20, 0x00, 0x20, 0x01, 0x80, 0x21, 0x02, 0x42,
    0x03, 0x7c, 0x20, 0x02, 0x7d, 0x0b, 0x22, 0x01, 0x82, 0x01, 0x7e, 0x20, 0x00, 0x20, 0x01, 0x85,
    0x21, 0x82, 0x01, 0x20, 0x82, 0x01, 0x42, 0x08, 0x89, 0x21, 0x05, 0x20, 0x82, 0x01, 0x20, 0x05,
    0x20, 0x00, 0x84, 0x21, 0x06, 0x20, 0x06, 0x7d, 0x0b,
]

/// `powmod` of `i64ResultsModule` computed here: b^e mod m, products wrapping at 64 bits.
func expectedPowmod(_ b: UInt64, _ e: UInt64, _ m: UInt64) -> UInt64 {
    var (b, e, r) = (b % m, e, UInt64(1))
    while e != 0 {
        if e & 1 == 1 { r = (r &* b) % m }
        b = (b &* b) % m
        e >>= 1
    }
    return r
}

/// `wide` of `i64ResultsModule` computed here.
func expectedWide(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let x = a ^ b
    let rotated = x << 8 | x >> 56
    return x &- (rotated | a)
}

private func i64ResultsCheck(_ t: inout SelfTest) {
    let name = "i64 results"
    guard let (instance, machine) = instantiated(i64ResultsModule, name, arenaBytes: 16 * 1024, slots: 256, callDepth: 8, &t)
    else { return }
    // A wrong local read can keep `powmod`'s loop from ending: one slice of fuel bounds it.
    func invoke(_ name: StaticString, _ args: [UInt64]) -> (result: UInt64?, slices: Int, trap: Trap?) {
        runExport(name, args, of: instance, on: machine, fuel: 1_000_000, maxSlices: 1)
    }
    let (b, e, m): (UInt64, UInt64, UInt64) = (7, 123_456_789, 4_294_967_291)
    t.check(invoke("powmod", [b, e, m]).result == expectedPowmod(b, e, m),
        "i64 results stored straight into locals: 7^123456789 mod 4294967291")
    let (wb, we, wm): (UInt64, UInt64, UInt64) = (3, 1_000_000_000_000_000_009, 1 << 63 - 25)
    t.check(invoke("powmod", [wb, we, wm]).result == expectedPowmod(wb, we, wm), "i64 products wrap before the remainder")
    let (x, y): (UInt64, UInt64) = (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3215)
    t.check(invoke("wide", [x, y]).result == expectedWide(x, y), "multi-byte local indices beside fused i64 results")
    t.check(invoke("divset", [200, 30]).result == 30 + 3 - 6, "i64.div_u into a local, a value beneath it")
    let trap = invoke("divset", [1, 0]).trap
    t.check(trap?.kind == .integerDivideByZero && trap.map { i64ResultsModule[$0.offset] == 0x80 } == true,
        "i64.div_u by zero before a local.set traps at the div")
}

/// Runs export `name` of `instance` with `args` in slices of `fuel` units: its first result,
/// how many slices it took, or the trap it ended in. A run still out of fuel after
/// `maxSlices` is abandoned, its result nil.
private func runExport(
    _ name: StaticString, _ args: [UInt64], of instance: Instance, on machine: Machine, fuel: Int,
    maxSlices: Int = .max
) -> (UInt64?, slices: Int, trap: Trap?) {
    guard let function = instance.exportedFunction(NameBytes(name)) else { return (nil, 0, nil) }
    do throws(Trap) {
        try args.withUnsafeBufferPointer { buffer throws(Trap) in try machine.start(function, arguments: buffer) }
        var slices = 1
        while try machine.run(fuel: fuel) == .outOfFuel {
            if slices == maxSlices {
                machine.abandon()
                return (nil, slices, nil)
            }
            slices += 1
        }
        return (machine.results.first, slices, nil)
    } catch {
        return (nil, 0, error)
    }
}

/// The module `bytes` loaded and instantiated in an arena of its own; nil after recording
/// why not for the check `name`.
private func instantiated(
    _ bytes: [UInt8], _ name: String, arenaBytes: Int, slots: Int, callDepth: Int, _ t: inout SelfTest
) -> (Instance, Machine)? {
    let arena: Arena
    let machine: Machine
    do throws(ArenaError) {
        arena = try Arena(capacity: arenaBytes)
        machine = try Machine(arena: arena, valueStackSlots: slots, callDepth: callDepth)
    } catch {
        t.fail(error.message)
        return nil
    }
    let module: Module
    do throws(ModuleError) {
        module = try loadModule(bytes, into: arena)
    } catch {
        t.fail("\(name): \(error.message)")
        return nil
    }
    do throws(InstantiationError) {
        return (try Instance.instantiate(module, in: arena, linker: Linker(), machine: machine), machine)
    } catch {
        t.fail("\(name): \(error.message)")
        return nil
    }
}
