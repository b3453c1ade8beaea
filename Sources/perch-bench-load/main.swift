// Host-only benchmark (not a device target, not a test): decode + validate time of
// bigmodule.wasm in process, against the toolchain's `wasmkit` loading the same module in
// the same run, and the side-table / code ratio of every benchmark module.
//
// WasmKit's CLI has no load-only command; `wasmkit run -v` prints how long it spent
// parsing the module, so that figure (and, for context, the whole run's CPU time) is
// what Perch's decode + validate is compared with.
import Foundation
import PerchCore
import PerchDecode
import PerchValidate

struct Loaded {
    var codeBytes = 0
    var sideTableBytes = 0
    var functions = 0
}

func decodeAndValidate(_ bytes: [UInt8], arena: Arena) throws(ModuleError) -> Loaded {
    var decoder = try ModuleDecoder(arena: arena)
    var result: Result<Void, ModuleError> = .success(())
    bytes.withUnsafeBytes { chunk in
        do throws(ModuleError) { try decoder.feed(chunk) } catch { result = .failure(error) }
    }
    try result.get()
    var module = try decoder.finish()
    try validate(&module, arena: arena)
    var loaded = Loaded()
    for function in module.functions[module.importedFunctionCount...] {
        loaded.codeBytes += function.body.count
        loaded.sideTableBytes += Int(function.code?.sideTableBytes ?? 0)
        loaded.functions += 1
    }
    return loaded
}

/// The shipping path: `ModuleLoader` fed `chunk` bytes at a time, each body validated as
/// soon as it has arrived.
func streamLoad(_ bytes: [UInt8], chunk: Int, arena: Arena) throws(ModuleError) {
    var loader = try ModuleLoader(arena: arena)
    var result: Result<Void, ModuleError> = .success(())
    bytes.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            let end = min(offset + chunk, all.count)
            do throws(ModuleError) {
                try loader.feed(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
            } catch {
                result = .failure(error)
                return
            }
            offset = end
        }
    }
    try result.get()
    _ = try loader.finish()
}

/// This thread's CPU time: on these shared, busy machines wall time mostly measures the
/// neighbours; CPU time is what loading the module costs.
func decodeOnly(_ bytes: [UInt8], arena: Arena) throws(ModuleError) {
    var decoder = try ModuleDecoder(arena: arena)
    var result: Result<Void, ModuleError> = .success(())
    bytes.withUnsafeBytes { chunk in
        do throws(ModuleError) { try decoder.feed(chunk) } catch { result = .failure(error) }
    }
    try result.get()
    _ = try decoder.finish()
}

func now() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

func childCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Runs `wasmkit run -v path`; returns (parse seconds it reports, process CPU seconds).
func wasmkitLoad(_ path: String) -> (parse: Double, cpu: Double)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["WASMKIT"] ?? "/opt/swift/usr/bin/wasmkit")
    process.arguments = ["run", "-v", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let before = childCPUSeconds()
    do { try process.run() } catch { return nil }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let cpu = childCPUSeconds() - before
    guard let line = output.split(separator: "\n").first(where: { $0.contains("Finished parsing module:") }),
        let seconds = Double(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
    else { return nil }
    return (seconds, cpu)
}

let arguments = CommandLine.arguments
let directory = arguments.count > 1 ? arguments[1] : "../shared/bench/wasm"
let rounds = Int(ProcessInfo.processInfo.environment["ROUNDS"] ?? "") ?? 7
let names = (try? FileManager.default.contentsOfDirectory(atPath: directory))?.filter { $0.hasSuffix(".wasm") }.sorted() ?? []
guard names.contains("bigmodule.wasm") else {
    print("no bigmodule.wasm in \(directory)")
    exit(1)
}

// Side-table size against code size, every module.
print("module              functions  code bytes  side table  ratio")
var worst = 0.0
for name in names {
    let bytes = [UInt8](FileManager.default.contents(atPath: directory + "/" + name)!)
    let arena = try! Arena(capacity: 16 * bytes.count + (1 << 20))
    do {
        let loaded = try decodeAndValidate(bytes, arena: arena)
        let ratio = Double(loaded.sideTableBytes) / Double(max(loaded.codeBytes, 1))
        worst = max(worst, ratio)
        print(
            name.padding(toLength: 20, withPad: " ", startingAt: 0)
                + String(format: "%9d %11d %11d  %.3f", loaded.functions, loaded.codeBytes, loaded.sideTableBytes, ratio))
    } catch {
        print("\(name): rejected: \(error.message)")
        exit(1)
    }
}
print(String(format: "largest side-table/code ratio: %.3f (target <= 0.35)", worst))

// bigmodule: Perch in process vs wasmkit, interleaved rounds.
let path = directory + "/bigmodule.wasm"
let big = [UInt8](FileManager.default.contents(atPath: path)!)
let arena = try! Arena(capacity: 16 * big.count + (1 << 20))
let mark = arena.mark
var codeBytes = 0
var perchTimes: [Double] = []
var decodeTimes: [Double] = []
var streamTimes: [Double] = []
var wasmkitParse: [Double] = []
var wasmkitCPU: [Double] = []
for _ in 0..<rounds {
    for _ in 0..<5 {
        arena.reset(to: mark)
        let start = now()
        let loaded = try! decodeAndValidate(big, arena: arena)
        perchTimes.append(Double(now() - start) / 1e9)
        codeBytes = loaded.codeBytes
        arena.reset(to: mark)
        let decodeStart = now()
        try! decodeOnly(big, arena: arena)
        decodeTimes.append(Double(now() - decodeStart) / 1e9)
        arena.reset(to: mark)
        let streamStart = now()
        try! streamLoad(big, chunk: 256, arena: arena)
        streamTimes.append(Double(now() - streamStart) / 1e9)
    }
    if let w = wasmkitLoad(path) {
        wasmkitParse.append(w.parse)
        wasmkitCPU.append(w.cpu)
    }
}
let perch = median(perchTimes)
print("")
print("bigmodule.wasm: \(big.count) bytes, \(codeBytes) code bytes; \(perchTimes.count) Perch loads, \(wasmkitParse.count) wasmkit runs")
print(String(format: "perch decode+validate   median %8.2f ms CPU  (min %.2f ms)  %.2f ns/code byte", perch * 1e3, perchTimes.min()! * 1e3, perch * 1e9 / Double(codeBytes)))
let decode = median(decodeTimes)
print(String(format: "  of which decode       median %8.2f ms CPU, validate + side tables %.2f ms (%.2f ns/code byte)", decode * 1e3, (perch - decode) * 1e3, (perch - decode) * 1e9 / Double(codeBytes)))
let streamed = median(streamTimes)
print(String(format: "ModuleLoader, 256-byte chunks median %8.2f ms CPU: %.3f x decode-then-validate (same run)", streamed * 1e3, streamed / perch))
if !wasmkitParse.isEmpty {
    let parse = median(wasmkitParse)
    let cpu = median(wasmkitCPU)
    print(String(format: "wasmkit parse (its -v)  median %8.2f ms wall  (min %.2f ms)", parse * 1e3, wasmkitParse.min()! * 1e3))
    print(String(format: "wasmkit run, whole CPU  median %8.2f ms", cpu * 1e3))
    print(String(format: "ratio perch / wasmkit parse: %.3f (min/min %.3f)   perch / wasmkit run CPU: %.3f", perch / parse, perchTimes.min()! / wasmkitParse.min()!, perch / cpu))
} else {
    print("wasmkit did not run or printed no parse time")
}
