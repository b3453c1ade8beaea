import PerchCore
import PerchDecode
import PerchValidate

/// One arena for the whole run, given back after every input (as a device reuses its arena
/// for each module it loads).
nonisolated(unsafe) private var arena: Arena? = nil

/// libFuzzer's entry: decode and validate the input, once in one chunk and once pushed in
/// chunks whose size the input's first byte picks. Any verdict is fine; a crash, hang or
/// Swift trap is the bug. Both paths must agree on accepting the module.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecodeValidate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if arena == nil { arena = try? Arena(capacity: 64 << 20) }
    guard let arena else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = load(input, chunk: max(size, 1), arena: arena)
    let chunk = size > 0 ? Int(data[0] % 13) + 1 : 1
    let pushed = load(input, chunk: chunk, arena: arena)
    if whole != pushed { fatalError("push decoding disagrees with one-chunk decoding (chunk \(chunk))") }
    return 0
}

/// True if the module decodes and validates.
private func load(_ input: UnsafeRawBufferPointer, chunk: Int, arena: Arena) -> Bool {
    let mark = arena.mark
    defer { arena.reset(to: mark) }
    do throws(ModuleError) {
        var decoder = try ModuleDecoder(arena: arena)
        var offset = 0
        while offset < input.count {
            let end = min(offset + chunk, input.count)
            try decoder.feed(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
            offset = end
        }
        var module = try decoder.finish()
        try validate(&module, arena: arena)
        return true
    } catch {
        _ = error.message
        return false
    }
}
